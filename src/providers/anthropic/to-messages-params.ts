import { isRecord } from '../../util/is-record.ts';
import { toAnthropicOutput } from './to-anthropic-output.ts';

/**
 * Turns an OpenAI chat/completions body (what every input line becomes) into Anthropic Messages params.
 *
 * - `system` and `developer` messages are lifted out, in order, into `params.system` (one string, joined with a
 *   blank line; a top-level Anthropic-style `system` string comes first). The other messages keep their order.
 * - Message content: a string stays a string; text parts become text blocks; `image_url` parts become image
 *   blocks (a `data:` URL as base64, anything else as a URL source); other parts, and roles other than
 *   user/assistant, are passed on as they are, so the API rejects that one line visibly instead of us guessing.
 * - `max_tokens` is required by Anthropic: `max_tokens`, else `max_completion_tokens`, else the provider's default.
 * - `stop` (a string or an array) becomes `stop_sequences`; an Anthropic `stop_sequences` is kept when there is no
 *   `stop`. `thinking` and an Anthropic-shaped `metadata` (`{user_id}` only) are kept.
 * - `response_format` asks for JSON the Anthropic way (to-anthropic-output.ts, decision 0021): a strict `json_schema`
 *   becomes `output_config.format`, `json_object` and a non-strict schema an instruction at the end of `system`.
 *   An Anthropic-shaped `output_config` in the body is kept (its `format` yields to `response_format`'s).
 *
 * Everything else is dropped (a whitelist: Anthropic answers 400 "Extra inputs are not permitted" to unknown keys).
 * Dropped on purpose, among others: `n`, `logprobs`, `top_logprobs`, `logit_bias`, `presence_penalty`,
 * `frequency_penalty`, `stream`, `stream_options`, `seed`, `user`, `store`, an OpenAI-shaped
 * `metadata`, `service_tier`, `modalities`, `audio`, `prediction`, `reasoning_effort`, `web_search_options`,
 * `parallel_tool_calls`, `tools`, `tool_choice`, `functions`, `function_call` (tool definitions are not converted),
 * and the sampling parameters `temperature`, `top_p`, `top_k`: the SDK we use sends `anthropic-version: 2026-10-21`,
 * under which the API refuses all three (even `temperature: 1`) and which no longer declares them, so passing them
 * on would fail every line of the batch with a 400 that is never retried.
 */

export interface MessagesParams {
  model: unknown;
  max_tokens: number;
  system?: string;
  messages: unknown[];
  stop_sequences?: string[];
  thinking?: unknown;
  metadata?: { user_id: string };
  output_config?: Record<string, unknown>;
}

/** Sampling parameters left out (see above); `unsent`, when given, collects those a body set. */
export const UNSENT_SAMPLING_KEYS = ['temperature', 'top_p', 'top_k'] as const;

/** Thrown for a line whose body cannot be sent at all (the whole batch would be refused at create). */
export class UnconvertibleRequestError extends Error {}

const SYSTEM_ROLES: ReadonlySet<string> = new Set(['system', 'developer']);

/** Whether a request's url is OpenAI chat/completions (`/v1/chat/completions`, `/v4/...`, `chat/completions`). */
export function isChatCompletionsUrl(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return /(?:^|\/)chat\/completions\/?$/.test(path);
}

/**
 * The Messages params for one chat/completions body (JSON text); the sampling keys it set but that are not sent
 * go into `unsent`. Throws `UnconvertibleRequestError` when the body
 * is not a JSON object with a `messages` array, or when its token limit is not a positive integer: Anthropic
 * checks `max_tokens` when the batch is created, so one bad value would refuse every line of the chunk.
 */
