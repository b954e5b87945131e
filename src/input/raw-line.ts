/** One line of the input file as the streaming reader found it. */
export interface RawLine {
  /** 1-based line number in the file. */
  lineNo: number;
  /** Where the line's first byte sits in the file (after the UTF-8 BOM on line 1). */
  byteOffset: number;
  /** Length of the line in bytes, without its `\n` or `\r\n`. */
  byteLength: number;
  /** The decoded line; `null` when it is longer than `maxLineBytes` and was skipped, not buffered. */
  text: string | null;
  /** Only when `text` is `null`: the line's first bytes (at most 1 KB), for the reject record. */
  head?: string;
  /**
   * Only when the line's bytes are not valid UTF-8: where (0-based, in bytes from the line's start)
   * the first bad byte sits. `text` then holds U+FFFD in its place; the parser rejects the line.
   */
  invalidUtf8At?: number;
  /** Only when the reader was asked to (`hashLines`): `hashLine` of the line's bytes. */
  lineHash?: number;
  /** Offset just after this line's newline: where reading resumes. */
  nextByte: number;
}
