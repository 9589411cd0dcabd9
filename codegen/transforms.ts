// The hand-written table of reply transforms: where a friendlier JS shape than the raw RESP3
// reply is wanted. Each names a function of packages/client/src/commands/transforms.ts and the
// type it returns; the generator makes the method pass the function to the sender and declare
// that type. `S` is the string type of the view.
export interface ReplyTransform {
  /** Exported function of packages/client/src/commands/transforms.ts. */
  transform: string;
  /** The method's reply type (may use `S`). */
  type: string;
  /** Types to import from transforms.ts for `type`. */
  types: string[];
  reason: string;
}

const scored: ReplyTransform = {
  transform: 'scoredMembers',
  type: 'Array<S> | Array<ScoredMember<S>>',
  types: ['ScoredMember'],
  reason: 'WITHSCORES pairs as { member, score } objects instead of [member, score] tuples',
};

export const REPLY_TRANSFORMS: Record<string, ReplyTransform> = {
  INFO: {
    transform: 'infoSections',
    type: 'InfoSections',
    types: ['InfoSections'],
    reason: 'the "# Section" / "field:value" text parsed into { section: { field: value } }',
  },
  'CLIENT INFO': {
    transform: 'clientInfo',
    type: 'ClientInfo',
    types: ['ClientInfo'],
    reason: 'the "id=3 addr=... name=..." line parsed into an object',
  },
  'CLIENT LIST': {
    transform: 'clientList',
    type: 'ClientInfo[]',
    types: ['ClientInfo'],
    reason: 'one parsed object per client line',
  },
  ZRANGE: scored,
  ZRANGEBYSCORE: scored,
  ZREVRANGE: scored,
  ZREVRANGEBYSCORE: scored,
  ZUNION: scored,
  ZINTER: scored,
  ZDIFF: scored,
};
