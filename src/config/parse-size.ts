/**
 * Decimal units, as providers state their limits ("200 MB per file"): reading
 * `200MB` as 200,000,000 bytes keeps a chunk under the limit whichever way the
 * provider counts. Binary units are there for users who mean them.
 */
const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

const SIZE_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/**
 * Parses a size such as `200MB`, `1.5GB`, `512 KiB` or `1024` into whole bytes
 * (rounded down). Returns null when the text is not a size.
 */
export function parseSize(text: string): number | null {
  const match = SIZE_PATTERN.exec(text);
  if (match === null) return null;
  const [, amount = '', unit = ''] = match;
  const multiplier = UNIT_BYTES[unit === '' ? 'b' : unit.toLowerCase()];
  if (multiplier === undefined) return null;
  return Math.floor(Number(amount) * multiplier);
}
