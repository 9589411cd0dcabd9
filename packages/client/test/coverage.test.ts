// Every generated command that is safe on a throwaway server runs once against a real Redis 8.2,
// and its reply is checked against the reply schema its declared type was generated from.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RedisServer, startCluster, startServer } from '@pyrsedis/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_METHODS } from '../src/generated/commands.js';
import { createClient, keySlot, MovedError } from '../src/index.js';
import { matchesSchema } from './schema.js';
import { TestSender } from './sender.js';

interface Arg {
  name: string;
  type: string;
  token?: string;
  optional?: boolean;
  multiple?: boolean;
  arguments?: Arg[];
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const spec = JSON.parse(readFileSync(path.join(root, 'commands.json'), 'utf8')) as {
  commands: Record<
    string,
    { arguments?: Arg[]; reply_schema?: unknown; servers: string[]; container?: string; group?: string }
  >;
};

/** Commands not run here, each with the reason. */
const EXCEPTIONS: Record<string, string> = {
  SHUTDOWN: 'stops the server',
  DEBUG: 'can crash or hang the server (DEBUG SEGFAULT, DEBUG SLEEP)',
  MONITOR: 'turns the connection into a monitor stream',
  SYNC: 'replication stream',
  PSYNC: 'replication stream',
  REPLICAOF: 'makes the server a replica',
  SLAVEOF: 'makes the server a replica',
  FAILOVER: 'needs replicas',
  MIGRATE: 'connects to another server',
  'CLIENT PAUSE': 'pauses the whole server',
  'CLIENT REPLY': 'switches replies off',
  'CLIENT KILL': 'may kill the test connection',
  QUIT: 'closes the connection',
  RESET: 'resets the connection to RESP2',
  HELLO: 'changes the protocol',
  MULTI: 'queues every later command',
  SUBSCRIBE: 'pub/sub mode: confirmed by pushes, not replies',
  PSUBSCRIBE: 'pub/sub mode',
  SSUBSCRIBE: 'pub/sub mode',
  UNSUBSCRIBE: 'answered by a push in RESP3',
  PUNSUBSCRIBE: 'answered by a push in RESP3',
  SUNSUBSCRIBE: 'answered by a push in RESP3',
  'MODULE LOAD': 'loads code',
  'MODULE LOADEX': 'loads code',
  'MODULE UNLOAD': 'unloads code',
  'SCRIPT KILL': 'only meaningful with a busy script',
  'FUNCTION KILL': 'only meaningful with a busy function',
  CLUSTER: 'needs cluster mode: run below against a real cluster',
  'CLUSTER FORGET': 'would change the topology of the test cluster under the other checks',
  'CLUSTER REPLICATE': 'would turn a master of the test cluster into a replica',
  READONLY: 'needs cluster mode: run below against a real cluster',
  READWRITE: 'needs cluster mode: run below against a real cluster',
  ASKING: 'needs cluster mode: run below against a real cluster',
  PFDEBUG: 'internal debugging command',
  PFSELFTEST: 'internal self test (slow)',
  'ACL LOAD': 'needs an ACL file configured',
  'ACL SAVE': 'needs an ACL file configured',
};

const LIBRARY =
  "#!lua name=covlib\nredis.register_function{function_name='covf', callback=function() return 1 end, flags={'no-writes'}}";

/** The data type each group's keys must hold for its commands to work on them. */
const KEY_SETUP: Record<string, (key: string) => (string | number)[][]> = {
  string: (k) => [['SET', k, '1']],
  bitmap: (k) => [['SET', k, '1']],
  hash: (k) => [['HSET', k, '1', '1']],
  list: (k) => [['RPUSH', k, '1', '2']],
  set: (k) => [['SADD', k, '1', '2']],
  sorted_set: (k) => [['ZADD', k, 1, '1', 2, '2']],
  geo: (k) => [['GEOADD', k, 1, 1, '1', 2, 2, '2']],
  hyperloglog: (k) => [['PFADD', k, '1']],
  stream: (k) => [
    ['XADD', k, '1-1', '1', '1'],
    ['XGROUP', 'CREATE', k, '1', '0'],
    ['XREADGROUP', 'GROUP', '1', '1', 'STREAMS', k, '>'],
  ],
  generic: (k) => [['SET', k, '1']],
};

/** Commands whose generic sample arguments cannot work: explicit parameters (and setup). */
const dumpOf = (r: TestSender, argv: (string | number)[]) => r.sendBuffer(argv);
const SAMPLES: Record<
  string,
  { params?: unknown[]; setup?: (string | number)[][]; prepare?: (r: TestSender) => Promise<unknown[]> }
> = {
  FCALL: { params: ['covf'], setup: [['FUNCTION', 'LOAD', 'REPLACE', LIBRARY]] },
  FCALL_RO: { params: ['covf'], setup: [['FUNCTION', 'LOAD', 'REPLACE', LIBRARY]] },
  'FUNCTION DELETE': { params: ['covlib'], setup: [['FUNCTION', 'LOAD', 'REPLACE', LIBRARY]] },
  'FUNCTION RESTORE': {
    prepare: async (r) => {
      await r.sendCommand(['FUNCTION', 'LOAD', 'REPLACE', LIBRARY]);
      const dump = await dumpOf(r, ['FUNCTION', 'DUMP']);
      await r.sendCommand(['FUNCTION', 'FLUSH']);
      return [dump];
    },
  },
  RESTORE: {
    prepare: async (r) => {
      await r.sendCommand(['SET', 'cov:src', 'v']);
      return ['cov:restored', 0, await dumpOf(r, ['DUMP', 'cov:src'])];
    },
  },
  'RESTORE-ASKING': {
    prepare: async (r) => {
      await r.sendCommand(['SET', 'cov:src', 'v']);
      return ['cov:restored', 0, await dumpOf(r, ['DUMP', 'cov:src'])];
    },
  },
  SORT: {
    params: ['cov:key'],
    setup: [
      ['DEL', 'cov:key'],
      ['RPUSH', 'cov:key', '2', '1'],
    ],
  },
  SORT_RO: {
    params: ['cov:key'],
    setup: [
      ['DEL', 'cov:key'],
      ['RPUSH', 'cov:key', '2', '1'],
    ],
  },
  'XGROUP CREATE': { params: ['cov:key', 'newgroup', { id: '$' }] },
  'ACL DRYRUN': { params: ['default', 'GET', 'k'] },
  AUTH: {
    params: ['pw', { username: 'covuser' }],
    setup: [['ACL', 'SETUSER', 'covuser', 'on', '>pw', '+@all', '~*', '&*']],
  },
  BGSAVE: { params: [{ operation: 'SCHEDULE' }] },
  ZLEXCOUNT: { params: ['cov:key', '-', '+'] },
  ZRANGEBYLEX: { params: ['cov:key', '-', '+'] },
  ZREVRANGEBYLEX: { params: ['cov:key', '+', '-'] },
  ZREMRANGEBYLEX: { params: ['cov:key', '-', '+'] },
  EVAL: { params: ['return 1'] },
  EVAL_RO: { params: ['return 1'] },
  EVALSHA: {
    params: ['e0e1f9fabfc9d4800c877a703b823ac0578ff8db'],
    setup: [['SCRIPT', 'LOAD', 'return 1']],
  },
  EVALSHA_RO: {
    params: ['e0e1f9fabfc9d4800c877a703b823ac0578ff8db'],
    setup: [['SCRIPT', 'LOAD', 'return 1']],
  },
  'SCRIPT LOAD': { params: ['return 1'] },
  'FUNCTION LOAD': {
    params: [
      "#!lua name=covlib\nredis.register_function{function_name='covf', callback=function() return 1 end, flags={'no-writes'}}",
    ],
  },
  'COMMAND GETKEYS': { params: ['GET', 'k'] },
  'COMMAND GETKEYSANDFLAGS': { params: ['GET', 'k'] },
  'CONFIG SET': { params: [[{ parameter: 'maxmemory-samples', value: '5' }]] },
  'CLIENT CACHING': { params: ['YES'], setup: [['CLIENT', 'TRACKING', 'on', 'OPTIN']] },
  DISCARD: { params: [], setup: [['MULTI']] },
  EXEC: { params: [], setup: [['MULTI']] },
  'LATENCY GRAPH': {
    params: ['command'],
    setup: [
      ['CONFIG', 'SET', 'latency-monitor-threshold', '1'],
      ['DEBUG', 'SLEEP', '0.01'],
    ],
  },
  RENAME: { params: ['cov:key', 'cov:newkey'], setup: [['SET', 'cov:key', '1']] },
  RENAMENX: { params: ['cov:key', 'cov:newkey'], setup: [['SET', 'cov:key', '1']] },
  SINTERCARD: { params: [['cov:key']], setup: [['SADD', 'cov:key', '1']] },
  'OBJECT FREQ': {
    params: ['cov:key'],
    setup: [
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu'],
      ['SET', 'cov:key', '1'],
    ],
  },
  WAITAOF: { params: [0, 0, 1] },
  XSETID: { params: ['cov:key', '9-9'] },
};

function sample(arg: Arg): unknown {
  const one = (() => {
    switch (arg.type) {
      case 'key':
        return `cov:${arg.name}`;
      case 'string':
      case 'pattern':
        return '1';
      case 'integer':
      case 'unix-time':
        return 1;
      case 'double':
        return 0.01;
      case 'pure-token':
        return true;
      case 'oneof': {
        const first = arg.arguments![0]!;
        if (first.type === 'pure-token') return first.token;
        return { [propertyName(first.name)]: sample(first) };
      }
      case 'block': {
        const out: Record<string, unknown> = {};
        for (const child of arg.arguments ?? []) {
          if (!child.optional && !(child.type === 'pure-token'))
            out[propertyName(child.name)] = sample(child);
        }
        return out;
      }
      default:
        return '1';
    }
  })();
  return arg.multiple ? [one] : one;
}

/** The generator computes `num...` counts of the list that follows (see codegen/src/model.ts). */
function isCount(arg: Arg, next: Arg | undefined): boolean {
  return arg.type === 'integer' && /^num/.test(arg.name) && next?.multiple === true && !arg.optional;
}

function keyNames(args: Arg[], out: string[] = []): string[] {
  for (const arg of args) {
    if (arg.type === 'key') out.push(`cov:${arg.name}`);
    keyNames(arg.arguments ?? [], out);
  }
  return out;
}

function propertyName(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const out = words
    .map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase()))
    .join('');
  return /^[0-9]/.test(out) ? `n${out}` : out;
}

