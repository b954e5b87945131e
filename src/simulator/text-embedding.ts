import { createHash } from 'node:crypto';

/** Dimensions of a simulated embedding when neither the request (`dimensions`) nor the simulator option says. */
export const DEFAULT_EMBEDDING_DIMENSIONS = 8;

/**
 * A simulated embedding: `dimensions` floats in [-1, 1] drawn from sha256 of the model and the input alone, so the
 * same text always gets the same vector, whichever request, batch or position it comes in (a test can recompute
 * it, and a replay into a vector table writes the same values). Rounded to six places to keep bodies short.
 */
export function textEmbedding(model: string, input: unknown, dimensions: number): number[] {
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  const vector: number[] = [];
  for (let block = 0; vector.length < dimensions; block += 1) {
    const digest = createHash('sha256')
      .update(`${model}\u0000${text}\u0000${String(block)}`)
      .digest();
    for (let offset = 0; offset < 32 && vector.length < dimensions; offset += 4) {
      vector.push(Math.round((digest.readUInt32BE(offset) / 4_294_967_295) * 2_000_000 - 1_000_000) / 1_000_000);
    }
  }
  return vector;
}
