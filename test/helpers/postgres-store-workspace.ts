import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { killRunningClis, runCli, type CliResult } from './run-cli.ts';
import { startPostgres, type PostgresHandle } from './start-postgres.ts';
import { startSimulator, type SimulatorHandle } from './start-simulator.ts';
import { chatBatchLines, createTempWorkspace, toJsonl, type TempWorkspace } from './temp-workspace.ts';
import { SUMMARY_PROMPTS } from './summary-prompts.ts';

/** Request lines in `input.jsonl`. */
export const ITEMS = 60;
/** Rows in `posts.jsonl`, the data file of `prompts.yaml`. */
export const ROWS = 24;

/** What the `--store postgres://` test files share: a workspace, a simulator and one database on a server of their own. */
export interface PostgresStoreWorkspace {
  readonly temp: TempWorkspace;
  readonly sim: SimulatorHandle;
  readonly postgres: PostgresHandle;
  /** The database `jobs`. */
  readonly url: string;
  /** `input.jsonl`: `ITEMS` request lines. */
  readonly input: string;
  /** `batchpilot --workspace W --json ARGS` in the temp folder. */
  readonly cli: (args: readonly string[], env?: Record<string, string | undefined>) => Promise<CliResult>;
  /** `run SOURCE --job JOB` against the simulator, concurrency 8, quick retries. */
  readonly runArgs: (source: string, job: string, extra?: readonly string[]) => string[];
}

/** Starts them in the file's `before` (and stops them in its `after`); read the fields inside tests only. */
export function usePostgresStoreWorkspace(): PostgresStoreWorkspace {
  const state = {} as {
    temp: TempWorkspace;
    sim: SimulatorHandle;
    postgres: PostgresHandle;
    url: string;
    input: string;
  };
  before(async () => {
    state.temp = await createTempWorkspace('batchpilot-pg-store-');
    [state.sim, state.postgres] = await Promise.all([startSimulator({ latencyMs: 2, seed: 14 }), startPostgres()]);
    state.url = await state.postgres.createDatabase('jobs');
    state.input = await state.temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS)));
    await state.temp.write(
      'posts.jsonl',
      toJsonl(
        Array.from({ length: ROWS }, (_, index) =>
          JSON.stringify({ id: `p${String(index)}`, text: `post ${String(index)}` }),
        ),
      ),
    );
    await state.temp.write('prompts.yaml', SUMMARY_PROMPTS);
  });
  after(async () => {
    await killRunningClis();
    await state.sim.close();
    await state.postgres.stop();
    await state.temp.remove();
  });
  return {
    get temp() {
      return state.temp;
    },
    get sim() {
      return state.sim;
    },
    get postgres() {
      return state.postgres;
    },
    get url() {
      return state.url;
    },
    get input() {
      return state.input;
    },
    cli: (args, env = {}) =>
      runCli(['--workspace', state.temp.workspace, '--json', ...args], { cwd: state.temp.dir, env }),
    runArgs: (source, job, extra = []) => [
      'run',
      source,
      '--job',
      job,
      '--base-url',
      state.sim.baseUrl,
      '--no-progress',
      '--concurrency',
      '8',
      '--set',
      'retry.base_delay_ms=10',
      ...extra,
    ],
  };
}

interface OutputLine {
  custom_id: string;
  response: { body: { choices: { message: { content: string } }[] } };
}

/** The lines of a job's `output.jsonl`. */
export async function outputLines(jobDir: string): Promise<OutputLine[]> {
  return (await readFile(join(jobDir, 'output.jsonl'), 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as OutputLine);
}

/** Each custom_id's answer text; fails on a custom_id written twice. */
export function answersById(lines: readonly OutputLine[]): Map<string, string> {
  const answers = new Map<string, string>();
  for (const line of lines) {
    assert.ok(!answers.has(line.custom_id), `custom_id ${line.custom_id} is in output.jsonl twice`);
    answers.set(line.custom_id, line.response.body.choices[0]?.message.content ?? '');
  }
  return answers;
}
