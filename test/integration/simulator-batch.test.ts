import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type SimulatorHandle,
  answerText,
  convertAnthropicParamsToChatBody,
  estimateRequestTokens,
} from '../../src/simulator/index.ts';
import { withSimulator } from '../helpers/start-simulator.ts';

/**
 * The simulator's batch endpoints driven over the wire with plain fetch, as a provider client would: OpenAI (`/v1/`),
 * Zhipu (`/api/paas/v4/`) and Anthropic (`/v1/messages/batches`). Lifetimes are a few hundred ms.
 */

const LIFETIME_MS = 300;

interface FileObject {
  id: string;
  object: string;
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
}

interface BatchObject {
  id: string;
  object: string;
  endpoint: string;
  status: string;
  errors: {
    object: string;
    data: { code: string; message: string; line: number | null; param: string | null }[];
  } | null;
  input_file_id: string;
  output_file_id: string | null;
  error_file_id: string | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  metadata: unknown;
}

interface OutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: Record<string, unknown> } | null;
  error: { code: string; message: string } | null;
}

interface ChatAnswer {
  choices: { message: { content: string } }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

interface MessageBatch {
  id: string;
  type: string;
  processing_status: string;
  request_counts: { processing: number; succeeded: number; errored: number; canceled: number; expired: number };
  ended_at: string | null;
  created_at: string;
  expires_at: string;
  cancel_initiated_at: string | null;
  results_url: string | null;
}

interface ResultLine {
  custom_id: string;
  result: {
    type: string;
    message?: { content: { type: string; text: string }[]; model: string; usage: { input_tokens: number } };
    error?: { type: string; error: { type: string; message: string } };
  };
}

interface ListPage<T> {
  object?: string;
  data: T[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
}

function chatBody(text: string, model = 'gpt-4o-mini'): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content: text }], max_tokens: 16 };
}

function batchLine(customId: string, body: unknown, url = '/v1/chat/completions'): string {
  return JSON.stringify({ custom_id: customId, method: 'POST', url, body });
}

function makeLines(count: number, url = '/v1/chat/completions', prefix = 'req'): string[] {
  return Array.from({ length: count }, (_unused, index) =>
    batchLine(`${prefix}-${String(index)}`, chatBody(`question ${String(index)}`), url),
  );
}

async function call<T>(url: string, init: RequestInit = {}): Promise<Answer<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    body: (text === '' ? undefined : JSON.parse(text)) as T,
    headers: response.headers,
  };
}

function postJson<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
  return call<T>(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function upload(
  base: string,
  content: string,
  options: { purpose?: string; headers?: Record<string, string> } = {},
): Promise<Answer<FileObject>> {
  const form = new FormData();
  form.set('purpose', options.purpose ?? 'batch');
  form.set('file', new Blob([content], { type: 'application/jsonl' }), 'input.jsonl');
  return call<FileObject>(`${base}/files`, { method: 'POST', body: form, headers: options.headers ?? {} });
}

async function submit(
  base: string,
  lines: string[],
  endpoint = '/v1/chat/completions',
  headers: Record<string, string> = {},
): Promise<BatchObject> {
  const file = await upload(base, `${lines.join('\n')}\n`, { headers });
  assert.equal(file.status, 200);
  const created = await postJson<BatchObject>(
    `${base}/batches`,
    { input_file_id: file.body.id, endpoint, completion_window: '24h' },
    headers,
  );
  assert.equal(created.status, 200);
  return created.body;
}

const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled', 'ended']);

async function waitForEnd<T extends { status?: string; processing_status?: string }>(
  url: string,
  headers: Record<string, string> = {},
): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const answer = await call<T>(url, { headers });
    assert.equal(answer.status, 200);
    if (TERMINAL.has(answer.body.status ?? answer.body.processing_status ?? '')) return answer.body;
    assert.ok(Date.now() < deadline, `batch at ${url} did not end in time`);
    await sleep(20);
  }
}

async function download(base: string, fileId: string | null): Promise<OutputLine[]> {
  if (fileId === null) return [];
  const response = await fetch(`${base}/files/${fileId}/content`);
  assert.equal(response.status, 200);
  return parseJsonl<OutputLine>(await response.text());
}

