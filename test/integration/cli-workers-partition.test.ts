import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import pg from 'pg';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import {
  CLI_PREFIX,
  delay,
  describeResult,
  killRunningClis,
  REPO_ROOT,
  runOutput,
  startCli,
} from '../helpers/run-cli.ts';
import { killOwned, spawnOwned } from '../helpers/spawn-owned.ts';
import { sharedRunArgs, workerArgs } from '../helpers/shared-run-args.ts';
import { startPostgres, type PostgresHandle } from '../helpers/start-postgres.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Issue 14 §3, where the machine allows it (root, `ip netns`): one worker in a network namespace of its own, joined to
 * the host by a veth pair, whose link is cut mid-run: a real partition. Nothing reaches it or leaves it, no reset,
 * no error: its connections just go silent. The other processes take its slices once its lease is stale; when the
 * link comes back, what it still sends or commits is fenced off. The job completes exactly once.
 */

const ITEMS = 4000;
const CONCURRENCY = 16;
const LEASE_S = 2;
const NS = `bp${String(process.pid)}`;
const HOST_LINK = `bph${String(process.pid % 100_000)}`;
const NS_LINK = `bpn${String(process.pid % 100_000)}`;
const SUBNET = 10 + (process.pid % 200);
const HOST_IP = `10.213.${String(SUBNET)}.1`;
const NS_IP = `10.213.${String(SUBNET)}.2`;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'ignore' });
}

/** A network namespace with a veth pair to the host, or the reason this machine cannot make one. */
function makeNamespace(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    ip('netns', 'add', NS);
    ip('link', 'add', HOST_LINK, 'type', 'veth', 'peer', 'name', NS_LINK);
    ip('link', 'set', NS_LINK, 'netns', NS);
    ip('addr', 'add', `${HOST_IP}/24`, 'dev', HOST_LINK);
    ip('link', 'set', HOST_LINK, 'up');
    ip('netns', 'exec', NS, 'ip', 'addr', 'add', `${NS_IP}/24`, 'dev', NS_LINK);
    ip('netns', 'exec', NS, 'ip', 'link', 'set', NS_LINK, 'up');
    ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
    return undefined;
  } catch (error) {
    // No `ip`, no right to make a namespace, no veth driver: whatever step failed, nothing of it is left.
    removeNamespace();
    return `cannot make a network namespace with a veth pair: ${(error as Error).message.split('\n')[0] ?? ''}`;
  }
}

function removeNamespace(): void {
  try {
    ip('netns', 'del', NS);
  } catch {
    // Not made.
  }
  try {
    ip('link', 'del', HOST_LINK);
  } catch {
    // Gone with the namespace.
  }
}

const unavailable = makeNamespace();

describe('a worker cut off by a real network partition', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let postgres: PostgresHandle;
  let url: string;
  let input: string;

  before(async () => {
    if (unavailable !== undefined) return;
    temp = await createTempWorkspace('batchpilot-partition-');
    [sim, postgres] = await Promise.all([
      startSimulator({ latencyMs: 20, seed: 5, host: '0.0.0.0', trackDuplicates: true }),
      startPostgres({ alsoListenOn: HOST_IP }),
    ]);
    url = (await postgres.createDatabase('partition')).replace('127.0.0.1', HOST_IP);
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS)));
  });

  after(async () => {
    await killRunningClis();
    await sim?.close();
    await postgres?.stop();
    await temp?.remove();
    removeNamespace();
  });

  it(
    'completes exactly once while one worker is cut off, its re-sends within what it had out',
    { skip: unavailable === undefined ? false : `no network namespace here (${unavailable ?? ''})` },
    async () => {
      const jobId = 'partitioned';
      const target = { temp, url, jobId };
      const baseUrl = `http://${HOST_IP}:${new URL(sim.baseUrl).port}/v1`;
      // The worker in the namespace: a CLI like the others, started through `ip netns exec`.
      let cutOffOut = '';
      const cutOff = spawnOwned(
        'ip',
        ['netns', 'exec', NS, process.execPath, ...CLI_PREFIX, ...workerArgs(target, ['--lease-s', String(LEASE_S)])],
        { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      cutOff.stdout?.on('data', (chunk: Buffer) => (cutOffOut += chunk.toString()));
      try {
        const submitter = startCli(
          sharedRunArgs(target, input, baseUrl, ['--concurrency', String(CONCURRENCY), '--lease-s', String(LEASE_S)]),
          { cwd: temp.dir, timeoutMs: 55_000 },
        );
        // The cut-off worker holds slices before its link goes down (its holder names its host and pid).
        const holds = new pg.Client({ connectionString: url });
        await holds.connect();
        try {
          const holderPrefix = `${hostname()}:${String(cutOff.pid)}:%`;
          for (let held = 0; held === 0;) {
            await delay(50);
            // Before the submitting process has migrated the store, there is no table to ask yet.
            const rows = await holds
              .query<{ held: number }>('SELECT COUNT(*)::int AS held FROM slices WHERE holder LIKE $1', [holderPrefix])
              .then((result) => result.rows)
              .catch(() => []);
            held = rows[0]?.held ?? 0;
            assert.equal(submitter.child.exitCode, null, 'the job ended before the worker took a slice');
          }
        } finally {
          await holds.end();
        }
        ip('link', 'set', HOST_LINK, 'down');
        // Past its lease, and past the server's 5 s idle-in-transaction timeout (cut inside a transaction, its row
        // locks would keep its slices until then).
        await delay(7_000);
        ip('link', 'set', HOST_LINK, 'up');
        const result = await submitter.done;
        assert.equal(result.code, 0, describeResult(result));
        assert.equal(runOutput(result)?.outcome, 'completed');
        const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir(jobId) });
        assert.equal(files.succeeded.length, ITEMS);
        assert.equal(files.failed.length + files.missing.length, 0);
        const stats = sim.stats();
        const log = await readFile(join(temp.jobDir(jobId), 'job.log'), 'utf8');
        const events = (text: string): string =>
          text
            .split('\n')
            .filter((line) => /slice-(adopt|lose|fail)|worker-s/.test(line))
            .join('\n');
        assert.ok(
          stats.duplicates <= CONCURRENCY,
          `${String(stats.duplicates)} answered twice; the cut-off worker had at most ${String(CONCURRENCY)} out\n` +
            `submitter:\n${events(log)}\ncut-off worker:\n${events(cutOffOut)}`,
        );
        assert.equal(stats.answered200 - stats.duplicates, ITEMS);
        // The partition did cost the cut-off worker its slices: the submitting process took them over.
        assert.match(log, /"msg":"slice-adopt"/, 'no slice of the cut-off worker was taken over');
      } finally {
        killOwned(cutOff);
      }
    },
  );
});
