import { isMap, isPair, type Document, type LineCounter } from 'yaml';

/** Where a key of the source sits: a line number for a YAML path, when known. */
export type LocateKey = (path: readonly PropertyKey[]) => number | undefined;

/**
 * The line of the deepest node of `path` that exists in the document (a missing key: its parent's line). A key that
 * exists is placed at its own line rather than its value's: an unknown key is reported where it is written.
 */
export function createYamlLocator(document: Document, lineCounter: LineCounter): LocateKey {
  const lineOf = (node: unknown): number | undefined => {
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    return range === undefined ? undefined : lineCounter.linePos(range[0]).line;
  };
  return (path) => {
    for (let length = path.length; length >= 0; length -= 1) {
      const prefix = path.slice(0, length);
      const line = lineOf(length === 0 ? document.contents : document.getIn(prefix, true));
      if (line !== undefined) return lineOf(keyNodeOf(document, prefix)) ?? line;
    }
    return undefined;
  };
}

/** The key node naming the last step of `path` in its parent mapping, if there is one. */
function keyNodeOf(document: Document, path: readonly PropertyKey[]): unknown {
  if (path.length === 0) return undefined;
  const parent = document.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const name = String(path.at(-1));
  return parent.items.find((item) => isPair(item) && String((item.key as { value?: unknown })?.value) === name)?.key;
}
