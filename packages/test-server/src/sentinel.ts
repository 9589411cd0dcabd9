// A master, its replicas and the sentinels monitoring it, all on 127.0.0.1.

import { parseInfo } from './admin-connection.js';
import type { Flavor } from './provision.js';
import { launchNode, type RedisServer, type ServerProcess } from './server.js';
import { HarnessError, waitFor } from './util.js';

/** What {@link startSentinel} starts. */
export interface StartSentinelOptions {
  /** Replicas of the master; default 2. */
  replicas?: number;
  /** Sentinel processes; default 3. */
  sentinels?: number;
  /** Default `redis8`. */
  flavor?: Flavor;
  /** The monitored master's name; default `mymaster`. */
  masterName?: string;
  /** Password of the data nodes (sentinels get `auth-pass`). */
  password?: string;
  falkordb?: boolean;
  /** `down-after-milliseconds`; default 1000 so failover tests finish quickly. */
  downAfterMs?: number;
  /** `failover-timeout`; default 10000. */
  failoverTimeoutMs?: number;
}

/** A running sentinel deployment. */
export interface RedisSentinelGroup extends AsyncDisposable {
  readonly masterName: string;
  /** The node that was master at startup. */
  readonly master: RedisServer;
  readonly replicas: readonly RedisServer[];
  readonly sentinels: readonly RedisServer[];
  /** `host:port` of every sentinel: seeds for a sentinel client. */
  readonly sentinelAddresses: readonly { host: string; port: number }[];
  /** `redis+sentinel://` URL naming every sentinel and the master name. */
  readonly url: string;
  /** The master address the first reachable sentinel reports now. */
  currentMaster(): Promise<{ host: string; port: number }>;
  stop(): Promise<void>;
}

/** Starts a master with `replicas` replicas and `sentinels` sentinels that agree on it. */
export async function startSentinel(options: StartSentinelOptions = {}): Promise<RedisSentinelGroup> {
  if (process.env.PYRSEDIS_TEST_BACKEND === 'docker') {
    throw new HarnessError(
      'startSentinel has no docker backend yet: unset PYRSEDIS_TEST_BACKEND to use local processes',
    );
  }
  const flavor = options.flavor ?? 'redis8';
  const masterName = options.masterName ?? 'mymaster';
  const replicaCount = options.replicas ?? 2;
  const sentinelCount = options.sentinels ?? 3;
  if (!Number.isInteger(sentinelCount) || sentinelCount < 1)
    throw new HarnessError(`sentinels must be an integer >= 1, got ${String(sentinelCount)}`);
  if (!Number.isInteger(replicaCount) || replicaCount < 0)
    throw new HarnessError(`replicas must be an integer >= 0, got ${String(replicaCount)}`);
  const quorum = Math.floor(sentinelCount / 2) + 1;
  const started: ServerProcess[] = [];
  try {
    const common = { flavor, password: options.password, falkordb: options.falkordb };
    const master = await launchNode(common);
    started.push(master);
    const replicas: ServerProcess[] = [];
    for (let i = 0; i < replicaCount; i++) {
      const replica = await launchNode({ ...common, lines: [['replicaof', '127.0.0.1', master.port]] });
      started.push(replica);
      replicas.push(replica);
    }
    await waitFor(
      'replicas to sync with the master',
      async () => {
        for (const replica of replicas) {
          const info = parseInfo(String(await replica.call('INFO', 'replication')));
          if (info.master_link_status !== 'up') return false;
        }
        return true;
      },
      30_000,
    );
    const monitor: (string | number)[][] = [
      ['sentinel', 'monitor', masterName, '127.0.0.1', master.port, quorum],
      ['sentinel', 'down-after-milliseconds', masterName, options.downAfterMs ?? 1000],
      ['sentinel', 'failover-timeout', masterName, options.failoverTimeoutMs ?? 10_000],
      ['sentinel', 'parallel-syncs', masterName, 1],
    ];
    if (options.password !== undefined) monitor.push(['sentinel', 'auth-pass', masterName, options.password]);
    const sentinels: ServerProcess[] = [];
    for (let i = 0; i < sentinelCount; i++) {
      // Sentinels rewrite their own config file; the directives are appended after the base ones.
      const sentinel = await launchNode({ flavor, lines: monitor, extraArgs: ['--sentinel'] });
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    const group = new SentinelGroup(masterName, master, replicas, sentinels);
    await waitFor(
      'sentinels to agree on the master and discover replicas and each other',
      async () => {
        for (const sentinel of sentinels) {
          const addr = await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName);
          if (!Array.isArray(addr) || Number(addr[1]) !== master.port) return false;
          const seenReplicas = await sentinel.call('SENTINEL', 'REPLICAS', masterName);
          if (!Array.isArray(seenReplicas) || seenReplicas.length !== replicaCount) return false;
          const peers = await sentinel.call('SENTINEL', 'SENTINELS', masterName);
          if (!Array.isArray(peers) || peers.length !== sentinelCount - 1) return false;
        }
        return true;
      },
      60_000,
      100,
    );
    return group;
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    throw err;
  }
}

class SentinelGroup implements RedisSentinelGroup {
  constructor(
    readonly masterName: string,
    readonly master: ServerProcess,
    readonly replicas: readonly ServerProcess[],
    readonly sentinels: readonly ServerProcess[],
  ) {}

  get sentinelAddresses(): { host: string; port: number }[] {
    return this.sentinels.map((s) => ({ host: s.host, port: s.port }));
  }

  get url(): string {
    const hosts = this.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
    return `redis+sentinel://${hosts}/${encodeURIComponent(this.masterName)}`;
  }

  async currentMaster(): Promise<{ host: string; port: number }> {
    let lastError: unknown;
    for (const sentinel of this.sentinels) {
      if (!sentinel.running) continue;
      try {
        const addr = await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName);
        if (Array.isArray(addr)) return { host: String(addr[0]), port: Number(addr[1]) };
      } catch (err) {
        lastError = err;
      }
    }
    throw new HarnessError(
      `no sentinel could name the master: ${(lastError as Error | undefined)?.message ?? 'none running'}`,
    );
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.replicas, this.master].map((s) => s.stop()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