export function toMessagesParams(bodyText: string, defaultMaxTokens: number, unsent?: Set<string>): MessagesParams {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    throw new UnconvertibleRequestError('the request body is not JSON');
  }
  if (!isRecord(body)) throw new UnconvertibleRequestError('the request body is not a JSON object');
  const messages = body['messages'];
  if (!Array.isArray(messages)) throw new UnconvertibleRequestError('the request body has no `messages` array');

  const output = toAnthropicOutput(body['response_format']);
  const systemTexts: string[] = [];
  if (typeof body['system'] === 'string' && body['system'] !== '') systemTexts.push(body['system']);
  const kept: unknown[] = [];
  for (const message of messages as unknown[]) {
    if (isRecord(message) && typeof message['role'] === 'string' && SYSTEM_ROLES.has(message['role'])) {
      const text = joinTextParts(message['content']);
      if (text !== '') systemTexts.push(text);
    } else {
      kept.push(toAnthropicMessage(message));
    }
  }

  if (unsent !== undefined) {
    for (const key of UNSENT_SAMPLING_KEYS) if (body[key] !== undefined && body[key] !== null) unsent.add(key);
  }
  const params: MessagesParams = {
    model: body['model'],
    max_tokens: pickMaxTokens(body, defaultMaxTokens),
    messages: kept,
  };
  if (output.systemInstruction !== undefined) systemTexts.push(output.systemInstruction);
  if (systemTexts.length > 0) params.system = systemTexts.join('\n\n');
  const stopSequences = toStopSequences(body['stop'] ?? body['stop_sequences']);
  if (stopSequences !== undefined) params.stop_sequences = stopSequences;
  if (body['thinking'] !== undefined && body['thinking'] !== null) params.thinking = body['thinking'];
  const metadata = body['metadata'];
  if (isRecord(metadata) && Object.keys(metadata).length === 1 && typeof metadata['user_id'] === 'string') {
    params.metadata = { user_id: metadata['user_id'] };
  }
  const outputConfig = isRecord(body['output_config']) ? { ...body['output_config'] } : {};
  if (output.format !== undefined) outputConfig['format'] = output.format;
  if (Object.keys(outputConfig).length > 0) params.output_config = outputConfig;
  return params;
}

function pickMaxTokens(body: Record<string, unknown>, defaultMaxTokens: number): number {
  for (const key of ['max_tokens', 'max_completion_tokens']) {
    const value = body[key];
    if (value === undefined || value === null) continue;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value;
    throw new UnconvertibleRequestError(`\`${key}\` must be an integer of at least 1, got ${JSON.stringify(value)}`);
  }
  return defaultMaxTokens;
}

function toStopSequences(stop: unknown): string[] | undefined {
  if (typeof stop === 'string') return stop === '' ? undefined : [stop];
  if (!Array.isArray(stop)) return undefined;
  const sequences = (stop as unknown[]).filter((entry): entry is string => typeof entry === 'string' && entry !== '');
  return sequences.length === 0 ? undefined : sequences;
}

function toAnthropicMessage(message: unknown): unknown {
  if (!isRecord(message)) return message;
  const role = message['role'];
  if (role !== 'user' && role !== 'assistant') return message;
  const content = message['content'];
  return { role, content: Array.isArray(content) ? (content as unknown[]).map(toContentBlock) : content };
}

function toContentBlock(part: unknown): unknown {
  if (typeof part === 'string') return { type: 'text', text: part };
  if (!isRecord(part)) return part;
  if (part['type'] === 'text' && typeof part['text'] === 'string') return { type: 'text', text: part['text'] };
  if (part['type'] === 'image_url') {
    const imageUrl = part['image_url'];
    const url = isRecord(imageUrl) ? imageUrl['url'] : imageUrl;
    if (typeof url === 'string') return { type: 'image', source: toImageSource(url) };
  }
  return part;
}

function toImageSource(url: string): Record<string, string> {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (data !== null) return { type: 'base64', media_type: data[1] ?? '', data: data[2] ?? '' };
  return { type: 'url', url };
}

/** The text of a message's content: a string, or its text parts joined with a blank line. */
function joinTextParts(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts: string[] = [];
  for (const part of content as unknown[]) {
    if (typeof part === 'string') texts.push(part);
    else if (isRecord(part) && typeof part['text'] === 'string') texts.push(part['text']);
  }
  return texts.join('\n\n');
}
