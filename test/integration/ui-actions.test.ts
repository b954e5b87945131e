import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { openBrowser, type BrowserHandle } from '../helpers/open-browser.ts';
import { startUi } from '../helpers/start-ui.ts';
import { describeResult, killRunningClis, runCli, startCli, waitFor } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Issue 16, the dashboard's actions from a real browser: a running job cancelled from its page, resumed, then its
 * failed items retried, each through the CLI command of the same name; the result files end exact and as
 * `status --json` counts them.
 */

const ITEMS = 900;

describe('dashboard actions in a browser', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let url: string;
  let browser: BrowserHandle;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-ui-actions-');
    // Two at a time at 20-40 ms: about 15 s for the job, so it is still running when the page cancels it, even on a
    // busy machine where opening the page and starting the cancel command are slow (the job's pace is the simulator's,
    // not the machine's). One answer in ten is a 500 and each item gets one attempt: failed items to retry.
    sim = await startSimulator({ latencyMs: 30, jitterMs: 10, seed: 1616, failureRates: { http500: 0.1 } });
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS)));
    ({ url } = await startUi(temp));
    browser = await openBrowser();
    // Every action asks first: yes.
    browser.page.on('dialog', (dialog) => void dialog.accept());
  });

  after(async () => {
    await browser?.close();
    await killRunningClis();
    await sim.close();
    await temp.remove();
  });

  async function status(): Promise<{ state: string; counts: Record<string, number> }> {
    const result = await runCli(['--workspace', temp.workspace, '--json', 'status', 'acts'], { cwd: temp.dir });
    assert.equal(result.code, 0, describeResult(result));
    return JSON.parse(result.stdout) as { state: string; counts: Record<string, number> };
  }

  async function shownCount(name: string): Promise<number> {
    return Number((await browser.page.locator(`[data-count="${name}"]`).textContent())?.replace(/[,+]/g, ''));
  }

  async function act(action: string): Promise<string> {
    const { page } = browser;
    await page.locator(`button[data-action="${action}"]`).click();
    const outcome = page.locator('[data-testid="action-outcome"]');
    await outcome.waitFor({ timeout: 30_000 });
    return (await outcome.textContent()) ?? '';
  }

  it('cancels a running job, resumes it, retries its failed items, and the files end exact', async () => {
    const { page } = browser;
    const run = startCli(
      [
        '--workspace',
        temp.workspace,
        'run',
        input,
        '--job',
        'acts',
        '--base-url',
        sim.baseUrl,
        '--no-progress',
        '--concurrency',
        '2',
        '--max-attempts',
        '1',
      ],
      { cwd: temp.dir, timeoutMs: 58_000 },
    );
    await waitFor(() => sim.stats().answered200 > 0, 'the first answers', 20_000);
    await page.goto(`${url}/jobs/acts`);
    await page.locator('h1 .badge', { hasText: 'running' }).waitFor({ timeout: 20_000 });

    assert.equal(await act('cancel'), 'cancel: done');
    const cancelled = await run.done;
    assert.notEqual(cancelled.code, null, describeResult(cancelled));
    await page.locator('h1 .badge', { hasText: 'cancelled' }).waitFor({ timeout: 10_000 });
    assert.ok((await status()).counts['missing']! > 0, 'cancelled before the end');

    assert.equal(await act('resume'), 'resume: done');
    await page.locator('h1 .badge', { hasText: 'completed' }).waitFor({ timeout: 45_000 });
    const resumed = await status();
    assert.equal(resumed.state, 'completed');
    assert.equal(resumed.counts['missing'], 0);
    const failed = resumed.counts['failed']!;
    assert.ok(failed > 0, 'one answer in ten failed');
    assert.equal(await shownCount('failed'), failed);

    assert.equal(await act('retry'), 'retry: done');
    // Retried, most failed items succeed: the page follows until the job is done again with fewer failed. The
    // reopened items are pending (the job still shown completed) until the scheduler's run sent them all.
    await page.waitForFunction(
      `(() => {
        const shown = (name) => Number(document.querySelector('[data-count="' + name + '"]')?.textContent?.replace(/,/g, ''));
        return shown('failed') < ${String(failed)} && shown('pending') === 0 && shown('retry_wait') === 0 &&
          document.querySelector('h1 .badge')?.textContent === 'completed';
      })()`,
      undefined,
      { timeout: 30_000 },
    );
    const retried = await status();
    assert.ok(retried.counts['failed']! < failed);
    const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('acts') });
    assert.equal(files.succeeded.length, retried.counts['succeeded']);
    assert.equal(files.failed.length, retried.counts['failed']);
    assert.equal(files.succeeded.length + files.failed.length, ITEMS);
    assert.equal(files.missing.length, 0);
    for (const name of ['succeeded', 'failed', 'missing', 'total']) {
      assert.equal(await shownCount(name), retried.counts[name], `${name} on the page`);
    }
    assert.deepEqual(browser.errors, []);
  });

  it('refuses an action asked from another page, or without a JSON body', async () => {
    const foreign = await fetch(`${url}/api/jobs/acts/actions/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://attacker.example' },
      body: '{}',
    });
    assert.equal(foreign.status, 403);
    const form = await fetch(`${url}/api/jobs/acts/actions/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    assert.ok(form.status === 403 || form.status === 415, String(form.status));
    const unknown = await fetch(`${url}/api/jobs/acts/actions/delete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(unknown.status, 404);
  });
});
