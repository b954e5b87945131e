/** The window counts are kept over, and its resolution. */
const WINDOW_MS = 2000;
const SLOT_MS = 100;
const SLOTS = WINDOW_MS / SLOT_MS;

/**
 * Counters of events over the last two seconds, in slots of 100 ms: what the pacing decisions judge the pool's recent
 * answers by (`AdaptiveRate`: successes and overload signals; `FailureShare`: successes and failures). Adding and
 * summing are O(slots) at worst and O(1) per event in the common case; nothing is allocated after construction.
 */
export class SlidingCounts {
  private readonly slots: Uint32Array[];
  private slotIndex = 0;
  private slotStart: number;

  /** `counters` kinds of event, numbered from 0. */
  constructor(counters: number, now: number) {
    this.slots = Array.from({ length: counters }, () => new Uint32Array(SLOTS));
    this.slotStart = now;
  }

  add(counter: number, now: number): void {
    this.advance(now);
    const slots = this.slots[counter];
    if (slots !== undefined) slots[this.slotIndex] = (slots[this.slotIndex] ?? 0) + 1;
  }

  /** Events of `counter` over the window ending now. */
  total(counter: number, now: number): number {
    this.advance(now);
    let sum = 0;
    for (const count of this.slots[counter] ?? []) sum += count;
    return sum;
  }

  /** Forgets every count (the window keeps its timing). */
  clear(): void {
    for (const slots of this.slots) slots.fill(0);
  }

  private advance(now: number): void {
    if (now - this.slotStart >= WINDOW_MS + SLOT_MS) {
      this.clear();
      this.slotStart = now;
      return;
    }
    while (now - this.slotStart >= SLOT_MS) {
      this.slotStart += SLOT_MS;
      this.slotIndex = (this.slotIndex + 1) % SLOTS;
      for (const slots of this.slots) slots[this.slotIndex] = 0;
    }
  }
}

/** How long the counts cover, in ms. */
export const SLIDING_WINDOW_MS = WINDOW_MS;
/** The smallest span a rate over the window is measured against, in ms. */
export const SLIDING_SLOT_MS = SLOT_MS;
