import { type Liquid, Output, type Template, TokenKind } from 'liquidjs';

/**
 * Renders a row's scope without Liquid, or returns undefined where only Liquid can say what the text is (then the
 * caller renders the row with Liquid, which also words any error).
 */
export type SubstitutionRenderer = (scope: Readonly<Record<string, unknown>>) => string | undefined;

/** Words Liquid reads as literals, never as a variable of the row. */
const LITERALS = new Set(['true', 'false', 'nil', 'null', 'empty', 'blank']);
/** Properties Liquid answers itself on arrays, strings and objects (`size`, `first`, `last`). */
const SPECIAL = new Set(['size', 'first', 'last']);
const PATH = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/;

/**
 * Most prompt templates are text with `{{ field }}` and `{{ row.nested.field }}` in it: no tag, no filter. For those,
 * Liquid's render costs far more than the text it makes (a third of `prepare`'s time), so such a template is compiled
 * once to its pieces and a row is rendered by joining them. Null for any other template.
 *
 * The join gives Liquid's own text, byte for byte: a text piece is what Liquid renders of it (whitespace control
 * included), and a value is used only where Liquid's reading of it is plain: every step an own property of a plain
 * object, not undefined, not `size`/`first`/`last`, and the value a string, number, boolean or null (Liquid writes
 * String(value), and '' for null). Anything else (an array, a missing field, which strict variables turn into a
 * reject) returns undefined for that row.
 */
export function compileSubstitution(engine: Liquid, templates: readonly Template[]): SubstitutionRenderer | null {
  const pieces: (string | readonly string[])[] = [];
  for (const template of templates) {
    if (template.token.kind === TokenKind.HTML) {
      pieces.push(String(engine.renderSync([template], {})));
      continue;
    }
    if (!(template instanceof Output) || template.value.filters.length > 0) return null;
    const inner = template.token.content.replace(/^-/, '').replace(/-$/, '').trim();
    if (!PATH.test(inner)) return null;
    const path = inner.split('.');
    if (LITERALS.has(path[0] as string) || path.some((segment) => SPECIAL.has(segment))) return null;
    pieces.push(path);
  }
  return (scope) => {
    let text = '';
    for (const piece of pieces) {
      if (typeof piece === 'string') {
        text += piece;
        continue;
      }
      const value = read(scope, piece);
      if (typeof value === 'string') text += value;
      else if (typeof value === 'number' || typeof value === 'boolean') text += String(value);
      else if (value !== null) return undefined;
    }
    return text;
  };
}

/** The value at `path`, or undefined where Liquid's reading could differ from a plain one. */
function read(scope: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let value: unknown = scope;
  for (const key of path) {
    if (!isPlainObject(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return typeof value === 'function' ? undefined : value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
