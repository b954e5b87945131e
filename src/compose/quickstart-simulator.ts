import type { SimulatorHandle } from '../simulator/index.ts';

/**
 * The simulator `run --simulate` starts in-process: realistic latency and a few faults of
 * each kind, so the quickstart shows retries at work and still ends with every item done.
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
    seed: Date.now() % 100_000,
  });
}
