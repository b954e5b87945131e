import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { AtomicFileWriter } from '../../output/atomic-write.ts';
import { chunkFilePath } from './write-chunk-file.ts';

/**
 * A chunk's file written while the chunk is cut (`planNextChunk` reads, parses and encodes every line of it anyway),
 * so its upload need not read, parse and encode them all again (`writeChunkFile`): about 1 CPU-s per 200,000 lines.
 *
 * The draft becomes the chunk's file only once the store has committed the chunk (`keep`), under the number the store
 * gave it; until then it is a file of its own name, which no step reads. A kill before `keep` leaves at most a
 * draft no one uses (the next draft replaces it); a kill between the commit and `keep` leaves the chunk without a
 * file, which its upload rebuilds from the store as it always could. So a chunk's file, when there is one, holds
 * exactly the chunk's lines.
 */
export class ChunkFileDraft {
  private readonly workDir: string;
  private readonly path: string;
  private readonly writer: AtomicFileWriter;

  private constructor(workDir: string) {
    this.workDir = workDir;
    this.path = join(workDir, 'chunks', 'chunk-draft.jsonl');
    this.writer = new AtomicFileWriter(this.path);
  }

  static async open(workDir: string): Promise<ChunkFileDraft> {
    const draft = new ChunkFileDraft(workDir);
    await mkdir(join(workDir, 'chunks'), { recursive: true });
    await draft.writer.open();
    return draft;
  }

  writeLine(line: string): Promise<void> {
    return this.writer.writeLine(line);
  }

  /** The chunk is committed as `chunkNo`: the draft becomes its file. */
  async keep(chunkNo: number): Promise<void> {
    await this.writer.commit();
    await rename(this.path, chunkFilePath(this.workDir, chunkNo));
  }

  /** No chunk was committed from it. */
  discard(): Promise<void> {
    return this.writer.abort();
  }
}
