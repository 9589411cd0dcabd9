import { type DecodeOptions, type ReplyPlan, RespDecoder } from '../src/index.js';

export const b = (text: string): Buffer => Buffer.from(text, 'latin1');

/** Feeds `bytes` in the given chunks and returns the replies and pushes, in order. */
export function decodeChunks(
  chunks: readonly Uint8Array[],
  options: DecodeOptions & { planReply?: () => ReplyPlan | undefined } = {},
): { replies: unknown[]; pushes: unknown[] } {
  const replies: unknown[] = [];
  const pushes: unknown[] = [];
  const decoder = new RespDecoder({
    ...options,
    onReply: (r) => replies.push(r),
    onPush: (p) => pushes.push(p),
  });
  for (const chunk of chunks) decoder.feed(chunk);
  return { replies, pushes };
}

/** A `planReply` that plans the first reply only (with what `plan` makes), the others by default. */
export function firstOnly(plan: () => ReplyPlan): () => ReplyPlan | undefined {
  let first = true;
  return () => {
    if (!first) return undefined;
    first = false;
    return plan();
  };
}

/** Splits `bytes` at the given offsets. */
export function splitAt(bytes: Buffer, ...offsets: number[]): Buffer[] {
  const out: Buffer[] = [];
  let last = 0;
  for (const at of offsets) {
    out.push(bytes.subarray(last, at));
    last = at;
  }
  out.push(bytes.subarray(last));
  return out;
}

/** A deterministic pseudo-random generator (mulberry32) so failures reproduce. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits `bytes` into random chunks of 1..maxChunk bytes. */
export function randomChunks(bytes: Buffer, seed: number, maxChunk: number): Buffer[] {
  const next = random(seed);
  const out: Buffer[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const size = 1 + Math.floor(next() * maxChunk);
    out.push(bytes.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

/**
 * A string that tells decoded values apart exactly (Buffer vs string, bigint vs number, -0,
 * NaN, Map vs object, prototypes, attributes, errors), cheap to compare for large values.
 */
export function fingerprint(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return String(value);
  }
  if (Buffer.isBuffer(value)) return `Buffer<${value.toString('base64')}>`;
  if (Array.isArray(value)) return `[${value.map(fingerprint).join(',')}]`;
  if (value instanceof Map)
    return `Map{${[...value].map(([k, v]) => `${fingerprint(k)}=>${fingerprint(v)}`).join(',')}}`;
  if (value instanceof Set) return `Set{${[...value].map(fingerprint).join(',')}}`;
  if (value instanceof Error)
    return `${value.name}(${(value as Error & { code?: string }).code}:${value.message})`;
  const proto = Object.getPrototypeOf(value);
  const name = proto === null ? 'null-proto' : proto.constructor.name;
  const entries = Object.entries(value as object).map(([k, v]) => `${JSON.stringify(k)}:${fingerprint(v)}`);
  return `${name}{${entries.join(',')}}`;
}
