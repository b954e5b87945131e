/**
 * Paths into an answer. A check's `path` is a JSON pointer (`/a/0/b`, with `~1` for `/` and `~0` for `~`) or, as
 * prompts files write them, dotted (`a.b.0`, `critique_zh`); '' is the whole answer. Issues always
 * name the pointer form, as ajv's `instancePath` does.
 */
export function parseAnswerPath(path: string): string[] {
  if (path === '') return [];
  if (path.startsWith('/')) {
    return path
      .slice(1)
      .split('/')
      .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  return path.split('.');
}

export function toJsonPointer(segments: readonly string[]): string {
  return segments.map((segment) => `/${segment.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** The value at `segments`, or undefined when a step is missing (array steps are decimal indexes). */
export function readAtPath(value: unknown, segments: readonly string[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return current;
}
