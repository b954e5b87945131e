/**
 * `retry-after-ms` first (OpenAI's precise header), then `retry-after` as seconds or an HTTP date.
 */
export function parseRetryAfter(
  retryAfterMsHeader: string | undefined,
  retryAfterHeader: string | undefined,
  now: number,
): number | undefined {
  if (retryAfterMsHeader !== undefined) {
    const value = Number.parseFloat(retryAfterMsHeader);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  if (retryAfterHeader !== undefined) {
    const seconds = Number.parseFloat(retryAfterHeader);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(retryAfterHeader);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  return undefined;
}
