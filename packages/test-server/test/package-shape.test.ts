// The published packages as a user gets them: built dist, ESM and CJS entry points, types,
// metadata the registry and bundlers rely on.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const published = ['resp', 'client', 'falkordb', 'cluster'];

describe.each(published)('@pyrsedis/%s', (dir) => {
  const pkgDir = path.join(root, 'packages', dir);
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));

  it('has the metadata of a published package', () => {
    expect(pkg.name).toBe(`@pyrsedis/${dir}`);
    expect(pkg.private).toBeUndefined();
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.engines.node).toBe('>=20');
    expect(pkg.files).toContain('dist');
    expect(existsSync(path.join(pkgDir, 'README.md'))).toBe(true);
    if (dir === 'resp') expect(pkg.dependencies).toBeUndefined();
    if (dir === 'falkordb' || dir === 'cluster') {
      expect(pkg.peerDependencies).toEqual({ '@pyrsedis/client': expect.any(String) });
      expect(pkg.dependencies).toBeUndefined();
    }
  });

  it('loads through its exports map as ESM and as CJS, with type declarations', async () => {
    const esm = pkg.exports['.'].import;
    const cjs = pkg.exports['.'].require;
    for (const file of [esm.types, esm.default, cjs.types, cjs.default]) {
      expect(existsSync(path.join(pkgDir, file)), `${dir}/${file}`).toBe(true);
    }
    const fromEsm = await import(pathToFileURL(path.join(pkgDir, esm.default)).href);
    const fromCjs = createRequire(import.meta.url)(path.join(pkgDir, cjs.default));
    expect(Object.keys(fromEsm).sort()).toEqual(Object.keys(fromCjs).sort());
    expect(Object.keys(fromEsm).length).toBeGreaterThan(0);
  });
});
