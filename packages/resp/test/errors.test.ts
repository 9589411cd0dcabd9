// instanceof must hold across two loaded copies of the package (the ESM and the CJS build, or
// two versions in one tree): errors are branded, not matched by prototype.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as source from '../src/index.js';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');

describe('branded errors across loaded copies', () => {
  it('an error from the CJS build is instanceof the ESM build classes, and back', async () => {
    const esm = (await import(pathToFileURL(path.join(dist, 'index.js')).href)) as typeof source;
    const cjs = createRequire(import.meta.url)(path.join(dist, 'index.cjs')) as typeof source;
    expect(esm.ProtocolError).not.toBe(cjs.ProtocolError);
    const fromCjs = new cjs.ProtocolError('bad', 1);
    expect(fromCjs).toBeInstanceOf(esm.ProtocolError);
    expect(fromCjs).toBeInstanceOf(esm.PyrsedisError);
    expect(fromCjs).not.toBeInstanceOf(esm.ReplyError);
    const fromEsm = esm.decode(Buffer.from('-NOSCRIPT No matching script\r\n'));
    expect(fromEsm).toBeInstanceOf(cjs.ReplyError);
    expect(fromEsm).toBeInstanceOf(source.ReplyError);
    expect((fromEsm as source.ReplyError).code).toBe('NOSCRIPT');
  });

  it('carries cause and command, never arguments', () => {
    const cause = new Error('socket closed');
    const err = new source.PyrsedisError('command failed', 'ERR_X', { cause, command: 'SET' });
    expect(err.cause).toBe(cause);
    expect(err.command).toBe('SET');
    expect(err.code).toBe('ERR_X');
    expect(err.name).toBe('PyrsedisError');
    expect(err.stack).toContain('command failed');
  });
});
