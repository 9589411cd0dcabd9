// The optional Docker backend (PYRSEDIS_TEST_BACKEND=docker): the same startServer() on
// containers, through testcontainers, for machines that run a Docker engine.
import type { AdminReply } from './admin-connection.js';
import { AdminConnection } from './admin-connection.js';
import type { RedisServer, StartServerOptions } from './server.js';
import { HarnessError } from './util.js';

const IMAGES = {
  redis8: 'redis:8.2.3',
  valkey8: 'valkey/valkey:8.0.1',
  redis7: 'redis:7.0.15',
} as const;
const FALKORDB_IMAGE = 'falkordb/falkordb:v4.16.3';

/** @internal Starts a server in a container; supports flavor, falkordb, password and config. */
export async function startDockerServer(options: StartServerOptions): Promise<RedisServer> {
  const flavor = options.flavor ?? 'redis8';
  if (options.tls || options.users?.length) {
    throw new HarnessError(
      'the docker backend does not support tls or users yet: unset PYRSEDIS_TEST_BACKEND',
    );
  }
  if (options.falkordb && flavor !== 'redis8') {
    throw new HarnessError(
      "the docker backend runs FalkorDB only as flavor 'redis8' (the falkordb/falkordb image)",
    );
  }
  let testcontainers: typeof import('testcontainers');
  try {
    testcontainers = await import('testcontainers');
  } catch {
    throw new HarnessError(
      'PYRSEDIS_TEST_BACKEND=docker needs the testcontainers package: npm install -D testcontainers',
    );
  }
  const { GenericContainer, Wait } = testcontainers;
  const args = ['--save', '', '--appendonly', 'no'];
  if (options.password !== undefined) args.push('--requirepass', options.password);
  for (const [key, value] of Object.entries(options.config ?? {}))
    args.push(`--${key}`, ...(Array.isArray(value) ? value.map(String) : [String(value)]));
  const image = options.falkordb ? FALKORDB_IMAGE : IMAGES[flavor];
  const server = flavor === 'valkey8' ? 'valkey-server' : 'redis-server';
  const moduleArgs = options.falkordb ? ['--loadmodule', '/var/lib/falkordb/bin/falkordb.so'] : [];
  let container: Awaited<ReturnType<InstanceType<typeof GenericContainer>['start']>>;
  try {
    container = await new GenericContainer(image)
      .withExposedPorts(6379)
      .withCommand([server, ...args, ...moduleArgs])
      .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
      .start();
  } catch (err) {
    throw new HarnessError(
      `PYRSEDIS_TEST_BACKEND=docker but no container could be started (${(err as Error).message}). ` +
        'Is a Docker engine running? Unset PYRSEDIS_TEST_BACKEND to use local server processes.',
    );
  }
  const host = container.getHost();
  const port = container.getMappedPort(6379);
  const password = options.password;
  let stopped = false;
  const unsupported = (what: string) =>
    Promise.reject(new HarnessError(`${what} is not supported on the docker backend`));
  const node: RedisServer = {
    flavor,
    version: image.split(':')[1] ?? '',
    host,
    port,
    url: `redis://${password === undefined ? '' : `:${encodeURIComponent(password)}@`}${host}:${port}`,
    tls: undefined,
    password,
    pid: -1,
    dir: '',
    get running() {
      return !stopped;
    },
    async call(...callArgs: (string | number)[]): Promise<AdminReply> {
      const conn = await AdminConnection.connect({ host, port, password });
      try {
        return await conn.call(...callArgs);
      } finally {
        conn.close();
      }
    },
    logTail: () => '',
    kill: () => unsupported('kill'),
    pause: () => unsupported('pause'),
    resume: () => {},
    restart: async () => {
      await container.restart();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await container.stop();
    },
    async [Symbol.asyncDispose]() {
      await this.stop();
    },
  };
  return node;
}
