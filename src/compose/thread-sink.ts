import type { MessagePort } from 'node:worker_threads';
import { SinkError, type ErrorCode } from '../errors/index.ts';
import type { Sink, SinkBatch } from '../sinks/sink.ts';

/** A sink write the join-back thread asks of the run's thread, and its answer. */
export interface SinkWriteRequest {
  kind: 'sink-write';
  id: number;
  sink: string;
  batch: SinkBatch;
}
export interface SinkWriteAnswer {
  kind: 'sink-written';
  id: number;
  /** What the write threw: a SinkError's code, message and asked wait (others: SINK_FAILED). */
  error?: { code: ErrorCode; message: string; retryAfterMs?: number | undefined };
}

/**
 * A sink of the join-back thread whose writes happen in the run's thread (decision 0026): native sink libraries
 * (LanceDB) are opened and written in the main thread only, as one of them crashed the process when a worker that
 * had used it exited. Only whole batches cross (every `every` rows), so the cost is one copy of each row sent.
 * Opening and closing are the run's: it opened the sinks before sending anything and closes them at the end.
 */
export class ThreadSink implements Sink {
  readonly name: string;
  private readonly port: MessagePort;
  private readonly waiting: Map<number, (answer: SinkWriteAnswer) => void>;
  private readonly nextId: () => number;

  constructor(
    name: string,
    port: MessagePort,
    waiting: Map<number, (answer: SinkWriteAnswer) => void>,
    nextId: () => number,
  ) {
    this.name = name;
    this.port = port;
    this.waiting = waiting;
    this.nextId = nextId;
  }

  open(): Promise<void> {
    return Promise.resolve();
  }

  async write(batch: SinkBatch): Promise<void> {
    const id = this.nextId();
    const answer = await new Promise<SinkWriteAnswer>((resolve) => {
      this.waiting.set(id, resolve);
      this.port.postMessage({ kind: 'sink-write', id, sink: this.name, batch } satisfies SinkWriteRequest);
    });
    if (answer.error !== undefined) {
      throw new SinkError(answer.error.code, answer.error.message, { retryAfterMs: answer.error.retryAfterMs });
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Answers a thread's sink writes with the run's own sinks. */
export async function answerSinkWrite(
  request: SinkWriteRequest,
  sinks: ReadonlyMap<string, Sink>,
): Promise<SinkWriteAnswer> {
  const sink = sinks.get(request.sink);
  try {
    if (sink === undefined) throw new SinkError('SINK_FAILED', `no sink "${request.sink}" is open in this run`);
    await sink.write(request.batch);
    return { kind: 'sink-written', id: request.id };
  } catch (error) {
    return {
      kind: 'sink-written',
      id: request.id,
      error:
        error instanceof SinkError
          ? { code: error.code, message: error.message, retryAfterMs: error.retryAfterMs }
          : { code: 'SINK_FAILED', message: error instanceof Error ? error.message : String(error) },
    };
  }
}
