import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliError, describeResult, delay, runCli, type CliResult } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';
import { spawnOwned } from '../helpers/spawn-owned.ts';

/**
 * Issue 10 section 2: the key `run --detach` hands to a running scheduler never reaches a socket another local user
 * owns. Two throwaway users: a victim who runs batchpilot (a workspace path too long for a socket, so the socket
 * moves out of the workspace), and a thief who listens first on every path the code could choose (the old
 * predictable `/tmp/batchpilot-scheduler-<hash>.sock`, and the per-user folder `/tmp/batchpilot-<uid>/` created by
 * the thief, world-writable). The victim's runs must refuse (SCHEDULER_SOCKET_UNSAFE) and the thief gets nothing;
 * once the squatted folder is gone, the victim's own private folder is used and the key is handed over.
 *
 * Needs root (`useradd`, `runuser`), as on CI; skipped otherwise.
 */

const KEY = 'sk-foreign-0123456789abcdefghijkl';
const canRun = process.getuid?.() === 0 && process.platform === 'linux' && hasCommand('useradd');
const skip = canRun ? false : 'needs root on Linux with useradd/runuser (creates two throwaway users)';

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name} && command -v runuser`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}

interface Listener {
  received: () => string;
  /** Kills the listener itself (`runuser` does not pass SIGKILL on) and waits for it. */
  kill: () => Promise<void>;
}

/** A listener as `user` on each path, printing its pid, `ready` once all listen, and every byte it receives. */
function listenAs(user: string, paths: readonly string[]): Listener {
  const script = `
    process.stdout.write('pid ' + process.pid + '\\n');
    const net = require('node:net');
    let pending = ${String(paths.length)};
    for (const path of ${JSON.stringify(paths)}) {
      const server = net.createServer((socket) => socket.on('data', (d) => process.stdout.write('DATA ' + path + ' ' + d)));
      server.on('error', (e) => { process.stdout.write('ERR ' + path + ' ' + e.code + '\\n'); if (--pending === 0) process.stdout.write('ready\\n'); });
      server.listen(path, () => { require('node:fs').chmodSync(path, 0o777); if (--pending === 0) process.stdout.write('ready\\n'); });
    }`;
  const child = spawnOwned('runuser', ['-u', user, '--', process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => (text += chunk));
  const closed = once(child, 'close');
  const kill = async (): Promise<void> => {
    const pid = /pid (\d+)/.exec(text)?.[1];
    if (pid !== undefined) killQuietly(Number(pid));
    child.kill('SIGKILL');
    await closed;
  };
  return { received: () => text, kill };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

describe('scheduler socket against another local user', { skip }, () => {
  const suffix = randomBytes(3).toString('hex');
  const victim = `bpvictim${suffix}`;
  const thief = `bpthief${suffix}`;
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let workspace: string;
  let input: string;
  let victimUid: number;
  const schedulerPids = new Set<number>();
  const listeners: Listener[] = [];

  before(async () => {
    for (const user of [victim, thief]) {
      execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', user], { stdio: 'ignore' });
    }
    victimUid = uidOf(victim);
    temp = await createTempWorkspace('batchpilot-foreign-');
    await chown(temp.dir, victimUid, victimUid);
    // Long enough that `<workspace>/scheduler.sock` cannot be a socket path.
    workspace = join(temp.dir, 'w'.repeat(90), '.batchpilot');
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(20)));
    await chown(input, victimUid, victimUid);
    sim = await startSimulator({ apiKey: KEY, latencyMs: 1, seed: 10 });
  });

  after(async () => {
    for (const pid of schedulerPids) {
      killQuietly(pid);
      while (isAlive(pid)) await delay(10);
    }
    for (const listener of listeners) await listener.kill();
    await sim.close();
    await temp.remove();
    await rm(join(tmpdir(), `batchpilot-${String(victimUid)}`), { recursive: true, force: true });
    for (const user of [victim, thief]) execFileSync('userdel', ['--force', user], { stdio: 'ignore' });
  });

  async function detach(jobId: string): Promise<CliResult> {
    const result = await runCli(
      [
        '--workspace',
        workspace,
        '--json',
        'run',
        input,
        '--detach',
        '--job',
        jobId,
        '--base-url',
        sim.baseUrl,
        '--api-key-env',
        'VICTIM_KEY',
        '--set',
        'scheduler.idle_exit_s=30',
      ],
      { cwd: temp.dir, env: { VICTIM_KEY: KEY, TMPDIR: undefined, HOME: temp.dir }, runAs: victim },
    );
    if (result.code === 0)
      schedulerPids.add((JSON.parse(result.stdout) as { scheduler: { pid: number } }).scheduler.pid);
    return result;
  }

  it('never sends the key to a socket of another user, and refuses the squatted folder', async () => {
    await mkdir(join(temp.dir, 'w'.repeat(90)));
    await chown(join(temp.dir, 'w'.repeat(90)), victimUid, victimUid);
    const digest = createHash('sha256').update(workspace).digest('hex').slice(0, 16);
    const squatted = join(tmpdir(), `batchpilot-${String(victimUid)}`);
    await mkdir(squatted, { mode: 0o777 });
    await chmod(squatted, 0o777);
    await chown(squatted, uidOf(thief), uidOf(thief));
    const paths = [join(tmpdir(), `batchpilot-scheduler-${digest}.sock`), join(squatted, `${digest}.sock`)];
    const listener = listenAs(thief, paths);
    listeners.push(listener);
    for (let tries = 0; !listener.received().includes('ready'); tries += 1) {
      assert.ok(tries < 3000, `the thief's listener never got ready: ${listener.received()}`);
      await delay(10);
    }
    assert.ok(!listener.received().includes('ERR'), listener.received());

    // The first starts a scheduler (with the key in its environment); the second hands its key to that one.
    const first = await detach('one');
    const second = await detach('two');
    await delay(300);
    assert.ok(!listener.received().includes(KEY), `the thief received the key: ${listener.received()}`);
    assert.ok(!listener.received().includes('DATA'), `the thief received a submission: ${listener.received()}`);
    for (const result of [first, second]) {
      assert.equal(result.code, 2, describeResult(result));
      assert.equal(cliError(result)?.code, 'SCHEDULER_SOCKET_UNSAFE', describeResult(result));
    }
    await listener.kill();
    await rm(squatted, { recursive: true, force: true });
    for (const path of paths) await rm(path, { force: true });
  });

  it('hands the key over through its own private folder once the squatter is gone', async () => {
    const first = await detach('three');
    assert.equal(first.code, 0, describeResult(first));
    const second = await detach('four');
    assert.equal(second.code, 0, describeResult(second));
    assert.ok(!second.stderr.includes('did not take'), describeResult(second));
    const own = join(tmpdir(), `batchpilot-${String(victimUid)}`);
    const { lstat } = await import('node:fs/promises');
    const stats = await lstat(own);
    assert.equal(stats.uid, victimUid);
    assert.equal(stats.mode & 0o777, 0o700);
  });
});
