import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AtomicFileWriter } from '../../output/atomic-write.ts';
import type { ChunkSource } from './plan-chunk.ts';
import { parseRequest } from './plan-chunk.ts';

const PAGE = 1000;

export function chunkFilePath(workDir: string, chunkNo: number): string {
  return join(workDir, 'chunks', `chunk-${String(chunkNo).padStart(5, '0')}.jsonl`);
}

/**
 * Writes a chunk's lines, as the provider encodes them, from the items the store assigned
 * to it, atomically. The file can always be rebuilt this way, so a crash before upload
 * needs no copy of it anywhere. Returns the number of lines.
 */
export async function writeChunkFile(source: ChunkSource, chunkNo: number, path: string): Promise<number> {
  const { store, jobId, reader, provider } = source;
  await mkdir(join(path, '..'), { recursive: true });
  const writer = new AtomicFileWriter(path);
  await writer.open();
  try {
    let afterSeq = -1;
    for (;;) {
      const page = await store.chunkItems(jobId, chunkNo, afterSeq, PAGE);
      if (page.length === 0) break;
      afterSeq = page[page.length - 1]?.seq ?? afterSeq;
      const texts = await reader.readMany(page);
      for (const [index, item] of page.entries()) {
        const request = parseRequest(source.parser, item, texts[index] ?? '');
        if (request === null) continue;
        await writer.writeLine(provider.encodeLine(provider.remoteId(item.customId, item.seq), request));
      }
      if (page.length < PAGE) break;
    }
    await writer.commit();
    return writer.lines;
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
