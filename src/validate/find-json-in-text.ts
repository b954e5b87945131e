import { jsonrepair } from 'jsonrepair';

/**
 * The JSON a model answer holds, taken from its text (decision 0017): the whole text when it parses (a bare value),
 * else the first fenced block (```json first) that parses, else the first balanced object or array in the prose that
 * parses. Only when none parses does `jsonrepair` get one try, on the fenced block, else the span from the first `{`
 * (or the `[` around it) to its end or to the end of the text (a cut answer): what it mends is `repaired`, never
 * parsed.
 */
export type JsonInText =
  | { kind: 'parsed'; value: unknown; source: 'bare' | 'fenced' | 'embedded' }
  | { kind: 'repaired'; value: unknown; problem: string }
  | { kind: 'none'; problem: string };

/** A `[start, end)` range of the text. */
interface Span {
  start: number;
  end: number;
}

/** A closing fence starts a line, as in Markdown: a "```" inside a JSON string does not end the block. */
const FENCE = /```[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)(?:\n[ \t]*```|$)/g;

export function findJsonInText(text: string): JsonInText {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return { kind: 'none', problem: 'the answer is empty' };
  const bare = tryParse(trimmed);
  if (bare.ok) return { kind: 'parsed', value: bare.value, source: 'bare' };

  const fenced = findFencedBlocks(trimmed);
  for (const block of fenced) {
    const parsed = tryParse(block);
    if (parsed.ok) return { kind: 'parsed', value: parsed.value, source: 'fenced' };
  }

  for (const span of findBalancedSpans(trimmed)) {
    const parsed = tryParse(trimmed.slice(span.start, span.end));
    if (parsed.ok) return { kind: 'parsed', value: parsed.value, source: 'embedded' };
  }

  const candidate = fenced[0] ?? findRepairCandidate(trimmed);
  if (candidate === undefined) return { kind: 'none', problem: 'the answer holds no JSON object or array' };
  const failure = tryParse(candidate);
  const problem = failure.ok ? 'not JSON' : failure.problem;
  try {
    return { kind: 'repaired', value: JSON.parse(jsonrepair(candidate)) as unknown, problem };
  } catch {
    return { kind: 'none', problem: `the answer's JSON does not parse (${problem}) and could not be repaired` };
  }
}

/** The contents of the fenced code blocks, ```json (or unlabelled) ones first; an unclosed last fence runs to the end. */
function findFencedBlocks(text: string): string[] {
  const blocks: { label: string; content: string }[] = [];
  for (const match of text.matchAll(FENCE)) {
    blocks.push({ label: (match[1] ?? '').toLowerCase(), content: (match[2] ?? '').trim() });
  }
  const rank = (label: string): number => (label === 'json' ? 0 : label === '' ? 1 : 2);
  return blocks
    .filter((block) => block.content !== '')
    .sort((a, b) => rank(a.label) - rank(b.label))
    .map((block) => block.content);
}

/**
 * What `jsonrepair` is given when nothing parses: from the first `{` (answers are mostly objects; a `[note]` of the
 * prose before it is passed over), or from an earlier `[` whose span holds that `{` (an array of objects), to the end
 * of its balanced span, or to the end of the text when it never closes (an answer cut short).
 */
function findRepairCandidate(text: string): string | undefined {
  const brace = text.indexOf('{');
  const bracket = text.indexOf('[');
  let start = brace >= 0 ? brace : bracket;
  if (brace >= 0 && bracket >= 0 && bracket < brace) {
    const end = scanBalanced(text, bracket, Number.POSITIVE_INFINITY).end;
    if (end === undefined || end > brace) start = bracket;
  }
  if (start < 0) return undefined;
  const end = scanBalanced(text, start, Number.POSITIVE_INFINITY).end;
  return text.slice(start, end);
}

/**
 * Every outermost balanced `{...}` or `[...]` of the text, in order: brackets inside JSON strings (with their
 * escapes) do not count, and a closing bracket of the wrong kind ends a candidate. A span that does not parse is
 * skipped whole by the caller's order (its inner spans are not offered), so `{broken, "a": {...}}` is not answered
 * with its inner object. An opening that never closes ends the search: what follows is inside a broken (or cut)
 * value, and an array inside a cut object is not the answer (the caller repairs from that opening instead). So each
 * character is scanned at most once per opening that ends in a mismatch, and the whole stays bounded.
 */
export function* findBalancedSpans(text: string): Generator<Span> {
  let budget = 8 * text.length + 100_000;
  let index = 0;
  while (index < text.length) {
    const character = text[index];
    if (character !== '{' && character !== '[') {
      index += 1;
      continue;
    }
    const scan = scanBalanced(text, index, budget);
    budget -= scan.steps;
    if (scan.end !== undefined) {
      yield { start: index, end: scan.end };
      index = scan.end;
    } else {
      if (scan.unclosed || budget <= 0) return;
      index += 1;
    }
  }
}

/** `end` after the bracket that closes the one at `start`; `unclosed` when the text (or the budget) ran out first. */
function scanBalanced(
  text: string,
  start: number,
  budget: number,
): { end: number | undefined; unclosed: boolean; steps: number } {
  const closers: string[] = [];
  let inString = false;
  let index = start;
  for (; index < text.length && index - start < budget; index += 1) {
    const character = text[index];
    if (inString) {
      if (character === '\\') index += 1;
      else if (character === '"') inString = false;
      continue;
    }
    if (character === '"') inString = true;
    else if (character === '{') closers.push('}');
    else if (character === '[') closers.push(']');
    else if (character === '}' || character === ']') {
      const steps = index - start + 1;
      if (closers.pop() !== character) return { end: undefined, unclosed: false, steps };
      if (closers.length === 0) return { end: index + 1, unclosed: false, steps };
    }
  }
  return { end: undefined, unclosed: true, steps: index - start + 1 };
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
}
