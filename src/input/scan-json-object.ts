const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const IN_OBJECT = 1;
const IN_ARRAY = 2;
const LITERALS = [Buffer.from('true'), Buffer.from('false'), Buffer.from('null')];
/** Bytes that may follow a backslash in a JSON string. */
const ESCAPES = new Set([...'"\\/bfnrtu'].map((character) => character.charCodeAt(0)));

/** A `[start, end)` range of bytes. */
export interface ByteSpan {
  start: number;
  end: number;
}

export interface JsonObjectScan {
  /** The bytes are one JSON object, as `JSON.parse` would take them (UTF-8 validity is not checked here). */
  valid: boolean;
  /** Where the value of the top-level member asked for sits (the last one, as `JSON.parse` keeps). */
  member: ByteSpan | undefined;
}

/**
 * Checks that UTF-8 bytes hold one JSON object without building it, and finds one top-level
 * member on the way: a 100 MB answer is validated and its `usage` read with no copy of its
 * content (`JSON.parse` of the decoded text would make two). The scan is iterative, so nesting
 * depth costs a small array, never the call stack. Bytes of multibyte characters are all
 * 0x80 and up, so they can never be mistaken for JSON's structural characters.
 */
export function scanJsonObject(bytes: Uint8Array, memberName: string): JsonObjectScan {
  const name = Buffer.from(memberName);
  const invalid: JsonObjectScan = { valid: false, member: undefined };
  let member: ByteSpan | undefined;
  /** Where the value of the wanted member starts while it is being scanned, else -1. */
  let wantedStart = -1;
  const stack: number[] = [];
  /** At a key of the object on top of the stack: skips it and its colon, noting a wanted top-level key. */
  const skipKey = (index: number): number => {
    if (bytes[index] !== QUOTE) return -1;
    const end = skipString(bytes, index);
    if (end === -1) return -1;
    const colon = skipWhitespace(bytes, end);
    if (bytes[colon] !== COLON) return -1;
    const valueAt = skipWhitespace(bytes, colon + 1);
    if (stack.length === 1) {
      wantedStart = Buffer.compare(name, bytes.subarray(index + 1, end - 1)) === 0 ? valueAt : -1;
    }
    return valueAt;
  };
  let index = skipWhitespace(bytes, 0);
  if (bytes[index] !== OPEN_BRACE) return invalid;
  for (;;) {
    // A value starts at `index`.
    const code = bytes[index];
    if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      const close = code === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
      index = skipWhitespace(bytes, index + 1);
      if (bytes[index] === close) {
        index++;
      } else {
        stack.push(code === OPEN_BRACE ? IN_OBJECT : IN_ARRAY);
        if (code === OPEN_BRACE) index = skipKey(index);
        if (index === -1) return invalid;
        continue;
      }
    } else if (code === QUOTE) {
      index = skipString(bytes, index);
    } else if (code === 0x74 || code === 0x66 || code === 0x6e) {
      index = skipLiteral(bytes, index);
    } else {
      index = skipNumber(bytes, index);
    }
    if (index === -1) return invalid;
    // After a value: close what ends here, then a comma leads to the next value.
    for (;;) {
      // Back at the top level: the value just ended was a member of the object itself.
      if (stack.length === 1 && wantedStart !== -1) {
        member = { start: wantedStart, end: index };
        wantedStart = -1;
      }
      index = skipWhitespace(bytes, index);
      const container = stack.at(-1);
      if (container === undefined) return index === bytes.length ? { valid: true, member } : invalid;
      const next = bytes[index];
      if (next === COMMA) {
        index = skipWhitespace(bytes, index + 1);
        if (container === IN_OBJECT) index = skipKey(index);
        break;
      }
      if (next !== (container === IN_OBJECT ? CLOSE_BRACE : CLOSE_BRACKET)) return invalid;
      stack.pop();
      index++;
    }
    if (index === -1) return invalid;
  }
}

function skipWhitespace(bytes: Uint8Array, index: number): number {
  let position = index;
  for (;;) {
    const code = bytes[position];
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return position;
    position++;
  }
}

/** `index` is at an opening quote; returns the index just after the closing quote, or -1. */
function skipString(bytes: Uint8Array, index: number): number {
  let position = index + 1;
  for (;;) {
    const code = bytes[position];
    if (code === undefined || code < 0x20) return -1;
    if (code === QUOTE) return position + 1;
    if (code === BACKSLASH) {
      const escaped = bytes[position + 1];
      if (escaped === undefined || !ESCAPES.has(escaped)) return -1;
      if (escaped === 0x75) {
        for (let digit = position + 2; digit < position + 6; digit++) {
          if (!isHexDigit(bytes[digit])) return -1;
        }
        position += 6;
      } else {
        position += 2;
      }
      continue;
    }
    position++;
  }
}

function isHexDigit(code: number | undefined): boolean {
  if (code === undefined) return false;
  return isDigit(code) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

function isDigit(code: number | undefined): boolean {
  return code !== undefined && code >= 0x30 && code <= 0x39;
}

function skipLiteral(bytes: Uint8Array, index: number): number {
  for (const literal of LITERALS) {
    if (Buffer.compare(literal, bytes.subarray(index, index + literal.length)) === 0) return index + literal.length;
  }
  return -1;
}

/** `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` from `index`; returns the index after it, or -1. */
function skipNumber(bytes: Uint8Array, index: number): number {
  let position = index;
  if (bytes[position] === MINUS) position++;
  if (bytes[position] === 0x30) position++;
  else if (isDigit(bytes[position])) position = skipDigits(bytes, position);
  else return -1;
  if (bytes[position] === DOT) {
    if (!isDigit(bytes[position + 1])) return -1;
    position = skipDigits(bytes, position + 1);
  }
  if (bytes[position] === 0x65 || bytes[position] === 0x45) {
    position++;
    if (bytes[position] === PLUS || bytes[position] === MINUS) position++;
    if (!isDigit(bytes[position])) return -1;
    position = skipDigits(bytes, position);
  }
  return position;
}

function skipDigits(bytes: Uint8Array, index: number): number {
  let position = index;
  while (isDigit(bytes[position])) position++;
  return position;
}
