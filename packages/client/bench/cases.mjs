// The scenarios of the client benchmark, shared by the Node contenders (client.bench.mjs) and the
// Bun runner (bun-runner.mjs), so every client runs the very same code. Each case calls only the
// adapter shape: set, get, getBuffer, pipelineSet, hgetall, lrange (see client.bench.mjs).
// The data (keys g100, big1, big32, h10k, l100k) is written by client.bench.mjs before any case.

export const MIB = 1024 * 1024;
export const PIPELINE_SIZE = 5000;
/** Pipelines run back to back in the steady-state case. */
export const STEADY_PIPELINES = 20;
export const HASH_FIELDS = 10_000;
export const LIST_ELEMENTS = 100_000;

/** Keys of the pipeline cases, made once so that no contender pays for building them. */
const pipelineKeys = Array.from({ length: PIPELINE_SIZE }, (_, i) => `p:${i}`);

const allOk = (replies) =>
  Array.isArray(replies) &&
  replies.length === PIPELINE_SIZE &&
  // ioredis pipelines answer [error, reply] pairs; every other client answers the replies.
  replies.every((r) => (Array.isArray(r) ? r[0] === null && r[1] === 'OK' : r === 'OK'));

const isBytes = (value, length) => ArrayBuffer.isView(value) && value.byteLength === length;

/** Reads one character from the end: forces a client's deferred (rope) string to be flattened. */
const touch = (text) => (typeof text === 'string' ? text.charCodeAt(text.length - 1) : text);

/** Counts fields of a hash reply: an object for most clients, a list of {field, value} in GLIDE. */
const fieldCount = (reply) => (Array.isArray(reply) ? reply.length : Object.keys(reply ?? {}).length);

/**
 * The cases, in order. `socketFloor` marks the one-command-at-a-time cases that the bare-socket
 * yardstick (socket-floor.mjs) can run. `needs` names the adapter method the case relies on beyond set/get, so a
 * client without it is reported as not available (with its reason) instead of being faked.
 * `check` returns a problem description, or undefined when the result is right.
 */
export function makeCases({ quick = false } = {}) {
  const concurrentTotal = quick ? 40_000 : 200_000;
  return [
    {
      id: 'pipeline-tick',
      name: 'pipeline SET x5,000 (issued in one tick)',
      ops: PIPELINE_SIZE,
      reference: 'redis-benchmark',
      run: (c) => Promise.all(pipelineKeys.map((k) => c.set(k, 'value'))),
      check: (r) => (allOk(r) ? undefined : 'not 5,000 OK replies'),
    },
    {
      id: 'pipeline-explicit',
      name: 'pipeline SET x5,000 (explicit pipeline API)',
      ops: PIPELINE_SIZE,
      needs: 'pipelineSet',
      reference: 'redis-benchmark',
      run: (c) => c.pipelineSet(pipelineKeys, 'value'),
      check: (r) => (allOk(r) ? undefined : 'not 5,000 OK replies'),
    },
    {
      // What redis-benchmark itself measures: pipelines back to back on one connection, the steady
      // state (the cases above time one pipeline after a full GC: a cold start it never pays).
      id: 'pipeline-steady',
      name: `pipeline SET x5,000, ${STEADY_PIPELINES} back to back (explicit pipeline API)`,
      ops: PIPELINE_SIZE * STEADY_PIPELINES,
      pipelines: STEADY_PIPELINES,
      needs: 'pipelineSet',
      reference: 'redis-benchmark',
      run: async (c) => {
        let last;
        for (let i = 0; i < STEADY_PIPELINES; i++) last = await c.pipelineSet(pipelineKeys, 'value');
        return last;
      },
      check: (r) => (allOk(r) ? undefined : 'not 5,000 OK replies'),
    },
    {
      id: 'set-get-sequential',
      name: 'SET+GET x1,000, each awaited',
      ops: 2000,
      socketFloor: true,
      run: async (c) => {
        let last;
        for (let i = 0; i < 1000; i++) {
          await c.set('seq', 'v');
          last = await c.get('seq');
        }
        return last;
      },
      check: (r) => (r === 'v' ? undefined : `GET answered ${r}`),
    },
    {
      id: 'get-concurrent',
      name: `${concurrentTotal / 1000}k GET of 100 B, 1,000 in flight`,
      ops: concurrentTotal,
      run: async (c) => {
        let left = concurrentTotal;
        let last;
        const worker = async () => {
          while (left-- > 0) last = await c.get('g100');
        };
        await Promise.all(Array.from({ length: 1000 }, worker));
        return last;
      },
      check: (r) => (typeof r === 'string' && r.length === 100 ? undefined : 'not the 100-byte value'),
    },
    ...bigGets('1 MiB', 'big1', MIB, 50),
    ...bigGets('32 MiB', 'big32', 32 * MIB, 3),
    {
      id: 'hgetall-10k',
      name: 'HGETALL of a 10k-field hash x10',
      ops: 10 * HASH_FIELDS,
      run: async (c) => {
        let last;
        for (let i = 0; i < 10; i++) last = await c.hgetall('h10k');
        return last;
      },
      check: (r) => (fieldCount(r) === HASH_FIELDS ? undefined : `${fieldCount(r)} fields`),
    },
    {
      id: 'lrange-100k',
      name: 'LRANGE of 100k elements x5',
      ops: 5 * LIST_ELEMENTS,
      run: async (c) => {
        let last;
        for (let i = 0; i < 5; i++) last = await c.lrange('l100k', 0, -1);
        return last;
      },
      check: (r) => (Array.isArray(r) && r.length === LIST_ELEMENTS ? undefined : 'wrong length'),
    },
  ];
}

function bigGets(label, key, size, times) {
  const id = label.replace(' ', '').toLowerCase();
  return [
    {
      id: `get-${id}-buffer`,
      name: `GET ${label} x${times} (Buffer)`,
      ops: times,
      bytes: times * size,
      socketFloor: true,
      run: async (c) => {
        let last;
        for (let i = 0; i < times; i++) last = await c.getBuffer(key);
        return last;
      },
      check: (r) => (isBytes(r, size) ? undefined : 'not the bytes of the value'),
    },
    {
      id: `get-${id}-string`,
      name: `GET ${label} x${times} (string)`,
      ops: times,
      bytes: times * size,
      socketFloor: true,
      run: async (c) => {
        let last;
        for (let i = 0; i < times; i++) {
          last = await c.get(key);
          touch(last);
        }
        return last;
      },
      check: (r) => (typeof r === 'string' && r.length === size ? undefined : 'not the string value'),
    },
  ];
}
