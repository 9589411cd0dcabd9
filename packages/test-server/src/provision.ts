// Makes sure the server binaries exist, idempotently, cached in the repo's ignored cache folder.
// Facts behind every step are in shared/servers.md (verified on Debian 12, x86_64).
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cacheDir, HarnessError, run, withLock } from './util.js';

/** The server builds the harness can start. */
export type Flavor = 'redis8' | 'valkey8' | 'redis7';

/** All flavors, in the order provisioning fetches them. */
export const FLAVORS: readonly Flavor[] = ['redis8', 'valkey8', 'redis7'];

/** How to launch one server flavor. */
export interface ServerBinary {
  flavor: Flavor;
  /** The server executable. */
  server: string;
  /** argv prefix: empty, or the private glibc's loader and its library path. */
  launcher: string[];
  /** The FalkorDB module, when this flavor can load it. */
  falkordbModule: string | undefined;
  /** Whether this build serves TLS. */
  tls: boolean;
  /** `x.y.z` as printed by `--version`. */
  version: string;
}

export interface ProvisionOptions {
  flavors?: readonly Flavor[];
  log?: (message: string) => void;
}

const TRIXIE_PACKAGES = ['libc6', 'libstdc++6', 'libgcc-s1', 'libssl3t64', 'libgomp1'];
const ENV_OVERRIDE: Record<Flavor, string> = {
  redis8: 'PYRSEDIS_REDIS8_SERVER',
  valkey8: 'PYRSEDIS_VALKEY8_SERVER',
  redis7: 'PYRSEDIS_REDIS7_SERVER',
};

const resolved = new Map<Flavor, Promise<ServerBinary>>();

/**
 * Returns how to launch `flavor`, provisioning it first if needed (apt, a private glibc).
 * Results are memoised per process; provisioning is serialised across processes by a lock.
 */
export function ensureServer(flavor: Flavor, log?: (message: string) => void): Promise<ServerBinary> {
  let pending = resolved.get(flavor);
  if (!pending) {
    pending = withLock(path.join(cacheDir(), 'provision.lock'), () =>
      provisionOne(flavor, log ?? (() => {})),
    );
    pending.catch(() => resolved.delete(flavor));
    resolved.set(flavor, pending);
  }
  return pending;
}

/** Provisions every flavor (or those asked) and returns how to launch each. */
export async function provision(options: ProvisionOptions = {}): Promise<ServerBinary[]> {
  const out: ServerBinary[] = [];
  for (const flavor of options.flavors ?? FLAVORS) out.push(await ensureServer(flavor, options.log));
  return out;
}

function checkPlatform(flavor: Flavor): void {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new HarnessError(
      `cannot provision ${flavor} on ${process.platform}/${process.arch}: the harness installs servers on ` +
        `x86_64 Linux only. Install the server yourself and set ${ENV_OVERRIDE[flavor]}=/path/to/server ` +
        '(and PYRSEDIS_FALKORDB_MODULE=/path/to/falkordb.so), or set PYRSEDIS_TEST_BACKEND=docker with a Docker engine.',
    );
  }
}

async function provisionOne(flavor: Flavor, log: (message: string) => void): Promise<ServerBinary> {
  if (!FLAVORS.includes(flavor))
    throw new HarnessError(`unknown flavor ${JSON.stringify(flavor)} (one of ${FLAVORS.join(', ')})`);
  const override = process.env[ENV_OVERRIDE[flavor]];
  if (override) return describe(flavor, override, [], process.env.PYRSEDIS_FALKORDB_MODULE);
  checkPlatform(flavor);
  switch (flavor) {
    case 'redis8':
      return provisionRedis8(log);
    case 'valkey8':
      return provisionApt(flavor, '/usr/bin/valkey-server', ['valkey-server'], true, log);
    case 'redis7':
      return provisionApt(flavor, '/usr/bin/redis-server', ['redis-server', 'redis-tools'], false, log);
  }
}

