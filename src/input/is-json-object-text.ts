const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const IN_OBJECT = 1;
const IN_ARRAY = 2;

/** The next character a string's scan must stop at: its end, an escape, or a control character (not allowed). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON strings must not hold raw
const STRING_STOP = /["\\\u0000-\u001f]/g;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

/**
 * Whether `text` is one JSON object, exactly as `JSON.parse` would accept it, without building
 * it: an answer of 100 MB is checked with no copy of its content (`JSON.parse` makes one). The
 * scan is iterative, so nesting depth costs a small array, never the call stack.
 */
export function isJsonObjectText(text: string): boolean {
  let index = skipWhitespace(text, 0);
  if (text.charCodeAt(index) !== OPEN_BRACE) return false;
  const stack: number[] = [];
  for (;;) {
    // A value starts at `index`.
    const code = text.charCodeAt(index);
    if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      const close = code === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
      index = skipWhitespace(text, index + 1);
      if (text.charCodeAt(index) === close) {
        index++;
      } else {
        stack.push(code === OPEN_BRACE ? IN_OBJECT : IN_ARRAY);
        if (code === OPEN_BRACE) index = skipKey(text, index);
        if (index === -1) return false;
        continue;
      }
    } else if (code === QUOTE) {
      index = skipString(text, index);
    } else {
      index = skipPattern(code === 0x74 || code === 0x66 || code === 0x6e ? LITERAL : NUMBER, text, index);
    }
    if (index === -1) return false;
    // After a value: close what ends here, then a comma leads to the next value.
    for (;;) {
      index = skipWhitespace(text, index);
      const container = stack.at(-1);
      if (container === undefined) return index === text.length;
      const next = text.charCodeAt(index);
      if (next === COMMA) {
        index = skipWhitespace(text, index + 1);
        if (container === IN_OBJECT) index = skipKey(text, index);
        break;
      }
      if (next !== (container === IN_OBJECT ? CLOSE_BRACE : CLOSE_BRACKET)) return false;
      stack.pop();
      index++;
    }
    if (index === -1) return false;
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

/** `"key"`, whitespace and `:` from `index`; returns where the member's value starts, or -1. */
function skipKey(text: string, index: number): number {
  if (text.charCodeAt(index) !== QUOTE) return -1;
  const end = skipString(text, index);
  if (end === -1) return -1;
  const colon = skipWhitespace(text, end);
  return text.charCodeAt(colon) === COLON ? skipWhitespace(text, colon + 1) : -1;
}

/** `index` is at an opening quote; returns the index just after the closing quote, or -1. */
function skipString(text: string, index: number): number {
  let position = index + 1;
  for (;;) {
    STRING_STOP.lastIndex = position;
    const found = STRING_STOP.exec(text);
    if (found === null) return -1;
    const code = text.charCodeAt(found.index);
    if (code === QUOTE) return found.index + 1;
    if (code !== BACKSLASH) return -1;
    position = skipPattern(ESCAPE, text, found.index);
    if (position === -1) return -1;
  }
}

function skipPattern(pattern: RegExp, text: string, index: number): number {
  pattern.lastIndex = index;
  return pattern.test(text) ? pattern.lastIndex : -1;
}
