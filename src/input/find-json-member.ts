const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** A `[start, end)` range of UTF-16 code units in a string. */
export interface TextSpan {
  start: number;
  end: number;
}

/**
 * Find where the value of a top-level member sits in the text of a JSON object, so a request
 * body can be sliced from the input line instead of being serialised again (about twice as fast
 * as `JSON.stringify` on chat lines, and the hot path runs once per line).
 *
 * `text` must already have passed `JSON.parse`; this only scans its structure. Like `JSON.parse`
 * it takes the last member of that name. It gives up (returns `undefined`) when the member is
 * absent, or when any top-level key is written with escapes, since such a key could spell `name`
 * differently; the caller then serialises the parsed value.
 */
export function findJsonMember(text: string, name: string): TextSpan | undefined {
  let index = skipWhitespace(text, 0);
  if (text.charCodeAt(index) !== OPEN_BRACE) return undefined;
  index++;
  let found: TextSpan | undefined;
  for (;;) {
    index = skipWhitespace(text, index);
    const code = text.charCodeAt(index);
    if (code === CLOSE_BRACE) return found;
    if (code === COMMA) {
      index++;
      continue;
    }
    if (code !== QUOTE) return undefined;
    const keyEnd = skipString(text, index);
    if (keyEnd === -1 || hasBackslash(text, index + 1, keyEnd - 1)) return undefined;
    const isWanted = keyEnd - index - 2 === name.length && text.startsWith(name, index + 1);
    index = skipWhitespace(text, keyEnd);
    if (text.charCodeAt(index) !== COLON) return undefined;
    index = skipWhitespace(text, index + 1);
    const valueEnd = skipValue(text, index);
    if (valueEnd === -1) return undefined;
    if (isWanted) found = { start: index, end: valueEnd };
    index = valueEnd;
  }
}

function skipWhitespace(text: string, index: number): number {
  let position = index;
  for (;;) {
    const code = text.charCodeAt(position);
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return position;
    position++;
  }
}

/** `index` is at an opening quote; returns the index just after the closing quote, or -1. */
function skipString(text: string, index: number): number {
  let from = index + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return -1;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

function hasBackslash(text: string, start: number, end: number): boolean {
  for (let index = start; index < end; index++) {
    if (text.charCodeAt(index) === BACKSLASH) return true;
  }
  return false;
}

/** Returns the index just after the value starting at `index`, or -1. */
function skipValue(text: string, index: number): number {
  const first = text.charCodeAt(index);
  if (first === QUOTE) return skipString(text, index);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) return skipScalar(text, index);
  let depth = 0;
  let position = index;
  while (position < text.length) {
    const code = text.charCodeAt(position);
    if (code === QUOTE) {
      position = skipString(text, position);
      if (position === -1) return -1;
      continue;
    }
    if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return position + 1;
    }
    position++;
  }
  return -1;
}

/** Numbers, `true`, `false`, `null`: run to the next delimiter. */
function skipScalar(text: string, index: number): number {
  let position = index;
  while (position < text.length) {
    const code = text.charCodeAt(position);
    if (code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET) break;
    if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) break;
    position++;
  }
  return position === index ? -1 : position;
}
