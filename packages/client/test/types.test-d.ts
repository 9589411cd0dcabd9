// Type tests of the generated surface, checked by `tsc --noEmit` (npm run typecheck): a wrong
// reply or parameter type here fails the build.
import { expectTypeOf } from 'vitest';
import type { InfoSections, ScoredMember } from '../src/commands/transforms.js';
import type { Commands } from '../src/generated/commands.js';
import { type ReplyError, withBuffers } from '../src/index.js';

declare const r: Commands;
declare const b: Commands<Buffer>;

expectTypeOf(r.get('k')).toEqualTypeOf<Promise<string | null>>();
expectTypeOf(b.get('k')).toEqualTypeOf<Promise<Buffer | null>>();
expectTypeOf(r.set('k', 'v', { expiration: { seconds: 1 } })).toEqualTypeOf<Promise<null | 'OK' | string>>();
expectTypeOf(r.incr('n')).toEqualTypeOf<Promise<number>>();
expectTypeOf(r.del('a', 'b')).toEqualTypeOf<Promise<number>>();
expectTypeOf(r.mget('a', 'b')).toEqualTypeOf<Promise<Array<string | null>>>();
expectTypeOf(r.hgetall('h')).toEqualTypeOf<Promise<Record<string, string>>>();
expectTypeOf(b.hgetall('h')).toEqualTypeOf<Promise<Record<string, Buffer>>>();
expectTypeOf(r.zrange('z', 0, -1)).toEqualTypeOf<Promise<Array<string> | Array<ScoredMember<string>>>>();
expectTypeOf(r.info()).toEqualTypeOf<Promise<InfoSections>>();
expectTypeOf(r.lmpop(['a'], 'LEFT')).toEqualTypeOf<Promise<null | [string, Array<string>]>>();

// Parameters: options are typed, counts are computed, oneofs are exclusive shapes.
expectTypeOf(r.set)
  .parameter(2)
  .toEqualTypeOf<import('../src/generated/commands.js').SetOptions | undefined>();
// @ts-expect-error: numkeys is computed from the keys, not passed
r.eval('return 1', 1, { key: ['k'] });
// @ts-expect-error: EX takes a number
r.set('k', 'v', { expiration: { seconds: 'soon' } });
// @ts-expect-error: LMOVE directions are LEFT or RIGHT
r.lmove('a', 'b', 'UP', 'DOWN');

// Reply types: patternProperties are records of their values; optional tuple items; nulls the
// servers send.
type Docs = Awaited<ReturnType<Commands['commandDocs']>>;
expectTypeOf<Docs[string]['summary']>().toEqualTypeOf<string | undefined>();
expectTypeOf<NonNullable<Docs[string]['arguments']>[number]['token']>().toEqualTypeOf<string | undefined>();
expectTypeOf(r.xread({ key: ['s'], id: ['0'] })).toEqualTypeOf<
  Promise<Record<string, Array<[string, Array<string>]>> | null>
>();
expectTypeOf(r.latencyLatest()).toEqualTypeOf<
  Promise<Array<[string, number, number, number, number?, number?]>>
>();
// Redis 8.2 answers 4 items per event.
const event: Awaited<ReturnType<Commands['latencyLatest']>>[number] = ['command', 1, 20, 20];
void event;
expectTypeOf(r.xpending('s', 'g')).toEqualTypeOf<
  Promise<
    | Array<[string, string, number, number]>
    | [number, string | null, string | null, Array<[string, string]> | null]
  >
>();

// Views and sessions: a Buffer view's commands return Buffers (its other members stay); a
// session's multi() may give null (a WATCHed key changed), the client's cannot (no WATCH there).
declare const client: import('../src/index.js').Client;
declare const session: import('../src/index.js').Session;
const bytes = withBuffers(client);
expectTypeOf(bytes.get('k')).toEqualTypeOf<Promise<Buffer | null>>();
expectTypeOf(bytes.hgetall('h')).toEqualTypeOf<Promise<Record<string, Buffer>>>();
expectTypeOf(bytes.poolStats).toEqualTypeOf(client.poolStats);
expectTypeOf(client.multi().get('k').exec()).toEqualTypeOf<Promise<[string | null | ReplyError]>>();
expectTypeOf(session.multi().get('k').exec()).toEqualTypeOf<Promise<[string | null | ReplyError] | null>>();
expectTypeOf(session.pipeline().get('k').exec()).toEqualTypeOf<Promise<[string | null | ReplyError]>>();

// A Buffer view's chains return Buffers too (as they do at run time), a session's multi() still
// may give null.
expectTypeOf(bytes.pipeline().get('k').exec()).toEqualTypeOf<Promise<[Buffer | null | ReplyError]>>();
expectTypeOf(bytes.multi().hgetall('h').exec()).toEqualTypeOf<
  Promise<[Record<string, Buffer> | ReplyError]>
>();
expectTypeOf(withBuffers(session).multi().get('k').exec()).toEqualTypeOf<
  Promise<[Buffer | null | ReplyError] | null>
>();

// An error inside an array reply (a script's error_reply) is a value of the reply type.
expectTypeOf<ReplyError>().toExtend<import('../src/commands/sender.js').RespValue>();
// The cursor a SCAN reply gives back (a string) is a cursor argument.
expectTypeOf<string>().toExtend<Parameters<Commands['scan']>[0]>();

// A Buffer view's scan iterators yield Buffers, as they do at run time.
expectTypeOf(bytes.scanIterator()).toEqualTypeOf<AsyncGenerator<Buffer>>();
expectTypeOf(bytes.hscanIterator('h')).toEqualTypeOf<AsyncGenerator<{ field: Buffer; value: Buffer }>>();
expectTypeOf(bytes.zscanIterator(Buffer.from('z'))).toEqualTypeOf<
  AsyncGenerator<{ member: Buffer; score: number }>
>();
expectTypeOf(client.sscanIterator('s')).toEqualTypeOf<AsyncGenerator<string>>();

// A Buffer view's pub/sub delivers Buffers, as it does at run time; strings when a call asks.
expectTypeOf(bytes.messages('ch')).toEqualTypeOf<
  AsyncIterableIterator<import('../src/index.js').ChannelMessage<Buffer>> & AsyncDisposable
>();
void bytes.subscribe('ch', (message: Buffer) => message.length);
void bytes.subscribe('ch', (message: string) => message.length, { strings: 'string' });
// @ts-expect-error: a text listener in a Buffer view needs { strings: 'string' }
void bytes.subscribe('ch', (message: string) => message.toUpperCase());
expectTypeOf(client.messages('ch')).toEqualTypeOf<
  AsyncIterableIterator<import('../src/index.js').ChannelMessage> & AsyncDisposable
>();

// isolated() on a Buffer view hands a Buffer view of the session.
expectTypeOf(bytes.isolated((s) => s.get('k'))).toEqualTypeOf<Promise<Buffer | null>>();
