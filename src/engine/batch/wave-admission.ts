import { isOpenChunk } from '../../core/chunk.ts';
import type { OpenItem, Store } from '../../store/store.ts';
import type { AdmissionPolicy } from '../admission-policy.ts';

/**
 * Admission by need in batch mode (docs/decisions/0028): the realtime policy (`AdmissionPolicy`) decides, asked in
 * waves. A wave is what the policy admits when asked: at the start of a run (given what the store holds: settled
 * outcomes learned, items in open chunks added as sent), then each time chunks have merged (their outcomes, checked by
 * the review, told as `settled`). Chunks are cut only from admitted items; the policy's bound on a group holds because
 * an admitted row counts as out until its answers are merged, whether it is pending, in a chunk, or in a re-ask wave.
 * Nothing here is persisted: a resumed run learns it all again from the store, as realtime does.
 */
export class WaveAdmission {
  private readonly policy: AdmissionPolicy;
  private readonly store: Store;
  private readonly jobId: string;
  /** Seqs of the items admitted by this run (kept after they settle: a settled item is never pending again). */
  private readonly admitted = new Set<number>();
  /** Custom ids whose outcome the policy has (learned or told). */
  private readonly told = new Set<string>();
  /** Set when a wave admitted items or chunks merged: a cut may find admitted items pending. */
  private fresh = true;

  constructor(policy: AdmissionPolicy, store: Store, jobId: string) {
    this.policy = policy;
    this.store = store;
    this.jobId = jobId;
  }

  /** The policy learns what the store holds (the input is committed), then the first wave is admitted. */
  async start(): Promise<void> {
    const { store, jobId, policy } = this;
    for await (const outcome of store.iterateOutcomes(jobId)) {
      this.told.add(outcome.customId);
      policy.learn(outcome);
    }
    // Items in an open chunk are in a remote batch (or about to be): out already, never submitted again.
    const inChunks = new Set<number>();
    for (const chunk of await store.listChunks(jobId)) {
      if (!isOpenChunk(chunk)) continue;
      for await (const item of store.chunkItems(jobId, chunk.chunkNo)) inChunks.add(item.seq);
    }
    for await (const open of store.iterateUnfinished(jobId)) policy.add(open, inChunks.has(open.seq));
    this.admit();
  }

  /** After chunks merged: their settled outcomes are told to the policy, and the next wave is admitted. */
  async refresh(): Promise<void> {
    for await (const outcome of this.store.iterateOutcomes(this.jobId)) {
      if (this.told.has(outcome.customId)) continue;
      this.told.add(outcome.customId);
      this.policy.settled(outcome);
    }
    this.fresh = true;
    this.admit();
  }

  /** Whether an item may go into a chunk. */
  admits = (item: OpenItem): boolean => this.admitted.has(item.seq);

  /** Whether cutting may find an admitted item pending; false once a cut found none, until the next wave or merge. */
  get mayCut(): boolean {
    return this.fresh;
  }

  /** A cut found no admitted item pending. */
  cutAll(): void {
    this.fresh = false;
  }

  /** Whether an admitted item is pending (not in a chunk, not settled): the run is not over while one is. */
  async hasAdmittedPending(): Promise<boolean> {
    for await (const item of this.store.pendingItems(this.jobId)) if (this.admitted.has(item.seq)) return true;
    return false;
  }

  /** Asks the policy for units until it waits or is done; their items join the admitted set. */
  private admit(): void {
    for (let step = this.policy.next(); typeof step !== 'string'; step = this.policy.next()) {
      for (const item of step) this.admitted.add(item.seq);
      this.fresh = true;
    }
  }
}
