/**
 * Real servers for pyrsedis tests, benchmarks and the demo: Redis 8.2 (+ FalkorDB 4.16),
 * Valkey 8, Redis 7.0; standalone, cluster, sentinel and TLS; all on 127.0.0.1.
 * Private workspace package, never published.
 */
export {
  AdminConnection,
  type AdminReply,
  AdminReplyError,
  type AdminTarget,
  parseInfo,
} from './admin-connection.js';
export { type ClusterNode, type RedisCluster, type StartClusterOptions, startCluster } from './cluster.js';
export {
  ensureServer,
  FLAVORS,
  type Flavor,
  type ProvisionOptions,
  privateAptState,
  provision,
  type ServerBinary,
} from './provision.js';
export { type RedisSentinelGroup, type StartSentinelOptions, startSentinel } from './sentinel.js';
export {
  type AclUser,
  kill,
  pause,
  type RedisServer,
  restart,
  type ServerTlsOptions,
  type StartServerOptions,
  startServer,
} from './server.js';
export { sweep } from './sweep.js';
export { type TlsMaterial, testCertificates } from './tls.js';
export { HarnessError, waitFor } from './util.js';
