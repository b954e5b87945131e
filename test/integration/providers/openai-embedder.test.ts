import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSinkEmbedder } from '../../../src/compose/create-sink-embedder.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { ProviderError, SinkError } from '../../../src/errors/index.ts';
import { createRealtimeProvider } from '../../../src/providers/create-provider.ts';
import { createOpenAIEmbedder } from '../../../src/providers/openai/openai-embedder.ts';
import { textEmbedding } from '../../../src/simulator/index.ts';
import { startHttpServer } from '../../helpers/start-http-server.ts';
import { startSimulator, withSimulator } from '../../helpers/start-simulator.ts';
import { createConfigFolder } from '../../unit/config/config-fixtures.ts';

/**
 * The embeddings client (decision 0027) against the simulator and a scripted server on 127.0.0.1: vectors in the
 * texts' order (by `data[].index`), long lists split, and the sink's view of failures: retried (SINK_UNAVAILABLE) or
 * not (SINK_FAILED), with a key the endpoint echoes back masked everywhere in the error.
 */

const KEY = 'bp-embed/Key+0123456789abcdefXYZ';
const SEED = 7;

function providerAt(baseUrl: string, apiKey: string | null = null) {
  return createRealtimeProvider({
    provider: 'openai',
    baseUrl,
    apiKey,
    concurrency: 1,
    workDir: '',
    commandTargets: {},
    env: {},
  });
}

describe('createOpenAIEmbedder', () => {
  it('gives one vector per text in order, the same text the same vector, over several requests', async () => {
    await withSimulator({ seed: SEED, embeddingDimensions: 12 }, async (simulator) => {
      const provider = providerAt(simulator.baseUrl);
      try {
        const embedder = createOpenAIEmbedder({ provider, model: 'e', timeoutMs: 10_000, maxInputsPerRequest: 2 });
        const vectors = await embedder.embedTexts(['a', 'b', 'a', 'c', 'b']);
        assert.deepEqual(
          vectors,
          ['a', 'b', 'a', 'c', 'b'].map((text) => textEmbedding('e', text, 12)),
        );
        assert.equal(simulator.stats().generationRequests, 3);
      } finally {
        await provider.close();
      }
    });
  });

  it('orders by data[].index, and refuses an answer missing an embedding as malformed', async () => {
    let answer = '';
    const server = await startHttpServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(answer);
    });
    const provider = providerAt(`${server.origin}/v1`);
    try {
      const embedder = createOpenAIEmbedder({ provider, model: 'e', timeoutMs: 10_000 });
      answer = JSON.stringify({
        data: [
          { index: 1, embedding: [1, 1] },
          { index: 0, embedding: [0, 0] },
        ],
      });
      assert.deepEqual(await embedder.embedTexts(['x', 'y']), [
        [0, 0],
        [1, 1],
      ]);
      answer = JSON.stringify({ data: [{ index: 0, embedding: [0, 0] }] });
      await assert.rejects(
        embedder.embedTexts(['x', 'y']),
        (error: unknown) => error instanceof ProviderError && error.kind === 'malformed',
      );
    } finally {
      await provider.close();
      await server.close();
    }
  });
});

describe('createSinkEmbedder', () => {
  let simulator: Awaited<ReturnType<typeof startSimulator>>;

  before(async () => {
    simulator = await startSimulator({ seed: SEED, apiKey: KEY, echoAuthRate: 1, embeddingErrorRate: 0.5 });
  });

  after(async () => {
    await simulator.close();
  });

  async function embedderFor(key: string, baseUrl = simulator.baseUrl) {
    const cwd = await createConfigFolder(`base_url: ${baseUrl}\napi_key_env: EMBED_TEST_KEY\n`);
    const { config } = await loadConfig({ cwd, env: { EMBED_TEST_KEY: key }, flags: {} });
    return createSinkEmbedder({ config, baseUrl, sinkName: 'vectors-sink', jobId: 'j', model: 'e' });
  }

  /** The error of a call that must fail, with everything it carries as text. */
  async function failure(call: Promise<unknown>): Promise<{ error: SinkError; text: string }> {
    try {
      await call;
    } catch (error) {
      assert.ok(error instanceof SinkError, `a SinkError, got ${String(error)}`);
      const cause = error.cause as ProviderError | undefined;
      const text = [error.message, error.stack, cause?.message, cause?.stack, cause?.body].join('\n');
      return { error, text };
    }
    assert.fail('expected a failure');
  }

  it('a 500 is SINK_UNAVAILABLE, a refused key SINK_FAILED; the echoed key is in neither', async () => {
    const embedder = await embedderFor(KEY);
    try {
      const codes = new Set<string>();
      for (let attempt = 0; attempt < 20 && codes.size < 2; attempt += 1) {
        try {
          await embedder.embed(['a', 'b']);
          codes.add('ok');
        } catch (error) {
          assert.ok(error instanceof SinkError);
          codes.add(error.code);
          const { text } = await failure(Promise.reject(error));
          assert.ok(!text.includes('0123456789abcdefXYZ'), `seed ${String(SEED)}: ${text}`);
        }
      }
      assert.deepEqual([...codes].sort(), ['SINK_UNAVAILABLE', 'ok'], `seed ${String(SEED)}`);
    } finally {
      await embedder.close();
    }
    const wrong = await embedderFor('bp-wrong-Key-9876543210zyxwvu');
    try {
      const { error, text } = await failure(wrong.embed(['a']));
      assert.equal(error.code, 'SINK_FAILED');
      assert.equal(error.context.key, 'vectors');
      assert.ok(!text.includes('9876543210zyxwvu'), text);
    } finally {
      await wrong.close();
    }
  });

  it('an endpoint that cannot be reached is SINK_UNAVAILABLE', async () => {
    const server = await startHttpServer(() => undefined);
    const gone = `${server.origin}/v1`;
    await server.close();
    const embedder = await embedderFor(KEY, gone);
    try {
      const { error } = await failure(embedder.embed(['a']));
      assert.equal(error.code, 'SINK_UNAVAILABLE');
    } finally {
      await embedder.close();
    }
  });
});