function falkordbLitePaths(): { server: string; module: string } {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('@falkordblite/linux-x64/package.json');
  } catch {
    throw new HarnessError('@falkordblite/linux-x64 is not installed: run `npm ci` at the repository root.');
  }
  const bin = path.join(path.dirname(pkg), 'bin');
  return { server: path.join(bin, 'redis-server'), module: path.join(bin, 'falkordb.so') };
}

function glibcVersion(): [number, number] {
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
  const [major = 0, minor = 0] = (header?.glibcVersionRuntime ?? '0.0').split('.').map(Number);
  return [major, minor];
}

async function provisionRedis8(log: (message: string) => void): Promise<ServerBinary> {
  const { server, module } = falkordbLitePaths();
  const [major, minor] = glibcVersion();
  // The bundled redis-server needs glibc >= 2.38 (Debian 13); older systems get a private copy.
  if (major > 2 || (major === 2 && minor >= 38)) return describe('redis8', server, [], module);
  const libDir = await ensurePrivateGlibc(log);
  return describe(
    'redis8',
    server,
    [path.join(libDir, 'ld-linux-x86-64.so.2'), '--library-path', libDir],
    module,
  );
}

function requireRootAndApt(what: string): void {
  if (!existsSync('/usr/bin/apt-get') || !existsSync('/usr/bin/dpkg')) {
    throw new HarnessError(
      `${what} needs Debian's apt-get and dpkg, which this machine lacks. ${manualHint()}`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new HarnessError(`${what} needs root (apt-get); run the command as root once. ${manualHint()}`);
  }
}

function manualHint(): string {
  return (
    'To install by hand: Debian 12 `apt-get install -t bookworm-backports valkey-server` and ' +
    '`apt-get install redis-server redis-tools`; then set PYRSEDIS_REDIS8_SERVER / PYRSEDIS_VALKEY8_SERVER / ' +
    'PYRSEDIS_REDIS7_SERVER to the binaries if they live elsewhere.'
  );
}

/** The machine's own Debian mirror, read from its apt configuration (never hard-coded). */
async function debianMirror(): Promise<string> {
  const sources = '/etc/apt/sources.list.d/debian.sources';
  if (existsSync(sources)) {
    const match = /^URIs:\s*(\S+)/m.exec(await readFile(sources, 'utf8'));
    if (match?.[1]) return match[1];
  }
  if (existsSync('/etc/apt/sources.list')) {
    const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+\s+main/m.exec(
      await readFile('/etc/apt/sources.list', 'utf8'),
    );
    if (match?.[1]) return match[1];
  }
  throw new HarnessError(
    'cannot find a Debian mirror in /etc/apt/sources.list(.d); install the servers by hand.',
  );
}

/**
 * A private apt state under `base` pointing at Debian 13 ("trixie") on the machine's own mirror
 * (`deb` for binary packages, `deb-src` for sources), updated. Nothing system-wide changes.
 * Returns the `-o` options that make apt-get use it.
 */
export async function privateAptState(base: string, kind: 'deb' | 'deb-src'): Promise<string[]> {
  for (const dir of ['lists/partial', 'cache/archives/partial'])
    await mkdir(path.join(base, dir), { recursive: true });
  await writeFile(path.join(base, 'sources.list'), `${kind} ${await debianMirror()} trixie main\n`);
  const options = [
    ['Dir::Etc::SourceList', path.join(base, 'sources.list')],
    ['Dir::Etc::SourceParts', '/dev/null'],
    ['Dir::State::Lists', path.join(base, 'lists')],
    ['Dir::Cache', path.join(base, 'cache')],
    ['APT::Sandbox::User', 'root'],
  ].flatMap(([key, value]) => ['-o', `${key}=${value}`]);
  await run('apt-get', [...options, 'update']);
  return options;
}

async function osCodename(): Promise<string> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  return /^VERSION_CODENAME=(\S+)/m.exec(text)?.[1] ?? '';
}

