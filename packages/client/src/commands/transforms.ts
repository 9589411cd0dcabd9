// Reply transforms named by codegen/transforms.ts: friendlier shapes for a few replies. Objects
// built from server text have no prototype (a field named __proto__ is just a field).

/** `INFO` as `{ section: { field: value } }`, section names in lower case. */
export type InfoSections = Record<string, Record<string, string>>;

/** One client of `CLIENT INFO` / `CLIENT LIST`: `{ id: '3', addr: '127.0.0.1:5000', ... }`. */
export type ClientInfo = Record<string, string>;

/** A sorted-set member with its score (`WITHSCORES`). */
export interface ScoredMember<S = string> {
  /** The member. */
  member: S;
  /** Its score (`inf` and `-inf` as Infinity). */
  score: number;
}

function asText(reply: unknown): string {
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  return String(reply);
}

/** Parses `INFO` text. Fields before any section header go to section `""`. */
export function infoSections(reply: unknown): InfoSections {
  const sections: InfoSections = Object.create(null);
  let current: Record<string, string> = Object.create(null);
  let name = '';
  for (const line of asText(reply).split(/\r?\n/)) {
    if (line.startsWith('# ')) {
      name = line.slice(2).trim().toLowerCase();
      current = sections[name] ?? Object.create(null);
      sections[name] = current;
      continue;
    }
    const at = line.indexOf(':');
    if (at <= 0) continue;
    if (!(name in sections)) sections[name] = current;
    current[line.slice(0, at)] = line.slice(at + 1);
  }
  return sections;
}

/** Parses one `CLIENT LIST` line (`k=v` pairs separated by spaces). */
export function clientInfo(reply: unknown): ClientInfo {
  const info: ClientInfo = Object.create(null);
  for (const pair of asText(reply).trim().split(' ')) {
    const at = pair.indexOf('=');
    if (at > 0) info[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return info;
}

/** Parses `CLIENT LIST`: one object per line. */
export function clientList(reply: unknown): ClientInfo[] {
  return asText(reply)
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map(clientInfo);
}

/** `[[member, score], ...]` (RESP3 WITHSCORES) → `[{ member, score }, ...]`; plain lists unchanged. */
export function scoredMembers(reply: unknown): unknown {
  if (!Array.isArray(reply) || reply.length === 0 || !Array.isArray(reply[0])) return reply;
  return reply.map((pair: [unknown, unknown]) => ({ member: pair[0], score: pair[1] }));
}
