/**
 * A wait that something can cut short: a worker's loop waits for "a slice (or chunk) ended, or new ones came" or for
 * its poll interval, whichever is first. A waiter whose time is up leaves the list, since a loop that waits many
 * times while nothing ends would otherwise pile them up.
 */
export class WakeSignal {
  private waiters: (() => void)[] = [];

  /** Ends every wait now. */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves on the next `wake()` or after `timeoutMs`. */
  async wait(timeoutMs: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(wake);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve();
      }, timeoutMs);
      this.waiters.push(wake);
    });
  }
}
