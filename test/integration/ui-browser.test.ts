import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { accessibilityViolations, openBrowser, type BrowserHandle } from '../helpers/open-browser.ts';
import { startUi } from '../helpers/start-ui.ts';
import { describeResult, killRunningClis, runCli, startCli } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Issue 16 in a real browser (Debian's Chromium driven by playwright-core): `batchpilot ui` on a workspace, a job
 * started while the jobs page is open, its page following it live (never reloaded), its counts ending as
 * `status --json`'s, its items filtered and one opened side by side. `BATCHPILOT_SCREENSHOTS=DIR` saves the pages
 * (docs/screenshots holds the ones the README shows).
 */

const ITEMS = 2_000;
const SCREENSHOTS = process.env['BATCHPILOT_SCREENSHOTS'];

describe('the dashboard in a browser', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let url: string;
  let browser: BrowserHandle;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-ui-');
    // Slow enough (2,000 requests, two at a time, 10-30 ms each) that the job is still running when its page opens.
    sim = await startSimulator({ latencyMs: 20, jitterMs: 10, seed: 16 });
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS)));
    ({ url } = await startUi(temp));
    browser = await openBrowser();
    if (SCREENSHOTS !== undefined) await mkdir(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await killRunningClis();
    await sim.close();
    await temp.remove();
  });

  /** Saves the page (with `BATCHPILOT_SCREENSHOTS`) and checks it with axe-core: no serious accessibility fault. */
  async function screenshot(name: string): Promise<void> {
    if (SCREENSHOTS !== undefined) await browser.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
    assert.deepEqual(await accessibilityViolations(browser.page), [], `${name} page`);
  }

  it('follows a job live from the jobs page to its items, and ends with the counts status shows', async () => {
    const { page } = browser;
    await page.goto(url);
    await page.getByText('0 jobs').waitFor();
    // Set on the page once: a reload would lose it.
    await page.evaluate('window.notReloaded = true');

    const run = startCli(
      [
        '--workspace',
        temp.workspace,
        'run',
        input,
        '--job',
        'live',
        '--base-url',
        sim.baseUrl,
        '--no-progress',
        '--concurrency',
        '2',
      ],
      { cwd: temp.dir, timeoutMs: 58_000 },
    );
    // The job appears on the open page by itself.
    await page.locator('tr[data-job="live"]').waitFor({ timeout: 20_000 });
    await page.locator('tr[data-job="live"] a').click();
    await page.locator('h1', { hasText: 'live' }).waitFor();
    await page.locator('.badge', { hasText: 'running' }).waitFor({ timeout: 20_000 });
    const succeeded = page.locator('[data-count="succeeded"]');
    const first = Number((await succeeded.textContent())?.replace(/,/g, ''));
    // The page's own code, run in the browser: no DOM types here.
    await page.waitForFunction(
      `Number(document.querySelector('[data-count="succeeded"]')?.textContent?.replace(/,/g, '')) > ${String(first)}`,
      undefined,
      { timeout: 20_000 },
    );
    await screenshot('job');
    assert.equal(await page.evaluate('window.notReloaded'), true, 'the page was not reloaded');

    // Stopped from the command line, the page shows it, and its counts end as `status --json` has them.
    const cancel = await runCli(['--workspace', temp.workspace, 'cancel', 'live'], { cwd: temp.dir });
    assert.equal(cancel.code, 0, describeResult(cancel));
    const ended = await run.done;
    assert.notEqual(ended.code, null, describeResult(ended));
    const status = await runCli(['--workspace', temp.workspace, '--json', 'status', 'live'], { cwd: temp.dir });
    const expected = JSON.parse(status.stdout) as { state: string; counts: Record<string, number> };
    assert.notEqual(expected.state, 'running');
    await page.locator('h1 .badge', { hasText: expected.state }).waitFor({ timeout: 10_000 });
    for (const [name, count] of Object.entries(expected.counts)) {
      const shown = page.locator(`[data-count="${name}"]`);
      assert.equal(Number((await shown.textContent())?.replace(/[,+]/g, '')), count, `${name} on the page`);
    }
    assert.equal(await page.evaluate('window.notReloaded'), true, 'the page was not reloaded');

    await page.goto(url);
    await page.locator('tr[data-job="live"]').waitFor();
    await screenshot('jobs');

    // Items: filtered to those that succeeded, then one opened side by side.
    await page.goto(`${url.replace(/\/$/, '')}/jobs/live/items`);
    await page.locator('table.items tbody tr').first().waitFor();
    await page.getByLabel('State').selectOption('succeeded');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText(`${expected.counts['succeeded']!.toLocaleString('en-US')} items match`).waitFor();
    const states = await page.locator('table.items tbody tr .badge').allTextContents();
    assert.ok(states.length === 50 && states.every((state) => state === 'succeeded'), states.join(','));
    await screenshot('items');
    const firstRow = page.locator('table.items tbody tr').first();
    const customId = (await firstRow.locator('a').textContent()) ?? '';
    await firstRow.locator('a').click();
    await page.locator('[data-testid="answer"]').waitFor();
    const request = JSON.parse((await page.locator('[data-testid="request"]').textContent()) ?? '') as {
      custom_id: string;
    };
    assert.equal(request.custom_id, customId);
    assert.match((await page.locator('[data-testid="answer"]').textContent()) ?? '', /chat\.completion/);
    assert.equal(await page.locator('table tbody tr').count(), 1, 'one attempt');
    await screenshot('item');
    // Dark, as the system asks: the same checks hold (contrast above all).
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${url}/jobs/live`);
    await page.locator('[data-count="succeeded"]').waitFor();
    assert.deepEqual(await accessibilityViolations(page), [], 'job page, dark');
    await page.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(browser.errors, []);
  });

  it('refuses an address other than loopback without a token, naming --token', async () => {
    const result = await runCli(['--workspace', temp.workspace, 'ui', '--host', '0.0.0.0', '--port', '0'], {
      cwd: temp.dir,
    });
    assert.equal(result.code, 2, describeResult(result));
    assert.match(result.stderr, /--token/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });

  it('says which flag to change when its port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const result = await runCli(['--workspace', temp.workspace, 'ui', '--port', port], { cwd: temp.dir });
      assert.equal(result.code, 2, describeResult(result));
      assert.match(result.stderr, /EADDRINUSE.*--port|--port/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
