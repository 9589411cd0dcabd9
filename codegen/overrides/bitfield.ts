import type { CommandOverride } from '../src/model.js';

// BITFIELD / BITFIELD_RO: an offset is a bit number, or `#N` — N times the encoding's width
// (`GET u8 #1` reads the second byte). The spec types it `integer`, which leaves `#N` out.
function offsetsAsStrings(args: Record<string, unknown>[]): Record<string, unknown>[] {
  for (const arg of args) {
    if (arg.name === 'offset' && arg.type === 'integer') arg.type = 'string';
    if (Array.isArray(arg.arguments)) offsetsAsStrings(arg.arguments as Record<string, unknown>[]);
  }
  return args;
}

export const bitfield: CommandOverride = {
  reason: 'an offset may be `#N` (N times the width of the encoding): a string, not only an integer',
  arguments: offsetsAsStrings,
};

export const bitfieldRo: CommandOverride = bitfield;
