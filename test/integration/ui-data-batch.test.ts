import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CRITIQUE_PROMPTS,
  CRITIQUE_SCHEMA,
  GROUP_SIZES,
  type GroupLine,
  interleavedGroupRows,
  groupsRunArgs,
} from '../helpers/critique-groups-fixture.ts';
import { openBrowser, type BrowserHandle } from '../helpers/open-browser.ts';
import { startUi } from '../helpers/start-ui.ts';
import { describeResult, killRunningClis, runCli } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';
import { createTestSeed } from '../helpers/test-seed.ts';

/**
 * Issue 16 in a real browser, for the two other kinds of job: a data job with group targets (its bars are its
 * report's valid rows against each target; an invalid answer opens with its validation errors) and a batch-mode job
 * (its provider batches listed with their ids, as `status --json` has them).
 */

const seed = createTestSeed(import.meta.url);

interface PromptLine {
  prompt: string;
  items: number;
  valid: number;
  checks: Record<string, number>;
}
const SCREENSHOTS = process.env['BATCHPILOT_SCREENSHOTS'];

describe('the dashboard in a browser: a data job with groups, a batch-mode job', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let url: string;
  let browser: BrowserHandle;

  const cli = (args: readonly string[]) => runCli(['--workspace', temp.workspace, ...args], { cwd: temp.dir });

  before(async () => {
    temp = await createTempWorkspace('batchpilot-ui-data-');
    await temp.write('critique.schema.json', JSON.stringify(CRITIQUE_SCHEMA));
    await temp.write('prompts.yaml', CRITIQUE_PROMPTS);
    await temp.write('images.jsonl', interleavedGroupRows(GROUP_SIZES));
    await temp.write(
      'groups.yaml',
      [
        'data: { key: id, group_by: meta.culture }',
        'groups:',
        '  targets: { korean: 20, indian: 15, mural: 30, "*": 0 }',
        '  already: { korean: 8 }',
        '  count_prompt: critique',
      ].join('\n'),
    );
    await temp.write('requests.jsonl', toJsonl(chatBatchLines(120)));
    sim = await startSimulator({
      seed: seed.derive(1),
      structured: { schemaBreak: 0.3, reaskFixRate: 1 },
      batchLifetimeMs: 300,
    });
    const data = await cli([...groupsRunArgs('groups', sim.baseUrl), '--no-progress', '--concurrency', '12']);
    assert.equal(data.code, 3, `${describeResult(data)}\n${seed.note}`);
    const batch = await cli([
      'run',
      'requests.jsonl',
      '--job',
      'batched',
      '--base-url',
      sim.baseUrl,
      '--no-progress',
      '--set',
      'mode=batch',
      '--set',
      'poll_interval_s=0.05',
      '--set',
      'chunk.max_requests=50',
    ]);
    assert.equal(batch.code, 0, describeResult(batch));
    ({ url } = await startUi(temp));
    browser = await openBrowser();
  });

  after(async () => {
    await browser?.close();
    await killRunningClis();
    await sim.close();
    await temp.remove();
  });

  it("shows each group's bar as its report counts it, and an invalid answer with its validation errors", async () => {
    const { page } = browser;
    const report = JSON.parse(await readFile(join(temp.jobDir('groups'), 'report.json'), 'utf8')) as {
      groups: GroupLine[];
    };
    await page.goto(`${url}/jobs/groups`);
    await page.locator('[data-count="succeeded"]').waitFor();
    for (const group of report.groups) {
      const label = page.locator(`.group[data-group="${group.group}"] .progress-label`);
      const target = group.target > 0 ? `target ${group.target.toLocaleString('en-US')}` : 'no target';
      assert.equal(
        (await label.textContent())?.replace(group.group, ''),
        `${(group.valid + group.already).toLocaleString('en-US')} valid rows / ${target}`,
        `${group.group}\n${seed.note}`,
      );
    }
    const status = JSON.parse((await cli(['--json', 'status', 'groups'])).stdout) as {
      counts: Record<string, number>;
      prompts: PromptLine[];
    };
    for (const [name, count] of Object.entries(status.counts)) {
      if (name === 'total') continue;
      const shown = await page.locator(`[data-count="${name}"]`).textContent();
      assert.equal(Number(shown?.replace(/,/g, '')), count, name);
    }
    // A bar per prompt, as `status --json` counts its items.
    assert.ok(status.prompts.length > 0);
    for (const prompt of status.prompts) {
      const label = page.locator(`.group[data-prompt="${prompt.prompt}"] .progress-label`);
      assert.equal(
        (await label.textContent())?.replace(prompt.prompt, ''),
        `${prompt.valid.toLocaleString('en-US')} valid / ${prompt.items.toLocaleString('en-US')} items`,
      );
    }
    if (SCREENSHOTS !== undefined) await page.screenshot({ path: join(SCREENSHOTS, 'job-groups.png'), fullPage: true });
    // The enriched dataset downloads from the page's own link: one line a data row.
    const enrichedHref = await page.getByRole('link', { name: 'enriched', exact: true }).getAttribute('href');
    const enriched = await fetch(`${url}${enrichedHref ?? ''}`);
    assert.equal(enriched.status, 200);
    const rows = Object.values(GROUP_SIZES).reduce((sum, size) => sum + size, 0);
    assert.equal((await enriched.text()).trim().split('\n').length, rows);

    await page.goto(`${url}/jobs/groups/items?check=invalid`);
    const first = page.locator('table.items tbody tr a').first();
    await first.waitFor();
    await first.click();
    const issues = page.locator('[data-testid="issues"] li');
    await issues.first().waitFor();
    assert.ok((await issues.count()) > 0);
    assert.match((await page.locator('.badge.check-invalid').textContent()) ?? '', /invalid/);
    assert.match((await page.locator('[data-testid="request"]').textContent()) ?? '', /Critique image/);
    assert.deepEqual(browser.errors, []);
  });

  it('re-asks the invalid answers from the button, in the background, and the page follows them', async () => {
    const { page } = browser;
    const invalidOf = async (): Promise<number> => {
      const status = JSON.parse((await cli(['--json', 'status', 'groups'])).stdout) as { prompts: PromptLine[] };
      return status.prompts.reduce((sum, prompt) => sum + (prompt.checks['invalid'] ?? 0), 0);
    };
    assert.ok((await invalidOf()) > 0, seed.note);
    await page.goto(`${url}/jobs/groups`);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('button[data-action="reask"]').click();
    await page.locator('[data-testid="action-outcome"]').waitFor();
    assert.match((await page.locator('[data-testid="action-outcome"]').textContent()) ?? '', /^reask: done/);
    const waited = await cli(['--json', 'wait', 'groups']);
    assert.ok([0, 3].includes(waited.code ?? -1), describeResult(waited));
    // Every re-ask is answered valid by this simulator: nothing invalid is left, and the button is gone.
    assert.equal(await invalidOf(), 0);
    await page.locator('button[data-action="reask"]').waitFor({ state: 'detached' });
    assert.deepEqual(browser.errors, []);
  });

  it("lists a batch-mode job's provider batches with their ids", async () => {
    const { page } = browser;
    const status = JSON.parse((await cli(['--json', 'status', 'batched'])).stdout) as {
      chunks: { batch_id: string | null; items: number }[];
    };
    assert.ok(status.chunks.length >= 3, JSON.stringify(status.chunks));
    await page.goto(`${url}/jobs/batched`);
    await page.getByRole('heading', { name: 'Provider batches' }).waitFor();
    const ids = await page.locator('section[aria-labelledby="chunks-title"] tbody tr code').allTextContents();
    assert.deepEqual(
      ids,
      status.chunks.map((chunk) => chunk.batch_id ?? '(not submitted)'),
    );
    assert.equal(await page.locator('[data-count="succeeded"]').textContent(), '120');
    assert.deepEqual(browser.errors, []);
  });
});
