import { dirname } from 'node:path';
import { Liquid, type Template } from 'liquidjs';
import { ConfigError } from '../errors/index.ts';
import type { DataRow } from './data-row.ts';
import { deriveStrictSchema } from './derive-strict-schema.ts';
import type { PreparedRequest } from './prepared-request.ts';
import type { PromptSet, PromptSpec } from './prompt-spec.ts';

/** What one prompt makes of one row. */
export type RenderOutcome =
  { kind: 'requests'; requests: PreparedRequest[] } | { kind: 'skipped' } | { kind: 'rejected'; reason: string };

/** How a prompt asks for JSON, decided once per prompt (and written to the manifest). */
export interface JsonRequestPlan {
  kind: 'json_schema' | 'json_object' | 'prompt' | 'none';
  /** What was changed to make the schema strict, or why it could not be (then `json_object`). */
  notes: string[];
  /** The `response_format` every request of the prompt carries, if any. */
  responseFormat?: Record<string, unknown>;
}

export interface RowRenderer {
  readonly set: PromptSet;
  readonly plans: ReadonlyMap<string, JsonRequestPlan>;
  /** Renders `prompt` for `row`; `indexWidth` is the zero-padded width of `{index}`. Never throws for a row. */
  render(prompt: PromptSpec, row: DataRow, indexWidth: number): RenderOutcome;
}

/** The instruction a prompt gets when the JSON is asked for in the prompt (the simulator keys on its start). */
export const JSON_INSTRUCTION = 'Answer with JSON only';

/** `{index}`'s width: the digits the largest index needs, and at least 4 (`sentiment_polarity_0001`). */
export function indexWidthFor(rowCount: number): number {
  return Math.max(4, String(Math.max(0, rowCount - 1)).length);
}

/** Makes one custom_id from the set's format (`{prompt}`, `{index}` zero-padded, `{key}`), plus `_s{k}` for samples. */
export function formatCustomId(
  format: string,
  values: { prompt: string; index: number; key: string; width: number; sample: number | null },
): string {
  const id = format
    .replaceAll('{prompt}', values.prompt)
    .replaceAll('{index}', String(values.index).padStart(values.width, '0'))
    .replaceAll('{key}', values.key);
  return values.sample === null ? id : `${id}_s${String(values.sample)}`;
}

/**
 * Compiles every template of a prompt set once (LiquidJS, strict variables and filters, partials relative to the
 * template's and the prompts file's folder; decision 0016) and returns a renderer. A template that does not parse is a
 * ConfigError naming its file and line. Rendering a row never throws: a missing variable, a `when` that cannot be
 * evaluated or a missing partial is a reject for that (row, prompt) naming the prompt and the variable.
 */
export function createRowRenderer(set: PromptSet): RowRenderer {
  const compiled = new Map<string, { engine: Liquid; template: Template[] }>();
  const plans = new Map<string, JsonRequestPlan>();
  for (const prompt of set.prompts) {
    const roots = [...new Set([dirname(prompt.templateFile ?? set.sourceFile), dirname(set.sourceFile)])];
    const engine = new Liquid({
      strictVariables: true,
      strictFilters: true,
      ownPropertyOnly: true,
      root: roots,
      partials: roots,
      extname: '',
      relativeReference: true,
      cache: true,
    });
    try {
      compiled.set(prompt.name, { engine, template: engine.parse(prompt.template, prompt.templateFile) });
    } catch (error) {
      throw new ConfigError(
        'CONFIG_INVALID',
        `template of prompt "${prompt.name}" (${prompt.templateFile ?? set.sourceFile}) does not parse: ${firstLine(error)}`,
        { context: { file: prompt.templateFile ?? set.sourceFile, key: `prompts.${prompt.name}.template` } },
      );
    }
    plans.set(prompt.name, planJsonRequest(prompt));
  }

  return {
    set,
    plans,
    render(prompt, dataRow, indexWidth) {
      const entry = compiled.get(prompt.name);
      if (entry === undefined) return { kind: 'rejected', reason: `unknown prompt "${prompt.name}"` };
      // Both {{field}} and {{row.field}}; a row field named `row` is reached as row.row.
      const scope = { ...dataRow.row, row: dataRow.row };
      if (prompt.when !== undefined) {
        let holds: unknown;
        try {
          holds = entry.engine.evalValueSync(prompt.when, scope);
        } catch (error) {
          return {
            kind: 'rejected',
            reason: `row ${dataRow.key}, prompt "${prompt.name}": when "${prompt.when}" cannot be evaluated: ${firstLine(error)}`,
          };
        }
        // Liquid truthiness: only false and nil are false.
        if (holds === false || holds === null || holds === undefined) return { kind: 'skipped' };
      }
      let text: string;
      try {
        text = String(entry.engine.renderSync(entry.template, scope)).trimEnd();
      } catch (error) {
        return {
          kind: 'rejected',
          reason: `row ${dataRow.key}, prompt "${prompt.name}": ${firstLine(error)}`,
        };
      }
      const requests: PreparedRequest[] = [];
      const body = buildBody(prompt, text, plans.get(prompt.name) as JsonRequestPlan);
      for (let sample = 0; sample < prompt.samples; sample += 1) {
        requests.push({
          custom_id: formatCustomId(set.customIdFormat, {
            prompt: prompt.name,
            index: dataRow.index,
            key: dataRow.key,
            width: indexWidth,
            sample: prompt.samples > 1 ? sample : null,
          }),
          method: 'POST',
          url: '/v1/chat/completions',
          body,
        });
      }
      return { kind: 'requests', requests };
    },
  };
}

function planJsonRequest(prompt: PromptSpec): JsonRequestPlan {
  if (prompt.output.format !== 'json') return { kind: 'none', notes: [] };
  if (prompt.output.mode === 'prompt') return { kind: 'prompt', notes: [] };
  const jsonObject = { type: 'json_object' };
  if (prompt.output.schema === undefined) {
    return { kind: 'json_object', notes: ['no schema given'], responseFormat: jsonObject };
  }
  const strict = deriveStrictSchema(prompt.output.schema);
  if (!strict.ok) return { kind: 'json_object', notes: [strict.reason], responseFormat: jsonObject };
  return {
    kind: 'json_schema',
    notes: strict.changes,
    responseFormat: {
      type: 'json_schema',
      json_schema: { name: prompt.name.slice(0, 64), strict: true, schema: strict.schema },
    },
  };
}

function buildBody(prompt: PromptSpec, text: string, plan: JsonRequestPlan): Record<string, unknown> {
  let user = text;
  // OpenAI refuses json_object unless the messages say "JSON"; the prompt mode says it and nothing else.
  if (plan.kind === 'prompt' || plan.kind === 'json_object') {
    user += `\n\n${JSON_INSTRUCTION}${prompt.output.schema === undefined ? '.' : `, matching this JSON Schema:\n${JSON.stringify(prompt.output.schema)}`}`;
  }
  const messages = [
    ...(prompt.system === undefined ? [] : [{ role: 'system', content: prompt.system }]),
    { role: 'user', content: user },
  ];
  const body: Record<string, unknown> = {
    ...(prompt.model === undefined ? {} : { model: prompt.model }),
    messages,
    ...prompt.request,
  };
  if (plan.responseFormat !== undefined) body['response_format'] = plan.responseFormat;
  return body;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'error';
}
