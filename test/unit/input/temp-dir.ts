import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

export interface TempDir {
  /** Write a file into the directory and return its path. */
  write(name: string, content: string | Uint8Array): Promise<string>;
  path(name: string): string;
}

/** A fresh directory for the current test file, removed when it ends. */
export function useTempDir(): TempDir {
  let directory = '';
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'batchpilot-input-'));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });
  return {
    async write(name, content) {
      const path = join(directory, name);
      await writeFile(path, content);
      return path;
    },
    path(name) {
      return join(directory, name);
    },
  };
}
