// A real Redis Cluster on 127.0.0.1: slots assigned, replicas attached, cluster_state:ok awaited.

import { type AdminReply, parseInfo } from './admin-connection.js';
import type { Flavor } from './provision.js';
import { launchNode, type RedisServer, type ServerProcess } from './server.js';
import { HarnessError, waitFor } from './util.js';

/** What {@link startCluster} starts. */
export interface StartClusterOptions {
  /** Number of masters; default 3. */
  masters?: number;
  /** Replicas per master; default 1. */
  replicasPerMaster?: number;
  /** Default `redis8`. */
  flavor?: Flavor;
  falkordb?: boolean;
  password?: string;
  /** `cluster-node-timeout`; default 2000 ms so failover tests finish quickly. */
  nodeTimeoutMs?: number;
  config?: Record<string, string | number | readonly (string | number)[]>;
}

/** One node of a harness cluster. */
export interface ClusterNode extends RedisServer {
  /** The node's cluster id (`CLUSTER MYID`). */
  readonly id: string;
  /** Its role when the cluster was formed. */
  readonly initialRole: 'master' | 'replica';
  /** For a replica: the id of the master it was attached to. */
  readonly initialMasterId: string | undefined;
  /** Slot range `[first, last]` for a master. */
  readonly slots: readonly [number, number] | undefined;
}

/** A running cluster. */
export interface RedisCluster extends AsyncDisposable {
  readonly nodes: readonly ClusterNode[];
  /** The nodes that were masters when the cluster formed. */
  readonly masters: readonly ClusterNode[];
  readonly replicas: readonly ClusterNode[];
  /** `host:port` of every node: seeds for a cluster client. */
  readonly seeds: readonly { host: string; port: number }[];
  /** `redis+cluster://` URL listing every node. */
  readonly url: string;
  /** Waits until every running node reports `cluster_state:ok`. */
  waitForHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

class Node {
  constructor(
    readonly server: ServerProcess,
    readonly id: string,
    readonly initialRole: 'master' | 'replica',
    readonly initialMasterId: string | undefined,
    readonly slots: readonly [number, number] | undefined,
  ) {}
}

function asNode(node: Node): ClusterNode {
  // The node is the server object itself, with the cluster facts added.
  return Object.assign(node.server, {
    id: node.id,
    initialRole: node.initialRole,
    initialMasterId: node.initialMasterId,
    slots: node.slots,
  }) as unknown as ClusterNode;
}

async function clusterInfo(node: ServerProcess): Promise<Record<string, string>> {
  return parseInfo(String(await node.call('CLUSTER', 'INFO')));
}

function parseNodes(reply: AdminReply): { id: string; flags: string; master: string; link: string }[] {
  return String(reply)
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', , flags = '', master = '', , , , link = ''] = line.split(' ');
      return { id, flags, master, link };
    });
}

