import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AtomicFileWriter } from '../../output/atomic-write.ts';
import type { ChunkSource } from './plan-chunk.ts';
import { readItemRequests } from './plan-chunk.ts';

export function chunkFilePath(workDir: string, chunkNo: number): string {
  return join(workDir, 'chunks', `chunk-${String(chunkNo).padStart(5, '0')}.jsonl`);
}

/**
 * Writes a chunk's lines, as the provider encodes them, from the items the store assigned
 * to it, atomically. The file can always be rebuilt this way, so a crash before upload
 * needs no copy of it anywhere. Returns the number of lines.
 */
export async function writeChunkFile(source: ChunkSource, chunkNo: number, path: string): Promise<number> {
  const { store, jobId, provider } = source;
  await mkdir(join(path, '..'), { recursive: true });
  const writer = new AtomicFileWriter(path);
  await writer.open();
  try {
    for await (const { item, request } of readItemRequests(source, store.chunkItems(jobId, chunkNo))) {
      await writer.writeLine(provider.encodeLine(provider.remoteId(item.customId, item.seq), request));
    }
    await writer.commit();
    return writer.lines;
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