function methodName(command: string): string {
  const words = command
    .toLowerCase()
    .split(/[\s_\-.|]+/)
    .filter(Boolean);
  return words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
}

let server: RedisServer;
beforeAll(async () => {
  server = await startServer({ flavor: 'redis8' });
});
afterAll(async () => {
  await server?.stop();
});

interface Results {
  validated: string[];
  failed: string[];
}
const resp3: Results = { validated: [], failed: [] };
const resp2: Results = { validated: [], failed: [] };
const redisCommands = Object.entries(spec.commands).filter(
  ([name, c]) =>
    c.servers.includes('redis') &&
    (COMMAND_METHODS as Record<string, unknown>)[methodName(name)] !== undefined,
);

type Method = (...a: unknown[]) => Promise<unknown>;

async function check(
  r: TestSender,
  name: string,
  params: unknown[],
  results: Results = resp3,
): Promise<void> {
  const { validated, failed } = results;
  const method = (COMMAND_METHODS as Record<string, Method>)[methodName(name)]!;
  let reply: unknown;
  try {
    reply = await method.apply(r, params);
  } catch (err) {
    failed.push(`${name}: ${(err as Error).message}`);
    return;
  }
  // The raw reply is what the schema describes; a transformed reply was made from it.
  void reply;
  const mismatch = matchesSchema(r.lastRaw, spec.commands[name]!.reply_schema);
  if (mismatch) failed.push(`${name}: reply does not match its schema: ${mismatch}`);
  else validated.push(name);
}

