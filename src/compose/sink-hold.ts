import type { SendHold } from '../engine/send-hold.ts';
import type { SinkWriteAnswer, SinkWriteRequest } from './thread-sink.ts';

/**
 * Holds a realtime run's sending while one of its sinks is down (issue 13 §2: a sink that stays down pauses the job,
 * it never drops rows). The join-back walk retries the sink's batch with backoff (sink-runner.ts); each attempt is
 * written by the run's thread, which sees it fail SINK_UNAVAILABLE (hold) or go through (release). The hold is
 * bounded by the walk: once a sink has been down for its `max_wait_s`, the walk fails and the run is stopped.
 */
export class SinkHold implements SendHold {
  private readonly down = new Set<string>();
  private wakers: (() => void)[] = [];

  get isHeld(): boolean {
    return this.down.size > 0;
  }

  whenReleased(wake: () => void): void {
    if (this.isHeld) this.wakers.push(wake);
    else wake();
  }

  /** One write of a sink's batch, as the run's thread answered it. */
  note(request: SinkWriteRequest, answer: SinkWriteAnswer): void {
    if (answer.error?.code === 'SINK_UNAVAILABLE') {
      this.down.add(request.sink);
      return;
    }
    // Written, or failed for good (the walk stops and the run with it): either way, no longer a reason to wait.
    this.releaseSink(request.sink);
  }

  /** Lets the run go on whatever its sinks say (the run is stopping, or the walk gave up on them). */
  releaseAll(): void {
    for (const sink of [...this.down]) this.releaseSink(sink);
  }

  private releaseSink(sink: string): void {
    if (!this.down.delete(sink) || this.down.size > 0) return;
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }
}
