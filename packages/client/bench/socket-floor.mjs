// The physical floor of a Node.js client for one-at-a-time commands: a bare net.Socket that writes
// each command (a string of a few dozen bytes, built per call: ~1 µs against a 100+ µs round
// trip) and waits for exactly its reply, framed by the little it needs to know
// (`+OK\r\n` or `$<len>\r\n<bytes>\r\n`), with no RESP decoder, no queue, no options. A reply
// that spans chunks is gathered into one Buffer (one copy, as any client must to hand out one
// Buffer); string mode decodes it as UTF-8. It answers only set/get/getBuffer with one command
// in flight: a yardstick for the latency- and bandwidth-bound cases, not a client.
import net from 'node:net';

const CR = 13;

/** A RESP command's bytes. */
const command = (...args) =>
  Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);

export async function socketFloor(port) {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let waiting; // { resolve, reject, asString }
  let chunks = [];
  let have = 0;
  let need = -1; // total bytes of the reply being read, once its header is in
  let headerLength = 0;
  socket.on('data', (chunk) => {
    chunks.push(chunk);
    have += chunk.length;
    if (need < 0) {
      const first = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const cr = first.indexOf(CR);
      if (cr < 0) return;
      if (first[0] === 0x2b)
        need = cr + 2; // +OK
      else if (first[0] === 0x24) {
        headerLength = cr + 2;
        need = headerLength + Number(first.latin1Slice(1, cr)) + 2;
      } else {
        waiting?.reject(new Error(`unexpected reply ${first.latin1Slice(0, cr)}`));
        return;
      }
    }
    if (have < need) return;
    if (have > need) waiting?.reject(new Error('more bytes than one reply'));
    const whole = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, have);
    const { resolve, asString } = waiting;
    chunks = [];
    have = 0;
    need = -1;
    waiting = undefined;
    if (whole[0] === 0x2b) resolve(whole.latin1Slice(1, whole.length - 2));
    else {
      const body = whole.subarray(headerLength, whole.length - 2);
      resolve(asString ? body.toString('utf8') : body);
    }
  });
  const send = (bytes, asString) =>
    new Promise((resolve, reject) => {
      waiting = { resolve, reject, asString };
      socket.write(bytes);
    });
  return {
    set: (k, v) => send(command('SET', k, v), true),
    get: (k) => send(command('GET', k), true),
    getBuffer: (k) => send(command('GET', k), false),
    close: async () => socket.destroy(),
  };
}
