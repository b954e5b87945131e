import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

/**
 * The image-critique data job the group-target tests share (issue 13 §1, test/integration/cli-data-groups*.test.ts,
 * data-groups-kill.realtime.test.ts, cli-monitor-groups-sinks.test.ts): a `critique` prompt answering JSON against
 * critique.schema.json with no re-asks (so answers the simulator breaks stay invalid) and a `caption` text prompt,
 * the group sizes, the data rows interleaved by group, and the shape of a report's `groups` line.
 */

/** critique.schema.json: one string field, nothing else. */
export const CRITIQUE_SCHEMA = {
  type: 'object',
  properties: { critique: { type: 'string' } },
  required: ['critique'],
  additionalProperties: false,
};

/** prompts.yaml: `critique` (JSON against critique.schema.json, `reask: { max: 0 }`) and `caption` (text). */
export const CRITIQUE_PROMPTS = [
  'defaults: { model: gpt-4o-mini, request: { max_tokens: 100 } }',
  'prompts:',
  '  critique:',
  '    text: "Critique image {{ id }}. Answer with JSON only."',
  '    output: { schema: critique.schema.json }',
  '    reask: { max: 0 }',
  '  caption:',
  '    text: "Caption image {{ id }}"',
  '    output: { format: text }',
].join('\n');

/** Rows per group, interleaved in the data file (korean, indian, mural, other, korean, ...). */
/** `run images.jsonl --prompts prompts.yaml --config CONFIG --job JOB --base-url URL`: a data job over the rows. */
export function groupsRunArgs(job: string, baseUrl: string, config = 'groups.yaml'): string[] {
  return ['run', 'images.jsonl', '--prompts', 'prompts.yaml', '--config', config, '--job', job, '--base-url', baseUrl];
}

export const GROUP_SIZES: Record<string, number> = { korean: 60, indian: 60, mural: 10, other: 5 };

/**
 * JSONL rows `{ id: '<group>-<round>', meta: { culture: <group> } }`, one per group per round while the group has rows
 * left (so the groups are interleaved), newline-terminated.
 */
export function interleavedGroupRows(sizes: Record<string, number>): string {
  const rows: string[] = [];
  const left = { ...sizes };
  for (let index = 0; Object.values(left).some((count) => count > 0); index += 1) {
    for (const group of Object.keys(sizes)) {
      if ((left[group] ?? 0) === 0) continue;
      left[group] = (left[group] ?? 0) - 1;
      rows.push(JSON.stringify({ id: `${group}-${String(index)}`, meta: { culture: group } }));
    }
  }
  return `${rows.join('\n')}\n`;
}

/** One group of a report's `groups`. */
export interface GroupLine {
  group: string;
  target: number;
  already: number;
  valid: number;
  in_flight: number;
  decided: number;
  skipped_rows: number;
  state: string;
  shortfall: number;
}

/**
 * Valid (or repaired) and skipped `critique` answers per group (`meta.culture`), from the enriched dataset at
 * `enrichedPath`; asserts that every skipped row says `target_reached`, and with `noneMissing` that no row is `missing`.
 */
export async function enrichedByGroup(
  enrichedPath: string,
  note: string,
  options: { noneMissing?: boolean } = {},
): Promise<Map<string, { valid: number; skipped: number }>> {
  const text = await readFile(enrichedPath, 'utf8');
  const byGroup = new Map<string, { valid: number; skipped: number }>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const row = JSON.parse(line) as { meta: { culture: string }; critique__status: string; critique__error: unknown };
    const entry = byGroup.get(row.meta.culture) ?? { valid: 0, skipped: 0 };
    if (row.critique__status === 'valid' || row.critique__status === 'repaired') entry.valid += 1;
    if (row.critique__status === 'skipped') {
      assert.equal(row.critique__error, 'target_reached', note);
      entry.skipped += 1;
    }
    if (options.noneMissing === true) assert.notEqual(row.critique__status, 'missing', note);
    byGroup.set(row.meta.culture, entry);
  }
  return byGroup;
}
