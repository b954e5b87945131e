import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ItemRecord } from '../../../../src/core/item.ts';
import { ProviderError } from '../../../../src/errors/index.ts';
import { parseResultLine } from '../../../../src/providers/openai/openai-batch-provider.ts';
import { FAST_BATCH_SETTINGS, lines, useBatchJobFixture } from './batch-job-fixture.ts';
import { FakeBatchProvider } from './fake-batch-provider.ts';

/**
 * Batch mode never gets stuck on results it cannot have: a result file that is gone (404, as after a crash against a
 * provider that dropped it) makes the engine read the batch again, and if that gives nothing new, the chunk's open
 * lines are sent again (and fail with `batch_results_unavailable` once out of attempts). An unreadable result line
 * settles only its own item and is told once; the download is never repeated for it.
 */

const ITEMS = 10;

/** How the OpenAI adapter turns a failure to read its stream into a retryable error (what it did before the fix). */
function parseAsTheAdapter(text: string): ReturnType<typeof parseResultLine> {
  try {
    return parseResultLine(text, 'out');
  } catch (error) {
    throw new ProviderError(`downloading out: ${(error as Error).message}`, { kind: 'malformed', cause: error });
  }
}

describe('batch results that cannot be had', () => {
  const fixture = useBatchJobFixture();

  async function run(
    id: string,
    provider: FakeBatchProvider,
  ): Promise<{ outcome: string; items: ItemRecord[]; notices: string[] }> {
    // A run that downloads over and over is stopped, so a regression fails instead of hanging.
    const stop = new AbortController();
    const guard = setInterval(() => {
      const downloads = [...provider.downloads.values()].reduce((sum, count) => sum + count, 0);
      if (downloads > 20) stop.abort();
    }, 5);
    const notices: string[] = [];
    try {
      const result = await fixture.run(
        id,
        lines(ITEMS, id),
        provider,
        {},
        {
          signal: stop.signal,
          onNotice: (message) => notices.push(message),
        },
      );
      return { outcome: result.outcome, items: await fixture.items(id), notices };
    } finally {
      clearInterval(guard);
    }
  }

  it('sends the lines of a chunk whose result file is gone again, and the job ends', async () => {
    const provider = new FakeBatchProvider({ parseLine: parseAsTheAdapter });
    provider.gone.add('out-batch-1');
    const { outcome, items } = await run('gone', provider);
    assert.equal(outcome, 'completed');
    assert.equal(items.filter((item) => item.state === 'succeeded').length, ITEMS);
    assert.deepEqual(provider.created, ['batch-1', 'batch-2'], 'one new batch for the lines whose results were gone');
    assert.equal(provider.downloads.get('out-batch-1'), 1, 'the gone file was asked for once');
  });

  it('takes the result file the batch names when read again', async () => {
    const provider = new FakeBatchProvider({ parseLine: parseAsTheAdapter });
    provider.gone.add('out-batch-1');
    provider.outputFileOf.set('batch-1', 'out-batch-1');
    const poll = provider.getBatch.bind(provider);
    let polls = 0;
    provider.getBatch = async (batchId) => {
      polls += 1;
      // The first poll sees the old file; the read after the 404 sees a new one.
      if (polls === 2) provider.outputFileOf.set(batchId, 'out-batch-1-new');
      return poll(batchId);
    };
    const { outcome, items } = await run('reread', provider);
    assert.equal(outcome, 'completed');
    assert.equal(items.filter((item) => item.state === 'succeeded').length, ITEMS);
    assert.deepEqual(provider.created, ['batch-1'], 'nothing was sent twice');
  });

  it('fails the lines with batch_results_unavailable once out of attempts, and the job ends', async () => {
    const provider = new FakeBatchProvider({ parseLine: parseAsTheAdapter });
    for (const no of [1, 2, 3, 4, 5]) provider.gone.add(`out-batch-${String(no)}`);
    const { outcome, items } = await run('never', provider);
    assert.equal(outcome, 'completed');
    assert.equal(provider.created.length, FAST_BATCH_SETTINGS.retry.maxAttempts, 'one batch per attempt');
    assert.deepEqual(
      items.map((item) => [item.state, item.error?.code]),
      items.map(() => ['failed', 'batch_results_unavailable']),
    );
  });

  it('settles an unreadable result line as its own item, tells it once, and never downloads again for it', async () => {
    const provider = new FakeBatchProvider({
      parseLine: parseAsTheAdapter,
      resultLines: (batchNo, texts) =>
        batchNo === 1
          ? texts.map((line, index) => {
              if (index === 2) return line.slice(0, 60); // cut short: not JSON, but its custom_id is still there
              if (index === 5) return '<html>502 Bad Gateway</html>'; // nothing of it can be read
              return line;
            })
          : texts,
    });
    const { outcome, items, notices } = await run('unreadable', provider);
    assert.equal(outcome, 'completed');
    assert.equal(items.filter((item) => item.state === 'succeeded').length, ITEMS);
    assert.equal(provider.downloads.get('out-batch-1'), 1, 'the file with bad lines was read once');
    assert.deepEqual(provider.created, ['batch-1', 'batch-2'], 'the two items went into one new chunk');
    assert.equal(notices.length, 1, `told once: ${JSON.stringify(notices)}`);
  });

  it('fails an item whose result line stays unreadable once out of attempts', async () => {
    const provider = new FakeBatchProvider({
      parseLine: parseAsTheAdapter,
      resultLines: (_batchNo, texts) =>
        texts.map((line) => (line.includes('"custom_id":"stuck-0"') ? line.slice(0, 50) : line)),
    });
    const { outcome, items } = await run('stuck', provider);
    assert.equal(outcome, 'completed');
    const first = items[0];
    assert.equal(first?.state, 'failed');
    assert.equal(first.error?.code, 'batch_result_unreadable');
    assert.equal(items.filter((item) => item.state === 'succeeded').length, ITEMS - 1);
  });
});
