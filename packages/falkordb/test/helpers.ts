// Decoding captured replies (test/fixtures, copied from shared/falkordb-fixtures: real bytes of
// FalkorDB 4.16.3) with the fused reader, whole or in chunks.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RespDecoder } from '@pyrsedis/resp';
import { CompactParser, type CompactResult, type RowShape, type SchemaNames } from '../src/parser.js';

export const fixtures: string = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface FixtureInfo {
  name: string;
  description: string;
  protocol: 2 | 3;
  args: string[];
  replyKind: string;
}

export const index: FixtureInfo[] = JSON.parse(
  readFileSync(path.join(fixtures, 'index.json'), 'utf8'),
).fixtures;

export function bytesOf(name: string): Buffer {
  return readFileSync(path.join(fixtures, `${name}.resp`));
}

/** Decodes one reply from chunks with a CompactParser; returns what it built (or the error). */
export function decodeWith(
  chunks: Buffer[],
  names: SchemaNames,
  options: { rowShape?: RowShape } = {},
): { result: unknown; reader: CompactParser } {
  const reader = new CompactParser(names, options);
  const replies: unknown[] = [];
  const decoder = new RespDecoder({ onReply: (r) => replies.push(r), planReply: () => reader });
  for (const chunk of chunks) decoder.feed(chunk);
  if (replies.length !== 1) throw new Error(`expected one reply, got ${replies.length}`);
  return { result: replies[0], reader };
}

export function decodeFixture(
  name: string,
  names: SchemaNames,
  options: { rowShape?: RowShape } = {},
): CompactResult {
  return decodeWith([bytesOf(name)], names, options).result as CompactResult;
}

const NO_NAMES: SchemaNames = { labels: [], relationshipTypes: [], propertyKeys: [] };

/** The schema of the `fx` graph at the end of the capture (its procedure fixtures). */
export function captureSchema(): SchemaNames {
  const column = (name: string) =>
    (decodeFixture(name, NO_NAMES, { rowShape: 'array' }).rows as string[][]).map((row) => row[0]!);
  return {
    labels: column('procedure-labels'),
    relationshipTypes: column('procedure-relationship-types'),
    propertyKeys: column('procedure-property-keys'),
  };
}
