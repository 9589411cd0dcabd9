import { describe, expect, it } from 'vitest';
import { parseInfo, startCluster, startSentinel, waitFor } from '../src/index.js';

describe('startCluster', () => {
  it('forms 3 masters and 3 replicas covering 16384 slots, and survives a master failure', async () => {
    await using cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
    expect(cluster.nodes).toHaveLength(6);
    const info = parseInfo(String(await cluster.nodes[0]!.call('CLUSTER', 'INFO')));
    expect(info.cluster_state).toBe('ok');
    expect(info.cluster_slots_assigned).toBe('16384');
    expect(info.cluster_size).toBe('3');
    expect(info.cluster_known_nodes).toBe('6');
    const lines = String(await cluster.nodes[3]!.call('CLUSTER', 'NODES'))
      .trim()
      .split('\n');
    expect(lines.filter((l) => l.split(' ')[2]!.includes('master'))).toHaveLength(3);
    expect(lines.filter((l) => l.split(' ')[2]!.includes('slave'))).toHaveLength(3);
    const covered = cluster.masters.reduce((n, m) => n + m.slots![1] - m.slots![0] + 1, 0);
    expect(covered).toBe(16384);
    expect(cluster.url).toMatch(/^redis\+cluster:\/\/(127\.0\.0\.1:\d+,){5}127\.0\.0\.1:\d+$/);

    // Kill a master: its replica takes over and the cluster is healthy again.
    const victim = cluster.masters[0]!;
    const heir = cluster.replicas.find((r) => r.initialMasterId === victim.id)!;
    await victim.kill();
    await waitFor(
      'the replica to be promoted',
      async () => parseInfo(String(await heir.call('INFO', 'replication'))).role === 'master',
      30_000,
      100,
    );
    await waitFor(
      'cluster_state:ok after failover',
      async () => parseInfo(String(await heir.call('CLUSTER', 'INFO'))).cluster_state === 'ok',
      30_000,
      100,
    );
    // The old master comes back as a replica of its heir.
    await victim.restart();
    await waitFor(
      'the old master to rejoin as a replica',
      async () => parseInfo(String(await victim.call('INFO', 'replication'))).role === 'slave',
      30_000,
      100,
    );
    // Healthy by the roles now (it waited on the initial roles, forever, after a failover).
    await cluster.waitForHealthy(30_000);
  });
});

describe('startSentinel', () => {
  it('starts a master, 2 replicas and 3 sentinels that agree, and fails over when the master dies', async () => {
    await using group = await startSentinel({ replicas: 2, sentinels: 3 });
    for (const sentinel of group.sentinels) {
      const addr = await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster');
      expect(addr).toEqual(['127.0.0.1', String(group.master.port)]);
    }
    const replication = parseInfo(String(await group.master.call('INFO', 'replication')));
    expect(replication.role).toBe('master');
    expect(replication.connected_slaves).toBe('2');
    expect(group.url).toMatch(/^redis\+sentinel:\/\/(127\.0\.0\.1:\d+,){2}127\.0\.0\.1:\d+\/mymaster$/);

    await group.master.kill();
    const promoted = await waitFor(
      'the sentinels to promote a replica',
      async () => {
        const now = await group.currentMaster();
        return now.port !== group.master.port ? now : undefined;
      },
      30_000,
      100,
    );
    expect(group.replicas.map((r) => r.port)).toContain(promoted.port);
  });
});
