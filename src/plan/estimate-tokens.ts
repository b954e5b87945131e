/** Counts the tokens a request will be charged for against a TPM limit. */
export type TokenEstimator = (body: string) => number;

/**
 * Tokens of a request body encoded with o200k_base (a slight overestimate, the safe side)
 * plus its output bound. js-tiktoken is imported only here and only when a TPM limit is set:
 * loading its ranks and building the encoder costs about half a second.
 */
export async function createTokenEstimator(): Promise<TokenEstimator> {
  const { getEncoding } = await import('js-tiktoken');
  const encoder = getEncoding('o200k_base');
  return (body) => {
    const maxTokens = /"max(?:_completion)?_tokens"\s*:\s*(\d+)/.exec(body);
    return encoder.encode(body).length + (maxTokens === null ? 0 : Number(maxTokens[1]));
  };
}
