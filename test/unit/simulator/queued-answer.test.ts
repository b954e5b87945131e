import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { startSimulator } from '../../helpers/start-simulator.ts';

/**
 * A client that reads a long answer and sends its next request on the same keep-alive connection can get there before
 * the simulator has seen the long answer flushed. Node then queues the new response without a socket; the simulator
 * once took that for a client gone away and never answered (a CLI test hung on a loaded machine). Two requests sent in
 * one write, while the first answer (5 MB) cannot be flushed because nobody reads it, make that order certain.
 */

const MB = 1_000_000;

function chatRequest(port: number, index: number): string {
  const body = JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: `queued ${String(index)}` }],
  });
  return [
    'POST /v1/chat/completions HTTP/1.1',
    `host: 127.0.0.1:${String(port)}`,
    'content-type: application/json',
    `content-length: ${String(Buffer.byteLength(body))}`,
    '',
    body,
  ].join('\r\n');
}

/** Reads answers off the connection until `count` complete ones (by their content-length) have arrived. */
async function readAnswers(socket: Socket, count: number): Promise<number[]> {
  let buffered = Buffer.alloc(0);
  const statuses: number[] = [];
  for await (const chunk of socket) {
    buffered = Buffer.concat([buffered, chunk as Buffer]);
    for (;;) {
      const headEnd = buffered.indexOf('\r\n\r\n');
      if (headEnd < 0) break;
      const head = buffered.subarray(0, headEnd).toString('latin1');
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (buffered.length < headEnd + 4 + length) break;
      statuses.push(Number(head.slice(9, 12)));
      buffered = buffered.subarray(headEnd + 4 + length);
    }
    if (statuses.length >= count) break;
  }
  return statuses;
}

describe('answers queued behind a long one on the same connection', () => {
  it('are sent once the long answer is out, not dropped', { timeout: 30_000 }, async (t) => {
    const simulator = await startSimulator({ seed: 3, failureRates: { http500: 1 }, errorBodyBytes: 5 * MB });
    const port = Number(new URL(simulator.baseUrl).port);
    const socket = connect(port, '127.0.0.1');
    // A dropped answer would leave the read waiting: the test's timeout ends it, as a failure, not a hung file.
    t.signal.addEventListener('abort', () => socket.destroy(), { once: true });
    try {
      await once(socket, 'connect');
      socket.pause();
      socket.write(chatRequest(port, 1) + chatRequest(port, 2));
      // Both requests are in and the first answer is stuck in the socket's buffers before anything is read.
      for (let waited = 0; simulator.stats().generationRequests < 2 && waited < 200; waited += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(simulator.stats().generationRequests, 2);
      const statuses = await readAnswers(socket, 2);
      assert.deepEqual(statuses, [500, 500]);
    } finally {
      socket.destroy();
      await simulator.close();
    }
  });
});