async function runStandalone(protocol: 2 | 3, results: Results): Promise<number> {
  const r = await TestSender.connect(server.port, protocol);
  const targets = redisCommands;
  const skipped = targets.filter(
    ([name]) => EXCEPTIONS[name] !== undefined || EXCEPTIONS[name.split(' ')[0]!] !== undefined,
  );
  for (const [name, command] of targets) {
    if (skipped.some(([n]) => n === name)) continue;
    const args = (command.arguments ?? []).filter(
      (a, i, all) => !a.optional && !(a.type === 'pure-token') && !isCount(a, all[i + 1]),
    );
    const explicit = SAMPLES[name];
    // The generator makes a trailing plain list a rest parameter only when nothing optional follows.
    const hasOptions = (command.arguments ?? []).some((a) => a.optional);
    const params =
      explicit?.params ??
      args.map((a, i) =>
        i === args.length - 1 && !hasOptions && a.multiple && !a.token && !['block', 'oneof'].includes(a.type)
          ? sample({ ...a, multiple: false })
          : sample(a),
      );
    // A clean database, then keys of the type the command's group works on.
    await r.sendCommand(['FLUSHALL', 'SYNC']);
    await r.sendCommand(['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
    const setup = KEY_SETUP[command.group as string];
    for (const key of new Set(keyNames(command.arguments ?? []))) {
      for (const step of setup?.(key) ?? []) await r.sendCommand(step).catch(() => undefined);
    }
    for (const step of explicit?.setup ?? []) await r.sendCommand(step).catch(() => undefined);
    const finalParams = explicit?.prepare ? await explicit.prepare(r) : params;
    await check(r, name, finalParams, results);
  }
  r.close();
  return targets.length - skipped.length;
}

describe('coverage of the generated surface against Redis 8.2', () => {
  it('runs every safe command and checks its reply against its schema (RESP3)', async () => {
    const considered = await runStandalone(3, resp3);
    // At least 90% of the commands that can run on a throwaway standalone server.
    expect(resp3.validated.length / considered).toBeGreaterThanOrEqual(0.9);
  }, 300_000);

  it('RESP2: the same commands, replies converted to the RESP3 shapes, match the schemas too', async () => {
    const considered = await runStandalone(2, resp2);
    console.log(
      `RESP2: ${resp2.validated.length} of ${considered} standalone commands match their schema after conversion.\n  ${resp2.failed.join('\n  ')}`,
    );
    expect(resp2.validated.length / considered).toBeGreaterThanOrEqual(0.9);
  }, 300_000);

  it('runs the cluster commands against a real 3-master cluster', async () => {
    await using cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
    const node = cluster.masters[0]!;
    const other = cluster.masters[1]!;
    const replica = cluster.replicas.find((x) => x.initialMasterId === node.id)!;
    const r = await TestSender.connect(node.port);
    const slot = node.slots![0];
    for (const name of [
      'CLUSTER INFO',
      'CLUSTER MYID',
      'CLUSTER MYSHARDID',
      'CLUSTER NODES',
      'CLUSTER SHARDS',
      'CLUSTER SLOTS',
      'CLUSTER LINKS',
      'CLUSTER HELP',
      'CLUSTER BUMPEPOCH',
      'CLUSTER SAVECONFIG',
      'READONLY',
      'READWRITE',
      'ASKING',
    ]) {
      await check(r, name, []);
    }
    await check(r, 'CLUSTER KEYSLOT', ['cov']);
    // A key served elsewhere: MOVED, typed, with the slot (same as keySlot) and the owner.
    const owns = (n: typeof node, slot: number) => slot >= n.slots![0] && slot <= n.slots![1];
    const foreign = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => !owns(node, keySlot(k)))!;
    await using client = await createClient({ port: node.port }).connect();
    const moved = await client.get(foreign).catch((e: Error) => e);
    expect(moved).toBeInstanceOf(MovedError);
    expect((moved as MovedError).slot).toBe(keySlot(foreign));
    expect((moved as MovedError).slot).toBe(Number(await client.clusterKeyslot(foreign)));
    for (const key of [
      'foo{}{bar}',
      'foo{{bar}}zap',
      '{a}{b}',
      'ключ{é}',
      '',
      '{',
      '}{x}',
      'x'.repeat(300),
    ]) {
      expect(keySlot(key), key).toBe(Number(await client.clusterKeyslot(key)));
    }
    const owner = cluster.masters.find((m) => owns(m, keySlot(foreign)))!;
    expect((moved as MovedError).port).toBe(owner.port);
    await check(r, 'CLUSTER COUNTKEYSINSLOT', [slot]);
    await check(r, 'CLUSTER GETKEYSINSLOT', [slot, 1]);
    await check(r, 'CLUSTER COUNT-FAILURE-REPORTS', [other.id]);
    await check(r, 'CLUSTER REPLICAS', [node.id]);
    await check(r, 'CLUSTER SLAVES', [node.id]);
    await check(r, 'CLUSTER SLOT-STATS', [{ slotsrange: { startSlot: 0, endSlot: 5 } }]);
    // Reversible slot changes on the node that owns the slot.
    await check(r, 'CLUSTER DELSLOTSRANGE', [[{ startSlot: slot, endSlot: slot }]]);
    await check(r, 'CLUSTER ADDSLOTSRANGE', [[{ startSlot: slot, endSlot: slot }]]);
    await check(r, 'CLUSTER DELSLOTS', [slot]);
    await check(r, 'CLUSTER ADDSLOTS', [slot]);
    await check(r, 'CLUSTER SETSLOT', [slot, { node: node.id }]);
    await check(r, 'CLUSTER MEET', ['127.0.0.1', other.port]);
    r.close();
    // A replica takes over its master.
    const onReplica = await TestSender.connect(replica.port);
    await check(onReplica, 'CLUSTER FAILOVER', []);
    onReplica.close();
    // A node taken out of the cluster: flush its slots, reset it, give it an epoch.
    const leaving = await TestSender.connect(cluster.masters[2]!.port);
    await leaving.sendCommand(['FLUSHALL']);
    await check(leaving, 'CLUSTER FLUSHSLOTS', []);
    await check(leaving, 'CLUSTER RESET', [{ resetType: 'HARD' }]);
    await check(leaving, 'CLUSTER SET-CONFIG-EPOCH', [7]);
    leaving.close();
  }, 120_000);

  it('covers at least 90% of the core commands of Redis 8.2', () => {
    const { validated, failed } = resp3;
    const exercised = new Set(validated);
    const notRun = redisCommands
      .map(([n]) => n)
      .filter((n) => !exercised.has(n) && !failed.some((f) => f.startsWith(`${n}:`)));
    console.log(
      `${exercised.size} of ${redisCommands.length} commands exercised with a reply matching its declared type.\n` +
        `Not yet (${failed.length}):\n  ${failed.join('\n  ')}\nNot run (${notRun.length}): ` +
        notRun
          .map((n) => `${n} (${EXCEPTIONS[n] ?? EXCEPTIONS[n.split(' ')[0]!] ?? 'no sample'})`)
          .join(', '),
    );
    expect(exercised.size / redisCommands.length).toBeGreaterThanOrEqual(0.9);
  });
});
