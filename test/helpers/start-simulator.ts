import { type SimulatorHandle, type SimulatorOptions, startSimulator } from '../../src/simulator/index.ts';

export { startSimulator };
export type { SimulatorHandle, SimulatorOptions };

/** Runs `fn` against a fresh simulator on 127.0.0.1 and always closes it, even when `fn` throws. */
export async function withSimulator<T>(
  options: SimulatorOptions,
  fn: (simulator: SimulatorHandle) => Promise<T>,
): Promise<T> {
  const simulator = await startSimulator(options);
  try {
    return await fn(simulator);
  } finally {
    await simulator.close();
  }
}
