// Runs under Bun (spawned by test/bun.test.ts with a server's port): the client's core paths on
// another runtime. Prints one JSON line with the results; exits non-zero on any failure.
import assert from 'node:assert/strict';
import { createClient, ReplyError, withBuffers } from '../../dist/index.js';

const port = Number(process.env.PYRSEDIS_PORT);
const results = [];
async function check(name, fn) {
  try {
    await fn();
    results.push({ name, ok: true });
  } catch (err) {
    results.push({ name, ok: false, error: String(err?.stack ?? err) });
  }
}

const client = createClient({ port });
await client.connect();
await check('typed commands', async () => {
  assert.equal(await client.set('bun:k', 'v', { expiration: { seconds: 60 } }), 'OK');
  assert.equal(await client.get('bun:k'), 'v');
});
await check('auto-pipelining 10k', async () => {
  const replies = await Promise.all(Array.from({ length: 10_000 }, () => client.incr('bun:n')));
  assert.equal(replies.at(-1), 10_000);
});
await check('error replies in place', async () => {
  const [a, b] = await client.pipeline().set('bun:s', 'x').lpush('bun:s', 'y').exec();
  assert.equal(a, 'OK');
  assert.ok(b instanceof ReplyError);
  assert.equal(b.code, 'WRONGTYPE');
});
await check('Buffer view', async () => {
  const bytes = Buffer.from([0, 255, 13, 10]);
  await client.set('bun:b', bytes);
  assert.ok((await withBuffers(client).get('bun:b')).equals(bytes));
});
await check('transaction', async () => {
  assert.deepEqual(await client.multi().set('bun:t', '1').incr('bun:t').exec(), ['OK', 2]);
});
await check('pub/sub', async () => {
  const other = await createClient({ port }).connect();
  const got = [];
  await client.subscribe('bun:ch', (message) => got.push(message));
  assert.equal(await other.publish('bun:ch', 'hi'), 1);
  await client.ping();
  assert.deepEqual(got, ['hi']);
  await other.close();
});
await check('blocking command on a leased connection', async () => {
  const popped = client.blpop(['bun:q'], 0);
  assert.equal(await client.lpush('bun:q', 'item'), 1);
  assert.deepEqual(await popped, ['bun:q', 'item']);
});
await client.close();
console.log(JSON.stringify({ runtime: typeof Bun === 'undefined' ? 'node' : `bun ${Bun.version}`, results }));
process.exit(results.every((r) => r.ok) ? 0 : 1);
