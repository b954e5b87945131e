import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { ItemRecord } from '../../../src/core/item.ts';
import { fingerprintInput } from '../../../src/input/fingerprint-input.ts';
import { createRealtimeProvider } from '../../../src/providers/create-provider.ts';
import type { RealtimeProvider } from '../../../src/providers/provider.ts';
import { createStore } from '../../../src/store/create-store.ts';
import type { Store } from '../../../src/store/store.ts';
import { startSimulator, type SimulatorHandle } from '../../helpers/start-simulator.ts';
import { chatBatchLines, toJsonl } from '../../helpers/temp-workspace.ts';

/** What the `runJob` tests of a `describe` share: a temp folder and store, and the simulator when asked for. */
export interface RunJobWorld {
  readonly dir: string;
  readonly store: Store;
  /** Writes `items` chat lines to `<id>.jsonl` and creates job `id` of them. */
  createJob: (id: string, items: number) => Promise<void>;
  /** The real OpenAI provider against the simulator (`useRunJobWorld(..., { simulator: true })`). */
  simulatorProvider: (concurrency: number) => RealtimeProvider;
  /** The job's items in input order. */
  itemsOf: (jobId: string) => Promise<ItemRecord[]>;
}

/** Opens the world before the `describe`'s tests and throws it away after them. */
export function useRunJobWorld(prefix: string, options: { simulator?: boolean } = {}): RunJobWorld {
  let dir = '';
  let store: Store | undefined;
  let simulator: SimulatorHandle | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    store = createStore({ workspace: join(dir, 'ws') });
    if (options.simulator === true) simulator = await startSimulator({ latencyMs: 0 });
  });

  after(async () => {
    await store?.close();
    await simulator?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const world: RunJobWorld = {
    get dir() {
      return dir;
    },
    get store() {
      if (store === undefined) throw new Error('the store opens in before()');
      return store;
    },
    createJob: async (id, items) => {
      const inputPath = join(dir, `${id}.jsonl`);
      await writeFile(inputPath, toJsonl(chatBatchLines(items, { prefix: id })));
      await world.store.createJob({
        id,
        inputPath,
        inputFingerprint: await fingerprintInput(inputPath),
        config: {},
        outDir: join(dir, 'ws', 'jobs', id),
        now: Date.now(),
      });
    },
    simulatorProvider: (concurrency) => {
      if (simulator === undefined) throw new Error('useRunJobWorld(..., { simulator: true }) starts the simulator');
      return createRealtimeProvider({
        provider: 'openai',
        baseUrl: simulator.baseUrl,
        apiKey: null,
        concurrency,
        workDir: dir,
        commandTargets: {},
        env: {},
      });
    },
    itemsOf: async (jobId) => {
      const found: ItemRecord[] = [];
      for await (const item of world.store.iterateItems(jobId, 'input')) found.push(item);
      return found;
    },
  };
  return world;
}