function parseJsonl<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Checks every output line answers its own request, and every input line appears in exactly one of the files. */
function checkOutputs(lines: string[], output: OutputLine[], errors: OutputLine[]): void {
  const requests = new Map(lines.map((line) => [(JSON.parse(line) as { custom_id: string }).custom_id, line]));
  const seen = [...output, ...errors].map((line) => line.custom_id).sort();
  assert.deepEqual(seen, [...requests.keys()].sort());
  for (const line of output) {
    const request = JSON.parse(requests.get(line.custom_id)!) as { url: string; body: unknown };
    assert.equal(line.response?.status_code, 200);
    assert.equal(line.error, null);
    assert.match(line.id, /^batch_req_/);
    const body = line.response.body as unknown as ChatAnswer;
    assert.equal(body.choices[0]!.message.content, answerText(request.url, request.body));
    assert.ok(body.usage.total_tokens > 0);
  }
}

describe('simulator OpenAI batches', () => {
  it('uploads, runs through validating, in_progress and finalizing, and answers every line deterministically', async () => {
    await withSimulator({ batchLifetimeMs: 600 }, async (simulator) => {
      const base = simulator.baseUrl;
      const lines = makeLines(30);
      const content = `${lines.join('\n')}\n`;
      const file = await upload(base, content);
      assert.equal(file.status, 200);
      assert.match(file.body.id, /^file-/);
      assert.equal(file.body.object, 'file');
      assert.equal(file.body.bytes, Buffer.byteLength(content));
      assert.equal(file.body.purpose, 'batch');
      assert.equal(file.body.filename, 'input.jsonl');
      assert.deepEqual((await call<FileObject>(`${base}/files/${file.body.id}`)).body, file.body);
      assert.equal(await (await fetch(`${base}/files/${file.body.id}/content`)).text(), content);

      const created = await postJson<BatchObject>(`${base}/batches`, {
        input_file_id: file.body.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        metadata: { job: 'test' },
      });
      assert.equal(created.status, 200);
      assert.match(created.body.id, /^batch_/);
      assert.equal(created.body.status, 'validating');
      assert.deepEqual(created.body.request_counts, { total: 0, completed: 0, failed: 0 });
      assert.deepEqual(created.body.metadata, { job: 'test' });
      assert.equal(created.body.output_file_id, null);

      const statuses = new Set<string>();
      let sawPartialProgress = false;
      let batch = created.body;
      while (!TERMINAL.has(batch.status)) {
        await sleep(15);
        batch = (await call<BatchObject>(`${base}/batches/${created.body.id}`)).body;
        statuses.add(batch.status);
        const done = batch.request_counts.completed;
        if (batch.status === 'in_progress' && done > 0 && done < 30) sawPartialProgress = true;
      }
      assert.deepEqual(
        [...statuses],
        ['validating', 'in_progress', 'finalizing', 'completed'].filter((s) => statuses.has(s)),
      );
      assert.ok(statuses.has('in_progress') && statuses.has('completed'));
      assert.ok(sawPartialProgress, 'request_counts grow while in_progress');
      assert.deepEqual(batch.request_counts, { total: 30, completed: 30, failed: 0 });
      assert.equal(batch.error_file_id, null);
      assert.notEqual(batch.completed_at, null);

      const output = await download(base, batch.output_file_id);
      checkOutputs(lines, output, []);
      const outputFile = (await call<FileObject>(`${base}/files/${batch.output_file_id!}`)).body;
      assert.equal(outputFile.purpose, 'batch_output');
    });
  });

  it('serves Zhipu under /api/paas/v4/ with /v4/ endpoints, in a namespace of its own', async () => {
    await withSimulator({ batchLifetimeMs: LIFETIME_MS }, async (simulator) => {
      const zhipu = `${simulator.url}/api/paas/v4`;
      const lines = makeLines(5, '/v4/chat/completions');
      const batch = await submit(zhipu, lines, '/v4/chat/completions');
      const ended = await waitForEnd<BatchObject>(`${zhipu}/batches/${batch.id}`);
      assert.equal(ended.status, 'completed');
      assert.equal(ended.endpoint, '/v4/chat/completions');
      checkOutputs(lines, await download(zhipu, ended.output_file_id), []);

      // Neither its files nor its batches are visible to the OpenAI dialect.
      assert.equal((await call(`${simulator.baseUrl}/batches/${batch.id}`)).status, 404);
      assert.equal((await call(`${simulator.baseUrl}/files/${ended.output_file_id!}`)).status, 404);
      const file = await upload(zhipu, `${lines.join('\n')}\n`);
      const wrongEndpoint = await postJson<{ error: { code: string; param: string } }>(`${zhipu}/batches`, {
        input_file_id: file.body.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      });
      assert.equal(wrongEndpoint.status, 400);
      assert.equal(wrongEndpoint.body.error.param, 'endpoint');
    });
  });

  it('rejects bad uploads and creates with OpenAI error bodies, and requires the Bearer key', async () => {
    await withSimulator({ apiKey: 'sk-batch' }, async (simulator) => {
      const base = simulator.baseUrl;
      const auth = { authorization: 'Bearer sk-batch' };
      assert.equal((await upload(base, 'x')).status, 401);
      assert.equal((await call(`${base}/batches`)).status, 401);
      const wrongPurpose = await upload(base, 'x', { purpose: 'fine-tune', headers: auth });
      assert.equal(wrongPurpose.status, 400);
      assert.equal((wrongPurpose.body as unknown as { error: { param: string } }).error.param, 'purpose');
      const noFile = new FormData();
      noFile.set('purpose', 'batch');
      const missing = await call<{ error: { code: string } }>(`${base}/files`, {
        method: 'POST',
        body: noFile,
        headers: auth,
      });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.error.code, 'missing_required_parameter');
      const unknownFile = await postJson<{ error: { code: string; type: string } }>(
        `${base}/batches`,
        { input_file_id: 'file-nope', endpoint: '/v1/chat/completions', completion_window: '24h' },
        auth,
      );
      assert.equal(unknownFile.status, 404);
      assert.equal(unknownFile.body.error.type, 'invalid_request_error');
      assert.equal(unknownFile.body.error.code, 'file_not_found');
      assert.equal((await call(`${base}/batches/batch_nope`, { headers: auth })).status, 404);
      assert.equal(simulator.stats().faults.unauthorized, 2);
    });
  });

  it('fails a bad input file at validation with errors naming the lines', async () => {
    await withSimulator({ batchLifetimeMs: LIFETIME_MS }, async (simulator) => {
      const base = simulator.baseUrl;
      const lines = [
        batchLine('a', chatBody('one')),
        '{not json',
        batchLine('b', chatBody('two'), '/v1/embeddings'),
        batchLine('a', chatBody('three')),
      ];
      const batch = await submit(base, lines);
      const ended = await waitForEnd<BatchObject>(`${base}/batches/${batch.id}`);
      assert.equal(ended.status, 'failed');
      assert.notEqual(ended.failed_at, null);
      assert.equal(ended.output_file_id, null);
      assert.equal(ended.error_file_id, null);
      assert.deepEqual(
        ended.errors?.data.map((error) => [error.code, error.line]),
        [
          ['invalid_json_line', 2],
          ['url_mismatch', 3],
          ['duplicate_custom_id', 4],
        ],
      );
    });
  });

  it('fails lines and expires lines at the configured rates, from a per-batch draw that is not sticky', async () => {
    const options = { batchLifetimeMs: LIFETIME_MS, batchLineFailRate: 0.3, batchLineExpireRate: 0.2, seed: 7 };
    const runTwice = async (simulator: SimulatorHandle): Promise<string[][]> => {
      const base = simulator.baseUrl;
      const lines = makeLines(40);
      const first = await waitForEnd<BatchObject>(`${base}/batches/${(await submit(base, lines)).id}`);
      assert.equal(first.status, 'expired', 'a batch with expired lines ends expired, as OpenAI batches do');
      assert.notEqual(first.expired_at, null);
      const output = await download(base, first.output_file_id);
      const errors = await download(base, first.error_file_id);
      checkOutputs(lines, output, errors);
      const failed = errors.filter((line) => line.response?.status_code === 500);
      const expired = errors.filter((line) => line.error?.code === 'batch_expired');
      assert.equal(failed.length + expired.length, errors.length);
      assert.ok(failed.length > 0 && expired.length > 0 && output.length > 0);
      for (const line of failed) {
        assert.equal(line.error, null);
        assert.equal((line.response!.body as { error: { type: string } }).error.type, 'server_error');
      }
      for (const line of expired) assert.equal(line.response, null);
      assert.deepEqual(first.request_counts, { total: 40, completed: output.length, failed: errors.length });

      // The failed lines again, in a new batch: a fresh draw lets some of them through.
      const retryIds = new Set(errors.map((line) => line.custom_id));
      const retryLines = lines.filter((line) => retryIds.has((JSON.parse(line) as { custom_id: string }).custom_id));
      const second = await waitForEnd<BatchObject>(`${base}/batches/${(await submit(base, retryLines)).id}`);
      const secondOutput = await download(base, second.output_file_id);
      checkOutputs(retryLines, secondOutput, await download(base, second.error_file_id));
      assert.ok(secondOutput.length > 0, 'a failed line can succeed when resubmitted');
      return [output.map((line) => line.custom_id).sort(), secondOutput.map((line) => line.custom_id).sort()];
    };
    const firstRun = await withSimulator(options, runTwice);
    const secondRun = await withSimulator(options, runTwice);
    assert.deepEqual(firstRun, secondRun, 'the same seed draws the same outcomes');
  });

  it('fails whole batches at validation with batchFailRate', async () => {
    await withSimulator({ batchLifetimeMs: LIFETIME_MS, batchFailRate: 1 }, async (simulator) => {
      const base = simulator.baseUrl;
      const ended = await waitForEnd<BatchObject>(`${base}/batches/${(await submit(base, makeLines(3))).id}`);
      assert.equal(ended.status, 'failed');
      assert.equal(ended.errors?.data[0]?.code, 'validation_error');
      assert.equal(ended.output_file_id, null);
      assert.equal(ended.error_file_id, null);
      assert.deepEqual(simulator.stats().batch.batchesByStatus, { failed: 1 });
    });
  });

  it('fails a batch that would push the enqueued tokens over the limit', async () => {
    const lines = makeLines(4);
    const tokens = lines.reduce(
      (total, line) => total + estimateRequestTokens((JSON.parse(line) as { body: unknown }).body),
      0,
    );
    await withSimulator({ batchLifetimeMs: 1_000, batchEnqueuedTokenLimit: tokens + 10 }, async (simulator) => {
      const base = simulator.baseUrl;
      const first = await submit(base, lines);
      assert.equal(simulator.stats().batch.enqueuedTokens, tokens);
      const second = await submit(base, makeLines(1, '/v1/chat/completions', 'other'));
      const tooBig = await submit(base, makeLines(8, '/v1/chat/completions', 'big'));
      const secondEnded = await waitForEnd<BatchObject>(`${base}/batches/${second.id}`);
      assert.equal(secondEnded.status, 'failed');
      const error = secondEnded.errors!.data[0]!;
      assert.equal(error.code, 'token_limit_exceeded');
      assert.match(
        error.message,
        new RegExp(
          `^Enqueued token limit reached for gpt-4o-mini .*Limit: ${(tokens + 10).toLocaleString('en-US')} enqueued tokens\\.`,
        ),
      );
      const tooBigEnded = await waitForEnd<BatchObject>(`${base}/batches/${tooBig.id}`);
      assert.match(tooBigEnded.errors!.data[0]!.message, /Please try submitting fewer tasks\.$/);
      assert.equal((await waitForEnd<BatchObject>(`${base}/batches/${first.id}`)).status, 'completed');
      assert.equal(simulator.stats().batch.tokenLimitRejections, 2);
      assert.equal(simulator.stats().batch.enqueuedTokens, 0);
      // Once the first batch is done, the same work fits again.
      const later = await submit(base, makeLines(1, '/v1/chat/completions', 'later'));
      assert.equal((await waitForEnd<BatchObject>(`${base}/batches/${later.id}`)).status, 'completed');
    });
  });

  it('cancels: cancelling, then cancelled, with the lines not done in the error file', async () => {
    await withSimulator({ batchLifetimeMs: 2_000 }, async (simulator) => {
      const base = simulator.baseUrl;
      const lines = makeLines(50);
      const batch = await submit(base, lines);
      let current = batch;
      while (current.request_counts.completed < 5) {
        await sleep(20);
        current = (await call<BatchObject>(`${base}/batches/${batch.id}`)).body;
      }
      const cancelling = await postJson<BatchObject>(`${base}/batches/${batch.id}/cancel`, {});
      assert.equal(cancelling.status, 200);
      assert.equal(cancelling.body.status, 'cancelling');
      assert.notEqual(cancelling.body.cancelling_at, null);
      const ended = await waitForEnd<BatchObject>(`${base}/batches/${batch.id}`);
      assert.equal(ended.status, 'cancelled');
      assert.notEqual(ended.cancelled_at, null);
      const output = await download(base, ended.output_file_id);
      const errors = await download(base, ended.error_file_id);
      checkOutputs(lines, output, errors);
      assert.ok(output.length >= 5 && output.length < 50);
      assert.ok(errors.every((line) => line.error?.code === 'batch_cancelled' && line.response === null));
      assert.equal(ended.request_counts.completed, output.length);
      // Cancelling again answers the batch as it is; cancelling a completed one is refused.
      assert.equal((await postJson<BatchObject>(`${base}/batches/${batch.id}/cancel`, {})).body.status, 'cancelled');
    });
    await withSimulator({ batchLifetimeMs: 50 }, async (simulator) => {
      const batch = await submit(simulator.baseUrl, makeLines(1));
      await waitForEnd(`${simulator.baseUrl}/batches/${batch.id}`);
      const refused = await postJson<{ error: { code: string } }>(
        `${simulator.baseUrl}/batches/${batch.id}/cancel`,
        {},
      );
      assert.equal(refused.status, 400);
    });
  });

  it('lists batches and files newest first, page by page', async () => {
    await withSimulator({ batchLifetimeMs: 50 }, async (simulator) => {
      const base = simulator.baseUrl;
      const ids: string[] = [];
      for (let index = 0; index < 3; index += 1) ids.push((await submit(base, makeLines(1))).id);
      const first = (await call<ListPage<BatchObject>>(`${base}/batches?limit=2`)).body;
      assert.equal(first.object, 'list');
      assert.deepEqual(
        first.data.map((batch) => batch.id),
        [ids[2], ids[1]],
      );
      assert.equal(first.has_more, true);
      assert.equal(first.first_id, ids[2]);
      assert.equal(first.last_id, ids[1]);
      const second = (await call<ListPage<BatchObject>>(`${base}/batches?limit=2&after=${first.last_id}`)).body;
      assert.deepEqual(
        second.data.map((batch) => batch.id),
        [ids[0]],
      );
      assert.equal(second.has_more, false);
      assert.equal((await call(`${base}/batches?limit=0`)).status, 400);

      const files = (await call<ListPage<FileObject>>(`${base}/files?purpose=batch`)).body;
      assert.equal(files.data.length, 3);
      assert.ok(files.data.every((file) => file.purpose === 'batch'));
      const page = (await call<ListPage<FileObject>>(`${base}/files?purpose=batch&limit=1&after=${files.data[0]!.id}`))
        .body;
      assert.deepEqual(
        page.data.map((file) => file.id),
        [files.data[1]!.id],
      );
      assert.equal(page.has_more, true);
      const deleted = await call<{ id: string; deleted: boolean }>(`${base}/files/${files.data[0]!.id}`, {
        method: 'DELETE',
      });
      assert.deepEqual(deleted.body, { id: files.data[0]!.id, object: 'file', deleted: true });
      assert.equal((await call(`${base}/files/${files.data[0]!.id}`)).status, 404);
    });
  });
});

