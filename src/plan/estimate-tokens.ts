/** Counts the tokens a request will be charged for against a TPM limit. */
export type TokenEstimator = (body: string) => number;

/**
 * Tokens of a request body encoded with o200k_base (a slight overestimate, the safe side)
 * plus its output bound. js-tiktoken is imported only here and only when a TPM limit is set:
 * loading its ranks and building the encoder costs about half a second.
 */
export async function createTokenEstimator(): Promise<TokenEstimator> {
  const count = await createTokenCounter();
  return (body) => count(body) + (outputBound(body) ?? 0);
}

let counter: Promise<(text: string) => number> | undefined;

/**
 * Tokens of a text with o200k_base. The encoder is built once per process and shared: a run
 * with both a TPM limit and a budget (or `run` checking its budget before starting) would
 * otherwise build it twice, at about half a second each.
 */
export function createTokenCounter(): Promise<(text: string) => number> {
  counter ??= import('js-tiktoken').then(({ getEncoding }) => {
    const encoder = getEncoding('o200k_base');
    return (text: string) => encoder.encode(text).length;
  });
  return counter;
}

/** The request's own bound on output tokens (`max_tokens`, `max_completion_tokens`), if it sets one. */
export function outputBound(body: string): number | undefined {
  const match = /"max(?:_completion|_output)?_tokens"\s*:\s*(\d+)/.exec(body);
  return match === null ? undefined : Number(match[1]);
}
