import { dirname } from 'node:path';
import { Liquid, type Template } from 'liquidjs';
import { ConfigError } from '../errors/index.ts';
import { compileSubstitution, type SubstitutionRenderer } from './compile-substitution.ts';
import type { DataRow } from './data-row.ts';
import { deriveStrictSchema } from './derive-strict-schema.ts';
import type { PreparedRequest } from './prepared-request.ts';
import type { PromptSet, PromptSpec } from './prompt-spec.ts';

/** What one prompt makes of one row. */
export type RenderOutcome =
  { kind: 'requests'; requests: PreparedRequest[] } | { kind: 'skipped' } | { kind: 'rejected'; reason: string };

/** The same, as the lines of requests.jsonl: each request's custom_id and its line, `JSON.stringify(request)`. */
export type RenderLinesOutcome =
  | { kind: 'lines'; lines: { customId: string; line: string }[] }
  | { kind: 'skipped' }
  | { kind: 'rejected'; reason: string };

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
  /**
   * As `render`, straight to the lines `prepare` writes, byte for byte `JSON.stringify` of `render`'s requests. The
   * JSON around the rendered text (system message, parameters, the `response_format` schema) is the same for every
   * row of a prompt: it is serialized once, not once per request, which was the largest part of prepare's time.
   */
  renderLines(prompt: PromptSpec, row: DataRow, indexWidth: number): RenderLinesOutcome;
}

/** The instruction a prompt gets when the JSON is asked for in the prompt (the simulator keys on its start). */
const JSON_INSTRUCTION = 'Answer with JSON only';

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
  const compiled = new Map<
    string,
    { engine: Liquid; template: Template[]; substitution: SubstitutionRenderer | null }
  >();
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
      const template = engine.parse(prompt.template, prompt.templateFile);
      compiled.set(prompt.name, { engine, template, substitution: compileSubstitution(engine, template) });
    } catch (error) {
      throw new ConfigError(
        'CONFIG_INVALID',
        `template of prompt "${prompt.name}" (${prompt.templateFile ?? set.sourceFile}) does not parse: ${firstLine(error)}`,
        { context: { file: prompt.templateFile ?? set.sourceFile, key: `prompts.${prompt.name}.template` } },
      );
    }
    plans.set(prompt.name, planJsonRequest(prompt));
  }

  /** The user text of `prompt` for a row, or why there is none; `render` and `renderLines` share it. */
  const renderText = (
    prompt: PromptSpec,
    dataRow: DataRow,
  ): { kind: 'text'; text: string } | { kind: 'skipped' } | { kind: 'rejected'; reason: string } => {
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
    const substituted = entry.substitution?.(scope);
    if (substituted !== undefined) return { kind: 'text', text: substituted.trimEnd() };
    try {
      return { kind: 'text', text: String(entry.engine.renderSync(entry.template, scope)).trimEnd() };
    } catch (error) {
      return { kind: 'rejected', reason: `row ${dataRow.key}, prompt "${prompt.name}": ${firstLine(error)}` };
    }
  };
  const customIds = (prompt: PromptSpec, dataRow: DataRow, indexWidth: number): string[] => {
    const ids: string[] = [];
    for (let sample = 0; sample < prompt.samples; sample += 1) {
      ids.push(
        formatCustomId(set.customIdFormat, {
          prompt: prompt.name,
          index: dataRow.index,
          key: dataRow.key,
          width: indexWidth,
          sample: prompt.samples > 1 ? sample : null,
        }),
      );
    }
    return ids;
  };
  const shapes = new Map<string, BodyShape | null>();

  return {
    set,
    plans,
    render(prompt, dataRow, indexWidth) {
      const rendered = renderText(prompt, dataRow);
      if (rendered.kind !== 'text') return rendered;
      const body = buildBody(prompt, rendered.text, plans.get(prompt.name) as JsonRequestPlan);
      const requests: PreparedRequest[] = customIds(prompt, dataRow, indexWidth).map((customId) => ({
        custom_id: customId,
        method: 'POST',
        url: '/v1/chat/completions',
        body,
      }));
      return { kind: 'requests', requests };
    },
    renderLines(prompt, dataRow, indexWidth) {
      const rendered = renderText(prompt, dataRow);
      if (rendered.kind !== 'text') return rendered;
      const plan = plans.get(prompt.name) as JsonRequestPlan;
      let shape = shapes.get(prompt.name);
      if (shape === undefined) {
        shape = bodyShapeOf(prompt, plan);
        shapes.set(prompt.name, shape);
      }
      const bodyJson =
        shape === null
          ? JSON.stringify(buildBody(prompt, rendered.text, plan))
          : `${shape.head}${JSON.stringify(rendered.text).slice(1, -1)}${shape.tail}`;
      const lines = customIds(prompt, dataRow, indexWidth).map((customId) => ({
        customId,
        line: `{"custom_id":${JSON.stringify(customId)},"method":"POST","url":"/v1/chat/completions","body":${bodyJson}}`,
      }));
      return { kind: 'lines', lines };
    },
  };
}

/** A prompt's request body as JSON text with a hole where the rendered text goes (inside the user message's string). */
interface BodyShape {
  head: string;
  tail: string;
}

/** Nothing in JSON.stringify escapes it, and a prompt holding it gets no shape (the line is then serialized whole). */
const TEXT_MARK = 'batchpilot-rendered-text-3f9d2c7a';

/**
 * The body `buildBody` makes, serialized once around a mark standing for the rendered text. JSON escapes a string
 * character by character, so the text's escaped form put in the mark's place gives the bytes of the whole body
 * serialized. Null when the mark is found other than once (a prompt or schema that contains it).
 */
function bodyShapeOf(prompt: PromptSpec, plan: JsonRequestPlan): BodyShape | null {
  const whole = JSON.stringify(buildBody(prompt, TEXT_MARK, plan));
  const at = whole.indexOf(TEXT_MARK);
  if (at === -1 || whole.indexOf(TEXT_MARK, at + 1) !== -1) return null;
  return { head: whole.slice(0, at), tail: whole.slice(at + TEXT_MARK.length) };
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