describe('simulator Anthropic message batches', () => {
  const anthropicHeaders = { 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01' };

  interface AnthropicRequest {
    custom_id: string;
    params: Record<string, unknown>;
  }

  function anthropicRequest(customId: string, text: string, extra: Record<string, unknown> = {}): AnthropicRequest {
    return {
      custom_id: customId,
      params: {
        model: 'claude-3-5-haiku-latest',
        max_tokens: 64,
        messages: [{ role: 'user', content: text }],
        ...extra,
      },
    };
  }

  it('creates, polls, and serves results matching the chat answer for the same conversation', async () => {
    await withSimulator({ batchLifetimeMs: LIFETIME_MS, apiKey: 'sk-ant' }, async (simulator) => {
      const url = `${simulator.url}/v1/messages/batches`;
      const requests: AnthropicRequest[] = [
        anthropicRequest('plain', 'hello'),
        anthropicRequest('with_system', 'hi', { system: 'You are terse.' }),
        anthropicRequest('with-blocks', 'x', {
          system: [{ type: 'text', text: 'Be kind.' }],
          messages: [{ role: 'user', content: [{ type: 'text', text: 'block question' }] }],
        }),
        { custom_id: 'no_messages', params: { model: 'claude-3-5-haiku-latest', max_tokens: 8 } },
      ];
      const unauthorized = await postJson<{ type: string; error: { type: string } }>(url, { requests });
      assert.equal(unauthorized.status, 401);
      assert.deepEqual(unauthorized.body.error.type, 'authentication_error');

      const created = await postJson<MessageBatch>(url, { requests }, anthropicHeaders);
      assert.equal(created.status, 200);
      assert.match(created.body.id, /^msgbatch_/);
      assert.equal(created.body.type, 'message_batch');
      assert.equal(created.body.processing_status, 'in_progress');
      assert.deepEqual(created.body.request_counts, {
        processing: 4,
        succeeded: 0,
        errored: 0,
        canceled: 0,
        expired: 0,
      });
      assert.equal(created.body.results_url, null);
      assert.ok(!Number.isNaN(Date.parse(created.body.created_at)));

      const ended = await waitForEnd<MessageBatch>(`${url}/${created.body.id}`, anthropicHeaders);
      assert.equal(ended.processing_status, 'ended');
      assert.deepEqual(ended.request_counts, { processing: 0, succeeded: 3, errored: 1, canceled: 0, expired: 0 });
      assert.equal(ended.results_url, `${url}/${created.body.id}/results`);
      const response = await fetch(ended.results_url, { headers: anthropicHeaders });
      assert.equal(response.status, 200);
      const results = parseJsonl<ResultLine>(await response.text());
      assert.deepEqual(
        results.map((line) => line.custom_id),
        requests.map((request) => request.custom_id),
      );
      for (const [index, line] of results.slice(0, 3).entries()) {
        assert.equal(line.result.type, 'succeeded');
        const expected = answerText('chat/completions', convertAnthropicParamsToChatBody(requests[index]!.params));
        assert.equal(line.result.message!.content[0]!.text, expected);
        assert.equal(line.result.message!.model, 'claude-3-5-haiku-latest');
        assert.ok(line.result.message!.usage.input_tokens > 0);
      }
      // The system prompt is part of the conversation the answer is keyed on.
      assert.notEqual(
        results[1]!.result.message!.content[0]!.text,
        answerText('chat/completions', {
          model: 'claude-3-5-haiku-latest',
          messages: [{ role: 'user', content: 'hi' }],
        }),
      );
      assert.equal(results[3]!.result.type, 'errored');
      assert.equal(results[3]!.result.error!.error.type, 'invalid_request_error');
    });
  });

  it('validates the create body synchronously', async () => {
    await withSimulator({}, async (simulator) => {
      const url = `${simulator.url}/v1/messages/batches`;
      const bad = [
        { requests: [] },
        { requests: [anthropicRequest('bad id!', 'x')] },
        { requests: [anthropicRequest('dup', 'x'), anthropicRequest('dup', 'y')] },
        { requests: [{ custom_id: 'a', params: { model: 'm', messages: [] } }] },
      ];
      for (const body of bad) {
        const answer = await postJson<{ type: string; error: { type: string } }>(url, body);
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.equal(answer.body.type, 'error');
        assert.equal(answer.body.error.type, 'invalid_request_error');
      }
      assert.equal(simulator.stats().batch.batchesCreated.anthropic, 0);
    });
  });

  it('cancels, lists with after_id and before_id, fails lines, and answers 500 for whole-batch failures', async () => {
    await withSimulator({ batchLifetimeMs: 2_000, batchLineExpireRate: 1 }, async (simulator) => {
      const url = `${simulator.url}/v1/messages/batches`;
      const ids: string[] = [];
      for (let index = 0; index < 3; index += 1) {
        ids.push(
          (await postJson<MessageBatch>(url, { requests: [anthropicRequest(`r${String(index)}`, 'q')] })).body.id,
        );
      }
      const canceling = await postJson<MessageBatch>(`${url}/${ids[0]!}/cancel`, {});
      assert.equal(canceling.body.processing_status, 'canceling');
      assert.notEqual(canceling.body.cancel_initiated_at, null);
      const ended = await waitForEnd<MessageBatch>(`${url}/${ids[0]!}`);
      assert.deepEqual(ended.request_counts, { processing: 0, succeeded: 0, errored: 0, canceled: 1, expired: 0 });
      const results = parseJsonl<ResultLine>(await (await fetch(`${url}/${ids[0]!}/results`)).text());
      assert.deepEqual(results, [{ custom_id: 'r0', result: { type: 'canceled' } }]);

      const page = (await call<ListPage<MessageBatch>>(`${url}?limit=2`)).body;
      assert.deepEqual(
        page.data.map((batch) => batch.id),
        [ids[2], ids[1]],
      );
      assert.equal(page.has_more, true);
      const next = (await call<ListPage<MessageBatch>>(`${url}?limit=2&after_id=${page.last_id!}`)).body;
      assert.deepEqual(
        next.data.map((batch) => batch.id),
        [ids[0]],
      );
      assert.equal(next.has_more, false);
      const previous = (await call<ListPage<MessageBatch>>(`${url}?limit=1&before_id=${ids[0]!}`)).body;
      assert.deepEqual(
        previous.data.map((batch) => batch.id),
        [ids[1]],
      );
      assert.equal(previous.has_more, true);
    });
    await withSimulator({ batchLifetimeMs: 50, batchLineExpireRate: 1 }, async (simulator) => {
      const url = `${simulator.url}/v1/messages/batches`;
      const created = await postJson<MessageBatch>(url, { requests: [anthropicRequest('late', 'q')] });
      const ended = await waitForEnd<MessageBatch>(`${url}/${created.body.id}`);
      assert.equal(ended.request_counts.expired, 1);
    });
    await withSimulator({ batchFailRate: 1 }, async (simulator) => {
      const answer = await postJson<{ error: { type: string } }>(`${simulator.url}/v1/messages/batches`, {
        requests: [anthropicRequest('a', 'q')],
      });
      assert.equal(answer.status, 500);
      assert.equal(answer.body.error.type, 'api_error');
    });
  });

  it('answers 429 with retry-after at the enqueued-token limit, and 400 for a batch over it alone', async () => {
    const request = anthropicRequest('a', 'q');
    const tokens = estimateRequestTokens(request.params);
    await withSimulator({ batchLifetimeMs: 1_000, batchEnqueuedTokenLimit: tokens }, async (simulator) => {
      const url = `${simulator.url}/v1/messages/batches`;
      assert.equal((await postJson(url, { requests: [request] })).status, 200);
      const limited = await postJson<{ error: { type: string } }>(url, { requests: [anthropicRequest('b', 'q')] });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.type, 'rate_limit_error');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      const alone = await postJson<{ error: { type: string } }>(url, {
        requests: [anthropicRequest('c', 'q'), anthropicRequest('d', 'q')],
      });
      assert.equal(alone.status, 400);
      assert.equal(simulator.stats().batch.tokenLimitRejections, 2);
    });
  });
});

