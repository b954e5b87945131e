import type { BatchLimits } from '../provider.ts';

/**
 * Dialects of the OpenAI files + batches API, as data: one adapter serves them all. They
 * differ in the path prefix batch lines must carry, per-file limits and the auth header.
 */
export type BatchDialectName = 'openai' | 'zhipu' | 'azure';

export interface BatchDialect {
  name: BatchDialectName;
  /** Prefix of every line's `url` and of the batch `endpoint` (`/v1` -> `/v1/chat/completions`). */
  linePrefix: string;
  limits: BatchLimits;
  /** Azure wants `api-key: KEY`, the others `Authorization: Bearer KEY`. */
  authHeader: 'bearer' | 'api-key';
}

const MB = 1_000_000;

export const BATCH_DIALECTS: Readonly<Record<BatchDialectName, BatchDialect>> = {
  openai: {
    name: 'openai',
    linePrefix: '/v1',
    limits: { maxRequests: 50_000, maxBytes: 200 * MB, oneModelPerBatch: true },
    authHeader: 'bearer',
  },
  zhipu: {
    name: 'zhipu',
    linePrefix: '/v4',
    limits: { maxRequests: 50_000, maxBytes: 100 * MB, oneModelPerBatch: true },
    authHeader: 'bearer',
  },
  azure: {
    name: 'azure',
    linePrefix: '',
    limits: { maxRequests: 100_000, maxBytes: 200 * MB, oneModelPerBatch: true },
    authHeader: 'api-key',
  },
};

/** `batch.dialect: auto` picks by base URL: Zhipu's `/api/paas/v4`, Azure's `*.openai.azure.com`, else OpenAI. */
export function detectBatchDialect(baseUrl: string): BatchDialectName {
  const url = new URL(baseUrl);
  if (/\/api\/paas\/v4\/?$/.test(url.pathname)) return 'zhipu';
  if (url.hostname.endsWith('.openai.azure.com')) return 'azure';
  return 'openai';
}

/** A line's url in the dialect: `/v1/chat/completions` becomes `/v4/chat/completions` for Zhipu. */
export function toDialectUrl(dialect: BatchDialect, url: string): string {
  const path = url.startsWith('/') ? url : `/${url}`;
  const tail = path.replace(/^\/v\d+(?=\/)/, '');
  return `${dialect.linePrefix}${tail}`;
}
