import { isRecord } from '../deterministic-answer.ts';

/** The tool an Anthropic request forces (`tool_choice: {type: 'tool', name}`), with its input schema. */
export interface ForcedTool {
  name: string;
  schema: Record<string, unknown>;
}

/**
 * The tool a Messages request forces, when it names one of its `tools` that has an `input_schema`: the long-known
 * way to ask Claude for JSON (the answer is the `tool_use` block's `input`). Undefined otherwise (`auto`, `any`, no
 * tools), and the request is answered as any other.
 */
export function readForcedTool(params: Record<string, unknown>): ForcedTool | undefined {
  const choice = params['tool_choice'];
  if (!isRecord(choice) || choice['type'] !== 'tool' || typeof choice['name'] !== 'string') return undefined;
  const tools = Array.isArray(params['tools']) ? (params['tools'] as unknown[]) : [];
  const tool = tools.find((entry) => isRecord(entry) && entry['name'] === choice['name']);
  if (!isRecord(tool) || !isRecord(tool['input_schema'])) return undefined;
  return { name: choice['name'], schema: tool['input_schema'] };
}
