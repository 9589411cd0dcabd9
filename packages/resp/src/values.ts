// Value classes the decoder produces for RESP3 types that have no plain JS equivalent.

/**
 * A value that arrived with a RESP3 attribute (`|`) in front of it. The decoder never drops
 * attributes: the value they precede is delivered wrapped in this class.
 */
export class AttributedValue<T = unknown, A = unknown> {
  /** The value itself. */
  readonly value: T;
  /** The attribute map, decoded like any other map. */
  readonly attributes: A;

  constructor(value: T, attributes: A) {
    this.value = value;
    this.attributes = attributes;
  }
}

/**
 * A RESP3 verbatim string (`=`) with its three-letter format (`txt`, `mkd`), returned when the
 * decoder's `verbatim` option is `'object'`. By default verbatim strings decode to plain strings.
 */
export class VerbatimString {
  /** `txt` or `mkd`, as the server sent it. */
  readonly format: string;
  /** The text (a `Buffer` view in buffer mode). */
  readonly text: string | Buffer;

  constructor(format: string, text: string | Buffer) {
    this.format = format;
    this.text = text;
  }

  /** The text, decoded as UTF-8 when it arrived as bytes. */
  toString(): string {
    return typeof this.text === 'string' ? this.text : this.text.toString('utf8');
  }
}
