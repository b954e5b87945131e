import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempWorkspace {
  /** The temp folder: the CLI's working folder, holding inputs and config files. */
  dir: string;
  /** `<dir>/ws`, passed as `--workspace`. */
  workspace: string;
  /** `<workspace>/jobs/<id>`, where a job's result files go. */
  jobDir(jobId: string): string;
  path(name: string): string;
  /** Writes a file into `dir` and returns its absolute path. */
  write(name: string, content: string): Promise<string>;
  remove(): Promise<void>;
}

export async function createTempWorkspace(prefix = 'batchpilot-cli-'): Promise<TempWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const workspace = join(dir, 'ws');
  return {
    dir,
    workspace,
    jobDir: (jobId) => join(workspace, 'jobs', jobId),
    path: (name) => join(dir, name),
    async write(name, content) {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Every file under `dir`, recursively (state.db and its -wal/-shm included). */
export async function listFilesRecursively(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** The files under `dir` whose bytes contain `needle`, as text or binary (SQLite pages are searched raw). */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const bytes = Buffer.from(needle, 'utf8');
  const found: string[] = [];
  for (const file of await listFilesRecursively(dir)) {
    if ((await readFile(file)).includes(bytes)) found.push(file);
  }
  return found;
}

/** One OpenAI batch chat line per index, each asking something different, so every answer key differs. */
export function chatBatchLines(count: number, options: { prefix?: string; model?: string } = {}): string[] {
  const prefix = options.prefix ?? 'req';
  const model = options.model ?? 'sim-model';
  return Array.from({ length: count }, (_, index) =>
    JSON.stringify({
      custom_id: `${prefix}-${String(index)}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: {
        model,
        messages: [
          { role: 'system', content: 'answer briefly' },
          { role: 'user', content: `question ${String(index)} of ${prefix}: what is ${String(index * 7)}?` },
        ],
        max_tokens: 16,
      },
    }),
  );
}

/** JSONL text of `lines`, newline-terminated. */
export function toJsonl(lines: readonly string[]): string {
  return `${lines.join('\n')}\n`;
}
