import type { SimulatorHandle } from '../simulator/index.ts';

/**
 * The simulator `run --simulate` starts in-process: realistic latency and a few faults of
 * each kind, so the quickstart shows retries at work and still ends with every item done.
 * A data job's JSON answers are sometimes broken too (so re-asks show), never refused (a
 * refusal is not re-asked by default), and every re-ask that carries the errors is fixed:
 * the data quickstart ends at full coverage.
 */
export async function startQuickstartSimulator(): Promise<SimulatorHandle> {
  // Imported on demand: a run against a real endpoint should not load the simulator.
  const { startSimulator } = await import('../simulator/index.ts');
  return startSimulator({
    port: 0,
    latencyMs: 40,
    jitterMs: 30,
    retryAfterMs: 200,
    failureRates: { http500: 0.02, http429: 0.02, resetBeforeResponse: 0.005, malformed: 0.005 },
    structured: { invalidJson: 0.03, schemaBreak: 0.05, shortText: 0, truncated: 0.01, refusal: 0, reaskFixRate: 1 },
    seed: Date.now() % 100_000,
  });
}
