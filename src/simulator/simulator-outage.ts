import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { connectionOf } from './connection-of.ts';

export type OutageMode = 'reset' | 'refuse' | 'hang';

export interface OutageOptions {
  /**
   * `reset`: every request's connection is reset before any answer. `refuse`: the listening socket and every open
   * connection are closed, so connecting fails with ECONNREFUSED, and the port is listened on again afterwards.
   * `hang`: every request is held without an answer; when the outage ends its connection is destroyed, unanswered.
   */
  mode: OutageMode;
  /** How long it lasts, in ms. */
  durationMs: number;
}

const RELISTEN_ATTEMPTS = 40;
const RELISTEN_DELAY_MS = 50;

/**
 * A whole-server outage for tests. State (files, batches, stats) lives in the process and is untouched; batch
 * timers keep running, as a provider's batches do while the client cannot reach it. `/stats` stays reachable in
 * `reset` and `hang` modes. Starting an outage ends the one in progress first.
 */
export class OutageController {
  private mode: OutageMode | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly held = new Set<ServerResponse>();
  private readonly server: Server;
  private readonly sockets: Set<Socket>;
  private readonly listen: () => Promise<void>;

  constructor(server: Server, sockets: Set<Socket>, listen: () => Promise<void>) {
    this.server = server;
    this.sockets = sockets;
    this.listen = listen;
  }

  get active(): OutageMode | undefined {
    return this.mode;
  }

  /** Resolves once the outage is in effect (for `refuse`: the port is closed). */
  async start(options: OutageOptions): Promise<void> {
    if (!['reset', 'refuse', 'hang'].includes(options.mode)) {
      throw new RangeError(`Expected \`mode\` to be 'reset', 'refuse' or 'hang', got ${String(options.mode)}`);
    }
    if (!Number.isFinite(options.durationMs) || options.durationMs < 0) {
      throw new RangeError(`Expected \`durationMs\` to be a number from 0 and up, got ${String(options.durationMs)}`);
    }
    await this.end();
    if (this.closed) return;
    this.mode = options.mode;
    // Not unref'd: while the port is closed, this timer is what keeps a CLI simulator alive to reopen it.
    this.timer = setTimeout(() => void this.end(), options.durationMs);
    if (options.mode === 'refuse') await this.closeListener();
  }

  /** Ends the outage now; resolves once requests are served again (for `refuse`: the port is reopened). */
  async end(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const mode = this.mode;
    this.mode = undefined;
    this.releaseHeld();
    if (mode === 'refuse' && !this.closed) await this.reopenListener();
  }

  /** Takes a request when an outage is on; returns false when it should be served. */
  intercept(response: ServerResponse): boolean {
    const socket = connectionOf(response);
    switch (this.mode) {
      case undefined:
        return false;
      case 'reset':
        socket.resetAndDestroy();
        return true;
      case 'refuse':
        socket.destroy();
        return true;
      case 'hang':
        this.held.add(response);
        response.once('close', () => this.held.delete(response));
        return true;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.mode = undefined;
    this.releaseHeld();
  }

  private releaseHeld(): void {
    for (const response of this.held) connectionOf(response).destroy();
    this.held.clear();
  }

  private closeListener(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private async reopenListener(): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.listen();
        return;
      } catch {
        // Another process may have taken the port in the gap; try a little longer, then leave it closed.
        if (attempt >= RELISTEN_ATTEMPTS || this.closed) return;
        await new Promise((resolve) => setTimeout(resolve, RELISTEN_DELAY_MS));
      }
    }
  }
}
