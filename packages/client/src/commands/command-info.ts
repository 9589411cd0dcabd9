// The shape of the generated command table (src/generated/command-table.ts).
import type { Resp2Shape } from './resp2.js';

/**
 * Where one group of a command's keys is, after the server's key specs
 * (https://redis.io/docs/latest/develop/reference/key-specs/).
 */
export interface KeySpec {
  /** begin_search by index: the first key's position in argv (argv[0] is the command). */
  readonly index?: number;
  /** begin_search by keyword: the keyword that precedes the keys. */
  readonly keyword?: string;
  /** Where the keyword search starts; negative counts from the end, searching backwards. */
  readonly startFrom?: number;
  /** begin_search is not expressible as a key spec (a named extractor handles the command). */
  readonly unknownBegin?: true;
  /** find_keys by range: the last key relative to the first (-1: the last argument). */
  readonly lastKey?: number;
  /** Distance between keys. */
  readonly step?: number;
  /** With lastKey -1: only 1/limit of the remaining arguments are keys (0 and 1: all). */
  readonly limit?: number;
  /** find_keys by keynum: where the key count is, relative to the begin position. */
  readonly keyNumIndex?: number;
  /** With keynum: the first key relative to the begin position. */
  readonly firstKey?: number;
  /** find_keys is not expressible as a key spec (a named extractor handles the command). */
  readonly unknownFind?: true;
  /** KeyFlag bits: RO, RW, OW, RM, ACCESS, UPDATE, INSERT, DELETE, INCOMPLETE, ... */
  readonly flags: number;
}

/** Runtime facts about one command or subcommand. */
export interface CommandInfo {
  /** Arity as the server states it: N exact, -N at least N (argv[0] included). */
  readonly arity: number;
  /** CommandFlag bits (WRITE, READONLY, BLOCKING, ...). */
  readonly flags: number;
  /** Where its keys are (none for keyless commands). */
  readonly keys?: readonly KeySpec[];
  /** A hand-written extractor replaces the key specs (see codegen/overrides). */
  readonly keysFunction?: 'sort' | 'migrate';
  /** A container command (CLIENT, CONFIG, ...): look up `NAME SUBCOMMAND`. */
  readonly container?: true;
  /** How the RESP2 reply differs from the RESP3 one the types describe (see fromResp2). */
  readonly resp2?: Resp2Shape;
}
