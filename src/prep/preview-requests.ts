import { countDataRows } from './count-data-rows.ts';
import type { DataFormat } from './data-row.ts';
import type { PromptSet } from './prompt-spec.ts';
import { readDataRows } from './read-data-rows.ts';
import type { PreparedRequest } from './prepared-request.ts';
import { createRowRenderer, indexWidthFor } from './render-row.ts';

export interface PreviewRequestsOptions {
  dataPath: string;
  prompts: PromptSet;
  data?: { format?: DataFormat | undefined; key?: string | undefined };
  /** Requests shown per prompt. Minimum: 1. */
  perPrompt: number;
  signal?: AbortSignal;
}

export interface RequestPreview {
  /** Per prompt, its first requests (in source order). */
  requests: Record<string, PreparedRequest[]>;
  /** Rejects met on the way, as `prepare_rejects.jsonl` would list them. */
  rejects: { key: string; prompt: string | null; where: string; reason: string }[];
}

/**
 * `prepare --preview N`: the first N rendered requests of every prompt, exactly as `prepare` would write them (same
 * custom_ids), reading only as far as needed. Writes nothing, sends nothing.
 */
export async function previewRequests(options: PreviewRequestsOptions): Promise<RequestPreview> {
  const renderer = createRowRenderer(options.prompts);
  const width = indexWidthFor(await countDataRows(options.dataPath, options.data?.format));
  const requests: Record<string, PreparedRequest[]> = {};
  for (const prompt of options.prompts.prompts) requests[prompt.name] = [];
  const rejects: RequestPreview['rejects'] = [];
  const full = (): boolean =>
    options.prompts.prompts.every((prompt) => (requests[prompt.name]?.length ?? 0) >= options.perPrompt);
  const rows = readDataRows(options.dataPath, {
    format: options.data?.format,
    key: options.data?.key,
    signal: options.signal,
  });
  for await (const result of rows) {
    if (!result.ok) {
      rejects.push({ key: `#${String(result.reject.index)}`, prompt: null, ...result.reject });
      continue;
    }
    for (const prompt of options.prompts.prompts) {
      const shown = requests[prompt.name] as PreparedRequest[];
      if (shown.length >= options.perPrompt) continue;
      const outcome = renderer.render(prompt, result.value, width);
      if (outcome.kind === 'rejected') {
        rejects.push({ key: result.value.key, prompt: prompt.name, where: result.value.where, reason: outcome.reason });
      } else if (outcome.kind === 'requests') {
        shown.push(...outcome.requests.slice(0, options.perPrompt - shown.length));
      }
    }
    if (full()) break;
  }
  return { requests, rejects };
}
