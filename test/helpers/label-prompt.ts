import type { TempWorkspace } from './temp-workspace.ts';

/**
 * A one-field JSON prompt the simulator's structured faults break and its re-asks fix: `schema.json` and
 * `prompts.yaml` (prompt `label`, `reask.max` as given, feedback for invalid answers), plus any `extra` prompt lines.
 */
export async function writeLabelPrompt(
  temp: TempWorkspace,
  reaskMax: number,
  extra: readonly string[] = [],
): Promise<void> {
  await temp.write(
    'schema.json',
    JSON.stringify({
      type: 'object',
      properties: { label: { type: 'string', enum: ['a', 'b'] } },
      required: ['label'],
      additionalProperties: false,
    }),
  );
  await temp.write(
    'prompts.yaml',
    [
      'defaults: { model: gpt-4o-mini, request: { max_tokens: 100 } }',
      'prompts:',
      '  label:',
      '    text: "Label {{ text }}. Answer with JSON only."',
      '    output: { schema: schema.json }',
      `    reask: { max: ${String(reaskMax)}, invalid: feedback }`,
      ...extra,
    ].join('\n'),
  );
}
