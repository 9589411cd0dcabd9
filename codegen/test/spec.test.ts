// commands.json is generated: regenerating it from the Valkey spec files and a live Redis 8.2
// must give the committed file byte for byte, and its content must be what the servers say.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS_JSON, type CommandsJson, generateSpec, keySpecFromInfo, serialize } from '../src/index.js';

describe('commands.json', () => {
  let regenerated: CommandsJson;

  it('is up to date with the Valkey spec files and a live Redis 8.2 (drift test)', async () => {
    regenerated = await generateSpec();
    const committed = readFileSync(COMMANDS_JSON, 'utf8');
    expect(serialize(regenerated) === committed, 'run `npm run codegen` and commit commands.json').toBe(true);
  }, 120_000);

  it('records where every command comes from, sorted, without module commands', () => {
    const names = Object.keys(regenerated.commands);
    expect(names).toEqual([...names].sort());
    expect(regenerated.sources.valkey).toMatch(/^8\.1\.\d+ /);
    expect(regenerated.sources.redis).toMatch(/^8\.2\.3 /);
    for (const [name, spec] of Object.entries(regenerated.commands)) {
      expect(spec.source, name).toMatch(
        /^(valkey 8\.1\.\d+: src\/commands\/[a-z0-9_-]+\.json|redis 8\.2\.3: COMMAND DOCS \+ COMMAND INFO)$/,
      );
      expect(spec.group, name).not.toBe('module');
    }
    expect(names.some((n) => n.startsWith('GRAPH.') || n.startsWith('VADD'))).toBe(false);
  });

  it('takes core commands from the Valkey files and Redis-8-only commands from the live server', () => {
    const { commands } = regenerated;
    expect(commands.SET!.servers).toEqual(['redis', 'valkey']);
    expect(commands.SET!.source).toMatch(/set\.json$/);
    expect(commands.SET!.reply_schema).toBeDefined();
    expect(commands['CLIENT KILL']!.container).toBe('CLIENT');
    for (const name of ['HSETEX', 'HGETEX', 'HGETDEL', 'HEXPIRE']) {
      expect(commands[name]!.servers, name).toEqual(['redis']);
      expect(commands[name]!.since, name).toMatch(/^(7\.4|8\.\d)\.\d+$/);
    }
    const hsetex = commands.HSETEX!;
    expect(hsetex.arity).toBe(-6);
    expect(hsetex.key_specs).toEqual([
      {
        flags: ['RW', 'UPDATE'],
        begin_search: { index: { pos: 1 } },
        find_keys: { range: { lastkey: 0, step: 1, limit: 0 } },
      },
    ]);
    const args = hsetex.arguments as { name: string; type: string; optional?: boolean }[];
    expect(args[0]).toMatchObject({ name: 'key', type: 'key' });
    expect(args.find((a) => a.name === 'condition')).toMatchObject({ type: 'oneof', optional: true });
    expect(commands['COMMANDLOG GET']!.servers).toEqual(['valkey']);
  });

  it('lists real differences between the servers, not derived flags', () => {
    const { differences } = regenerated;
    expect(differences.MULTI).toBeDefined(); // Valkey marks MULTI NO_MULTI
    // Argument tokens one server has and the other lacks.
    expect(differences.SET!.valkey).toMatchObject({ onlyTokens: ['IFEQ'] });
    expect(differences.BITOP!.redis).toMatchObject({ onlyTokens: expect.arrayContaining(['DIFF', 'ONE']) });
    // Where Redis accepts a superset, its arguments are used; Valkey-only tokens are marked.
    expect(regenerated.commands.BITOP!.arguments_source).toMatch(/^redis 8\.2\.3: COMMAND DOCS/);
    const set = regenerated.commands.SET!.arguments as {
      name: string;
      arguments?: { token?: string; servers?: string[] }[];
    }[];
    const ifeq = set.find((a) => a.name === 'condition')!.arguments!.find((a) => a.token === 'IFEQ')!;
    expect(ifeq.servers).toEqual(['valkey']);
    for (const diff of Object.values(differences)) {
      expect(JSON.stringify(diff)).not.toContain('MOVABLEKEYS');
    }
  });
});

describe('keySpecFromInfo', () => {
  it('converts keyword and keynum specs to the spec-file form', () => {
    expect(
      keySpecFromInfo({
        flags: ['RO', 'access'],
        begin_search: { type: 'keyword', spec: { keyword: 'STREAMS', startfrom: 1 } },
        find_keys: { type: 'range', spec: { lastkey: -1, keystep: 1, limit: 2 } },
      }),
    ).toEqual({
      flags: ['RO', 'ACCESS'],
      begin_search: { keyword: { keyword: 'STREAMS', startfrom: 1 } },
      find_keys: { range: { lastkey: -1, step: 1, limit: 2 } },
    });
    expect(
      keySpecFromInfo({
        flags: ['RW'],
        begin_search: { type: 'index', spec: { index: 2 } },
        find_keys: { type: 'keynum', spec: { keynumidx: 0, firstkey: 1, keystep: 1 } },
      }),
    ).toMatchObject({ find_keys: { keynum: { keynumidx: 0, firstkey: 1, step: 1 } } });
  });
});