describe('simulator batch stats', () => {
  it('counts uploads, duplicates and custom_ids resubmitted after success', async () => {
    await withSimulator({ batchLifetimeMs: 50 }, async (simulator) => {
      const base = simulator.baseUrl;
      const lines = makeLines(3);
      const content = `${lines.join('\n')}\n`;
      const file = await upload(base, content);
      await upload(base, content);
      const create = () =>
        postJson<BatchObject>(`${base}/batches`, {
          input_file_id: file.body.id,
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
        });
      const first = (await create()).body;
      await waitForEnd(`${base}/batches/${first.id}`);
      const second = (await create()).body;
      await waitForEnd(`${base}/batches/${second.id}`);
      const anthropic = { requests: [{ custom_id: 'x', params: { model: 'm', max_tokens: 5, messages: [] } }] };
      await postJson(`${simulator.url}/v1/messages/batches`, anthropic);
      await postJson(`${simulator.url}/v1/messages/batches`, anthropic);

      const stats = simulator.stats().batch;
      assert.equal(stats.uploads, 2);
      assert.equal(stats.uploadBytes, 2 * Buffer.byteLength(content));
      assert.equal(stats.duplicateUploads, 1);
      assert.deepEqual(stats.batchesCreated, { openai: 2, zhipu: 0, anthropic: 2 });
      assert.equal(stats.duplicateBatches, 2);
      assert.equal(stats.linesSubmitted, 8);
      assert.equal(stats.customIdsResubmitted, 4);
      assert.equal(stats.customIdsResubmittedAfterSuccess, 3);
      assert.deepEqual(stats.batchesByStatus, { completed: 2, in_progress: 2 });
      const overHttp = (await call<{ batch: typeof stats }>(`${simulator.url}/stats`)).body;
      assert.deepEqual(overHttp.batch, simulator.stats().batch);

      simulator.resetStats();
      const reset = simulator.stats().batch;
      assert.equal(reset.uploads, 0);
      assert.equal(reset.customIdsResubmittedAfterSuccess, 0);
      assert.deepEqual(reset.batchesByStatus, { completed: 2, in_progress: 2 }, 'live state survives a reset');
    });
  });
});

