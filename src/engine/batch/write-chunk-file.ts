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
 * needs no copy of it anywhere. Returns the number of lines, and what the provider said it does not send of them
 * that it had not said yet (a chunk planned by an earlier process; see `EncodedLine`).
 */
export async function writeChunkFile(
  source: ChunkSource,
  chunkNo: number,
  path: string,
): Promise<{ lines: number; notices: string[] }> {
  const { store, jobId, provider } = source;
  await mkdir(join(path, '..'), { recursive: true });
  const writer = new AtomicFileWriter(path);
  await writer.open();
  try {
    const notices: string[] = [];
    for await (const { item, request } of readItemRequests(source, store.chunkItems(jobId, chunkNo))) {
      const encoded = provider.encodeLine(provider.remoteId(item.customId, item.seq), request);
      notices.push(...encoded.notices);
      await writer.writeLine(encoded.line);
    }
    await writer.commit();
    return { lines: writer.lines, notices };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
