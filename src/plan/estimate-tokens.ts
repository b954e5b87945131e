import { getEncoding, type Tiktoken } from 'js-tiktoken';

let encoder: Tiktoken | undefined;

/**
 * Tokens a request will be charged for against a TPM limit: its body text encoded with
 * o200k_base (a slight overestimate, which is the safe side) plus the output bound.
 * The encoder is built on first use only: it costs about half a second.
 */
export function estimateRequestTokens(body: string): number {
  encoder ??= getEncoding('o200k_base');
  const maxTokens = /"max(?:_completion)?_tokens"\s*:\s*(\d+)/.exec(body);
  return encoder.encode(body).length + (maxTokens === null ? 0 : Number(maxTokens[1]));
}
