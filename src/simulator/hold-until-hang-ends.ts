import type { ServerResponse } from 'node:http';
import { connectionOf } from './connection-of.ts';
import type { SimulatorContext } from './simulator-context.ts';

/**
 * Holds an answer's socket open, with nothing more written, until `hangMs` passes (then destroys it) or the client or
 * close() ends it first. The timer is in `hangTimers`, so closing the server does not wait for it.
 */
export function holdUntilHangEnds(context: SimulatorContext, response: ServerResponse): void {
  const socket = connectionOf(response);
  const timer = setTimeout(() => socket.destroy(), context.options.hangMs);
  timer.unref();
  context.hangTimers.add(timer);
  response.once('close', () => {
    clearTimeout(timer);
    context.hangTimers.delete(timer);
  });
}
