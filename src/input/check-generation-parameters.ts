import { describeJsonType, isJsonObject } from './describe-json-type.ts';

type ParameterKind =
  'number' | 'integer' | 'string' | 'boolean' | 'logprobs' | 'array' | 'object' | 'stop' | 'tool_choice';

/**
 * The JSON type each generation parameter must have, as OpenAI's chat/completions API defines it.
 * A line with `"temperature": "hot"` would be sent only to come back a 400 (or, on a lenient server,
 * to run with a default the user did not ask for); checking the few known keys here turns it into
 * a reject with a reason before anything is sent. Unknown keys pass: the provider judges them.
 */
const PARAMETER_KINDS: ReadonlyMap<string, ParameterKind> = new Map<string, ParameterKind>([
  ['max_tokens', 'integer'],
  ['max_completion_tokens', 'integer'],
  ['temperature', 'number'],
  ['top_p', 'number'],
  ['stop', 'stop'],
  ['seed', 'integer'],
  ['n', 'integer'],
  ['presence_penalty', 'number'],
  ['frequency_penalty', 'number'],
  ['response_format', 'object'],
  ['tools', 'array'],
  ['tool_choice', 'tool_choice'],
  // A boolean in chat/completions, a whole number in the legacy /v1/completions.
  ['logprobs', 'logprobs'],
  ['top_logprobs', 'integer'],
  ['user', 'string'],
]);

const EXPECTED: Record<ParameterKind, string> = {
  number: 'a number',
  integer: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  logprobs: 'true, false or a whole number',
  array: 'an array',
  object: 'an object',
  stop: 'a string or an array of strings',
  tool_choice: 'a string or an object',
};

function matches(kind: ParameterKind, value: unknown): boolean {
  switch (kind) {
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return Number.isInteger(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'logprobs':
      return typeof value === 'boolean' || Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isJsonObject(value);
    case 'stop':
      return typeof value === 'string' || (Array.isArray(value) && value.every((entry) => typeof entry === 'string'));
    case 'tool_choice':
      return typeof value === 'string' || isJsonObject(value);
  }
}

/**
 * Why the generation parameters in `source` (a request body, a message row or its `extra_body`) cannot
 * be sent, or undefined when they can. `where` prefixes the field (`body.`, `extra_body.`). Null values
 * count as unset, as they do for message rows.
 *
 * `"stream": true` is refused: batchpilot keeps each answer whole (one JSON body per item in
 * `output.jsonl`, usage for the budget and TPM), and a streamed answer is a sequence of events that
 * would be stored as a malformed body. Dropping the flag silently would send a request other than
 * the one written, so the line is rejected with the fix instead (see docs/decisions/0011).
 */
export function checkGenerationParameters(source: Record<string, unknown>, where = ''): string | undefined {
  for (const key in source) {
    const value = source[key];
    if (value === undefined || value === null) continue;
    if (key === 'stream') {
      if (value === false) continue;
      return `"${where}stream": ${JSON.stringify(value)} is not supported (batchpilot stores each answer whole); remove it or set it to false`;
    }
    const kind = PARAMETER_KINDS.get(key);
    if (kind === undefined || matches(kind, value)) continue;
    const shown = typeof value === 'string' ? ` ${JSON.stringify(value.slice(0, 40))}` : '';
    return `"${where}${key}" must be ${EXPECTED[kind]}, got ${describeJsonType(value)}${shown}`;
  }
  return undefined;
}