describe('simulator outages', () => {
  async function fetchError(url: string, init: RequestInit = {}): Promise<string> {
    try {
      await fetch(url, init);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; name?: string } }).cause;
      return cause?.code ?? cause?.name ?? (error as Error).name;
    }
    return 'answered';
  }

  it('resets, refuses and holds requests for a while; batches live on meanwhile', async () => {
    await withSimulator({ batchLifetimeMs: 200 }, async (simulator) => {
      const base = simulator.baseUrl;
      const batch = await submit(base, makeLines(2));

      await simulator.setOutage({ mode: 'reset', durationMs: 300 });
      assert.match(await fetchError(`${base}/batches/${batch.id}`), /ECONNRESET|UND_ERR_SOCKET/);
      assert.equal((await fetch(`${simulator.url}/stats`)).status, 200, '/stats stays up');
      await sleep(350);
      const afterReset = (await call<BatchObject>(`${base}/batches/${batch.id}`)).body;
      assert.equal(afterReset.status, 'completed', 'the batch moved on during the outage');

      await simulator.setOutage({ mode: 'refuse', durationMs: 300 });
      await sleep(50); // lets the client's pool notice that its keep-alive sockets were closed
      assert.equal(await fetchError(`${base}/batches/${batch.id}`), 'ECONNREFUSED');
      await sleep(400);
      assert.equal((await call(`${base}/batches/${batch.id}`)).status, 200, 'the same port serves again');

      await simulator.setOutage({ mode: 'hang', durationMs: 5_000 });
      const held = await fetchError(`${base}/batches/${batch.id}`, { signal: AbortSignal.timeout(200) });
      assert.match(held, /TimeoutError|AbortError/);
      await simulator.endOutage();
      assert.equal((await call(`${base}/batches/${batch.id}`)).status, 200);
      assert.equal(simulator.stats().outageDropped, 2, 'a refused connection never becomes a request');
    });
  });
});
