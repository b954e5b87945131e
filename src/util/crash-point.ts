/**
 * Named points where tests kill the process with SIGKILL, to prove that every step
 * boundary survives a crash. Set `BATCHPILOT_CRASH_AT=name` (or `name:N` to crash the N-th
 * time the point is reached); unset, this costs one comparison.
 */
const wanted = process.env['BATCHPILOT_CRASH_AT'];
const counts = new Map<string, number>();

export function crashPoint(name: string): void {
  if (wanted === undefined || wanted === '') return;
  const [point, nth] = wanted.split(':');
  if (point !== name) return;
  const seen = (counts.get(name) ?? 0) + 1;
  counts.set(name, seen);
  if (seen >= Number(nth ?? '1')) process.kill(process.pid, 'SIGKILL');
}