async function ensurePrivateGlibc(log: (message: string) => void): Promise<string> {
  const base = path.join(cacheDir(), 'trixie');
  const root = path.join(base, 'root');
  const libDir = path.join(root, 'usr', 'lib', 'x86_64-linux-gnu');
  const marker = path.join(base, 'complete');
  if (existsSync(marker) && existsSync(path.join(libDir, 'ld-linux-x86-64.so.2'))) return libDir;
  requireRootAndApt('Running the bundled Redis 8.2 on glibc < 2.38 (private glibc from Debian 13)');
  log('provision: fetching a private glibc from Debian 13 for Redis 8.2 (system glibc is older than 2.38)');
  await rm(base, { recursive: true, force: true });
  for (const dir of ['debs', 'root']) await mkdir(path.join(base, dir), { recursive: true });
  const aptOptions = await privateAptState(base, 'deb');
  await run('apt-get', [...aptOptions, 'download', ...TRIXIE_PACKAGES], { cwd: path.join(base, 'debs') });
  for (const deb of await readdir(path.join(base, 'debs'))) {
    if (deb.endsWith('.deb')) await run('dpkg', ['-x', path.join(base, 'debs', deb), root]);
  }
  if (!existsSync(path.join(libDir, 'ld-linux-x86-64.so.2'))) {
    throw new HarnessError(`private glibc unpacked but ${libDir}/ld-linux-x86-64.so.2 is missing`);
  }
  await rm(path.join(base, 'debs'), { recursive: true, force: true });
  await rm(path.join(base, 'cache'), { recursive: true, force: true });
  await writeFile(marker, `${new Date().toISOString()}\n`);
  return libDir;
}

let aptUpdated = false;

async function provisionApt(
  flavor: Flavor,
  binary: string,
  packages: string[],
  backports: boolean,
  log: (message: string) => void,
): Promise<ServerBinary> {
  // FalkorDB needs glibc >= 2.35 and a server >= 7.2: Valkey 8 loads it, Redis 7.0 cannot.
  const module = flavor === 'valkey8' ? falkordbLitePaths().module : undefined;
  if (existsSync(binary)) return describe(flavor, binary, [], module);
  requireRootAndApt(`Installing ${packages.join(', ')}`);
  const codename = await osCodename();
  const target: string[] = [];
  if (backports && codename === 'bookworm') {
    const list = '/etc/apt/sources.list.d/bookworm-backports.list';
    if (!existsSync(list)) await writeFile(list, `deb ${await debianMirror()} bookworm-backports main\n`);
    target.push('-t', 'bookworm-backports');
    aptUpdated = false;
  }
  log(`provision: apt-get install ${packages.join(' ')}${target.length ? ' (bookworm-backports)' : ''}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    await run('apt-get', ['update'], { env });
    aptUpdated = true;
  }
  // Packages must not start a system-wide server on 6379: refuse service starts during the install.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) await writeFile(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    await run('apt-get', ['install', '-y', '--no-install-recommends', ...target, ...packages], { env });
  } finally {
    if (ownPolicy) await rm(policy, { force: true });
  }
  if (!existsSync(binary))
    throw new HarnessError(`installed ${packages.join(', ')} but ${binary} is missing`);
  return describe(flavor, binary, [], module);
}

async function describe(
  flavor: Flavor,
  server: string,
  launcher: string[],
  falkordbModule: string | undefined,
): Promise<ServerBinary> {
  const [file, ...prefix] = launcher.length ? launcher : [server];
  const args = launcher.length ? [...prefix, server, '--version'] : ['--version'];
  const { stdout } = await run(file!, args, { timeoutMs: 20_000 });
  const version = /v=(\d+\.\d+\.\d+)/.exec(stdout)?.[1];
  if (!version) throw new HarnessError(`unexpected --version output from ${server}: ${stdout.trim()}`);
  const major = Number(version.split('.')[0]);
  const expected = flavor === 'redis7' ? 7 : 8;
  if (major !== expected) {
    throw new HarnessError(`${server} is version ${version}, but flavor ${flavor} needs ${expected}.x`);
  }
  // The bundled Redis 8.2 is built without TLS; Debian's builds link libssl.
  const tls = flavor !== 'redis8';
  return {
    flavor,
    server,
    launcher,
    falkordbModule: flavor === 'redis7' ? undefined : falkordbModule,
    tls,
    version,
  };
}
