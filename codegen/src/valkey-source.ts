// The Valkey source tree's per-command spec files (src/commands/*.json, BSD-3-Clause), taken
// from Debian 13's `valkey` source package with a private apt state (shared/servers.md).

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { privateAptState } from '@pyrsedis/test-server';

export interface SpecFiles {
  /** e.g. `8.1.1` */
  version: string;
  /** The tarball the files came from. */
  tarball: string;
  /** file name → parsed JSON (`{ "NAME": { ... } }`) */
  files: Map<string, Record<string, RawCommand>>;
}

/** One command as the server's spec file writes it. */
export type RawCommand = Record<string, unknown>;

function run(file: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      // apt-get source exits non-zero when the .dsc is missing from the pool even though the
      // tarball arrived (shared/servers.md): callers check for the tarball instead.
      if (err && file !== 'apt-get') reject(new Error(`${file} ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Downloads (once, cached under `cacheDir`) and reads the Valkey command spec files. */
export async function valkeySpecFiles(cacheDir: string): Promise<SpecFiles> {
  const base = path.join(cacheDir, 'valkey-spec');
  const extracted = path.join(base, 'commands');
  let tarball = (await readdir(base).catch(() => [] as string[])).find((f) =>
    /^valkey_.*\.orig\.tar\.xz$/.test(f),
  );
  if (!tarball || !existsSync(extracted)) {
    const o = await privateAptState(base, 'deb-src');
    await run('apt-get', [...o, 'source', '--download-only', 'valkey'], base);
    tarball = (await readdir(base)).find((f) => /^valkey_.*\.orig\.tar\.xz$/.test(f));
    if (!tarball) throw new Error('apt-get source valkey did not deliver the .orig.tar.xz');
    await rm(extracted, { recursive: true, force: true });
    await mkdir(extracted, { recursive: true });
    await run('tar', [
      '-xJf',
      path.join(base, tarball),
      '-C',
      extracted,
      '--strip-components=3',
      '--wildcards',
      '*/src/commands/*.json',
    ]);
  }
  const version = /^valkey_(\d+\.\d+\.\d+)/.exec(tarball)?.[1] ?? 'unknown';
  const files = new Map<string, Record<string, RawCommand>>();
  for (const name of (await readdir(extracted)).sort()) {
    if (name.endsWith('.json'))
      files.set(name, JSON.parse(await readFile(path.join(extracted, name), 'utf8')));
  }
  return { version, tarball, files };
}
