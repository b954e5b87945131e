import { createErrorBody } from './openai-error-body.ts';

/**
 * The simulator pretends every plausible model exists, so a config naming any real model works against it; ids
 * starting with `unknown` or `nonexistent` are the way tests ask for a 404.
 */
const MODEL_ID_PATTERN = /^[\w.:-]+$/;
const LISTED_MODELS = ['sim-model', 'gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'text-embedding-3-small', 'glm-4-flash'];
// A fixed timestamp keeps the catalog byte-identical across runs.
const CREATED = 1_700_000_000;

export const MODEL_LIST_BODY = JSON.stringify({ object: 'list', data: LISTED_MODELS.map((id) => describeModel(id)) });

export function modelExists(id: string): boolean {
  return MODEL_ID_PATTERN.test(id) && !id.startsWith('unknown') && !id.startsWith('nonexistent');
}

export function buildModelBody(id: string): string {
  return JSON.stringify(describeModel(id));
}

export function buildModelNotFoundBody(id: string): string {
  return createErrorBody(
    `The model \`${id.slice(0, 200)}\` does not exist or you do not have access to it.`,
    'invalid_request_error',
    'model_not_found',
    'model',
  );
}

function describeModel(id: string): Record<string, unknown> {
  return { id, object: 'model', created: CREATED, owned_by: 'batchpilot-simulator' };
}