/** Starts `masters` × (1 + `replicasPerMaster`) nodes and forms a cluster covering all 16384 slots. */
export async function startCluster(options: StartClusterOptions = {}): Promise<RedisCluster> {
  if (process.env.PYRSEDIS_TEST_BACKEND === 'docker') {
    throw new HarnessError(
      'startCluster has no docker backend yet: unset PYRSEDIS_TEST_BACKEND to use local processes',
    );
  }
  const masters = options.masters ?? 3;
  const replicasPerMaster = options.replicasPerMaster ?? 1;
  if (!Number.isInteger(masters) || masters < 1 || masters > 16)
    throw new HarnessError('masters must be 1..16');
  if (!Number.isInteger(replicasPerMaster) || replicasPerMaster < 0) {
    throw new HarnessError('replicasPerMaster must be a whole number >= 0');
  }
  const flavor = options.flavor ?? 'redis8';
  const total = masters * (1 + replicasPerMaster);
  const started: ServerProcess[] = [];
  try {
    // Start nodes one at a time on a 2-core machine; each gets its own bus port.
    for (let i = 0; i < total; i++) {
      started.push(
        await launchNode({
          flavor,
          falkordb: options.falkordb,
          password: options.password,
          config: options.config,
          lines: [
            ['cluster-enabled', 'yes'],
            ['cluster-config-file', 'nodes.conf'],
            ['cluster-node-timeout', options.nodeTimeoutMs ?? 2000],
          ],
          clusterBus: true,
        }),
      );
    }
    const ids = await Promise.all(started.map(async (s) => String(await s.call('CLUSTER', 'MYID'))));
    const nodes: Node[] = [];
    for (let m = 0; m < masters; m++) {
      const first = Math.floor((m * 16384) / masters);
      const last = Math.floor(((m + 1) * 16384) / masters) - 1;
      const server = started[m]!;
      await server.call('CLUSTER', 'ADDSLOTSRANGE', first, last);
      // Distinct epochs up front, as redis-cli --cluster create does, so no collision round is needed.
      await server.call('CLUSTER', 'SET-CONFIG-EPOCH', m + 1);
      nodes.push(new Node(server, ids[m]!, 'master', undefined, [first, last]));
    }
    const first = started[0]!;
    for (let i = 1; i < total; i++) {
      await first.call('CLUSTER', 'MEET', '127.0.0.1', started[i]!.port, started[i]!.busPort!);
    }
    await waitFor(
      'every node to know every other node',
      async () => {
        for (const s of started) {
          const known = parseNodes(await s.call('CLUSTER', 'NODES'));
          if (
            known.length !== total ||
            known.some((n) => n.flags.includes('handshake') || n.link !== 'connected')
          ) {
            return false;
          }
        }
        return true;
      },
      30_000,
    );
    for (let r = 0; r < masters * replicasPerMaster; r++) {
      const index = masters + r;
      const master = nodes[r % masters]!;
      await started[index]!.call('CLUSTER', 'REPLICATE', master.id);
      nodes.push(new Node(started[index]!, ids[index]!, 'replica', master.id, undefined));
    }
    const cluster = new Cluster(nodes.map(asNode), masters, total);
    await cluster.waitForHealthy(60_000);
    return cluster;
  } catch (err) {
    const tails = started.map((s) => `--- ${s.port} ---\n${s.logTail(10)}`).join('\n');
    await Promise.all(started.map((s) => s.stop()));
    if (err instanceof HarnessError && !err.message.includes('--- ')) {
      throw new HarnessError(`${err.message}\n${tails}`);
    }
    throw err;
  }
}

class Cluster implements RedisCluster {
  readonly nodes: readonly ClusterNode[];
  readonly masters: readonly ClusterNode[];
  readonly replicas: readonly ClusterNode[];
  #total: number;

  constructor(nodes: ClusterNode[], masters: number, total: number) {
    this.nodes = nodes;
    this.masters = nodes.slice(0, masters);
    this.replicas = nodes.slice(masters);
    this.#total = total;
  }

  get seeds(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: n.host, port: n.port }));
  }

  get url(): string {
    return `redis+cluster://${this.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  }

  async waitForHealthy(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      'cluster_state:ok with every replica linked',
      async () => {
        for (const node of this.nodes) {
          if (!node.running) continue;
          const info = await clusterInfo(node as unknown as ServerProcess);
          if (info.cluster_state !== 'ok' || info.cluster_slots_assigned !== '16384') return false;
          if (Number(info.cluster_known_nodes) !== this.#total) return false;
        }
        // Judged by the roles now (after a failover a replica is a master, and a restarted old
        // master a replica): every node that is a replica must be linked to its master.
        let replicas = 0;
        const views: string[][][] = [];
        for (const node of this.nodes) {
          if (!node.running) continue;
          const repl = parseInfo(String(await node.call('INFO', 'replication')));
          const view = String(await node.call('CLUSTER', 'NODES'))
            .trim()
            .split('\n')
            .map((line) => line.trim().split(' '));
          views.push(view);
          if (repl.role === 'slave') {
            if (repl.master_link_status !== 'up') return false;
            replicas++;
            continue;
          }
          // A master must serve slots: one without is a replica not attached yet.
          const me = view.find((fields) => fields[2]?.includes('myself'));
          if (me === undefined || me.length < 9) return false;
        }
        // Every node sees the same replicas (the gossip has converged).
        const seen = (view: string[][]) =>
          view.filter((fields) => fields[2]?.includes('slave') && !fields[2].includes('fail')).length;
        return views.every((view) => seen(view) === replicas);
      },
      timeoutMs,
      100,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
