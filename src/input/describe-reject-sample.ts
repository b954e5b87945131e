/** Rejects quoted when a whole file is refused: enough to see the pattern, short enough to read. */
export const REJECT_SAMPLE_SIZE = 3;

/**
 * The first few reject reasons, one per line (`  line 3: body.messages: expected array, got string`),
 * so a file whose every line is rejected says why at once instead of only how many.
 */
export function describeRejectSample(sample: readonly { line: number; reason: string }[], total: number): string {
  const lines = sample.slice(0, REJECT_SAMPLE_SIZE).map((reject) => `  line ${String(reject.line)}: ${reject.reason}`);
  const more = total > lines.length ? `\n  ... and ${String(total - lines.length)} more` : '';
  return lines.length === 0 ? '' : `\n${lines.join('\n')}${more}`;
}
