import type pg from 'pg';
import type PgBoss from 'pg-boss';
import type { SliceTicket } from './queries/slices.ts';

/**
 * How slices are handed out: a pg-boss queue per job (docs/decisions/0031). pg-boss's `SKIP LOCKED` fetch hands each
 * ticket to one worker; every hand-out and every take runs in the store's own transaction (pg-boss's `db` option), so
 * cutting slices and queueing them, or taking a ticket and claiming its slice, commit together or not at all. The
 * slice's lease after that is ours (a heartbeat in `slices`): pg-boss 10 has no heartbeat, and its expiry would
 * take a long slice from a worker that is still sending.
 */
export class SliceQueue {
  private readonly url: string;
  private boss: Promise<PgBoss> | undefined;
  private readonly queues = new Set<string>();

  constructor(url: string) {
    this.url = url;
  }

  /**
   * pg-boss started, and the job's queue made when a job is named. Called before the caller's transaction begins:
   * pg-boss works on its own connections here, and a transaction left open meanwhile (pg-boss starting on a busy
   * server can take seconds) would be ended by the server's idle-in-transaction timeout.
   */
  async prepare(jobId?: string): Promise<void> {
    this.boss ??= startBoss(this.url);
    const boss = await this.boss;
    if (jobId === undefined) return;
    const name = queueName(jobId);
    if (this.queues.has(name)) return;
    if ((await boss.getQueue(name)) === null) {
      // Two processes making it at once: the second's insert fails on the queue's name, and the queue is there.
      await boss.createQueue(name).catch(async (error: unknown) => {
        if ((await boss.getQueue(name)) === null) throw error;
      });
    }
    this.queues.add(name);
  }

  /** Queues the tickets of a job's slices (its queue made by `prepare`), in the caller's transaction. */
  async publish(db: pg.ClientBase, jobId: string, tickets: readonly SliceTicket[]): Promise<void> {
    if (tickets.length === 0) return;
    const boss = await this.started();
    const name = queueName(jobId);
    await boss.insert(
      tickets.map((ticket) => ({ name, data: ticket, retryLimit: 0 })),
      { db: inTransaction(db) },
    );
  }

  /** Takes the next ticket of the job, in the caller's transaction (rolled back: the ticket is queued again). */
  async take(db: pg.ClientBase, jobId: string): Promise<SliceTicket | undefined> {
    const boss = await this.started();
    const name = queueName(jobId);
    const [job] = await boss.fetch<SliceTicket>(name, { batchSize: 1, db: inTransaction(db) });
    if (job === undefined) return undefined;
    await boss.complete(name, job.id, {}, { db: inTransaction(db) });
    return job.data;
  }

  async close(): Promise<void> {
    const boss = this.boss;
    this.boss = undefined;
    if (boss !== undefined) await (await boss).stop({ graceful: false, wait: true, close: true });
  }

  /** The pg-boss `prepare` started; never started inside a transaction. */
  private async started(): Promise<PgBoss> {
    if (this.boss === undefined) throw new Error('SliceQueue.prepare must run before a transaction uses the queue');
    return this.boss;
  }
}

async function startBoss(url: string): Promise<PgBoss> {
  const { default: Boss } = await import('pg-boss');
  const boss = new Boss({
    connectionString: url,
    schema: 'batchpilot_boss',
    max: 2,
    application_name: 'batchpilot',
    // Cron schedules are not used; maintenance (archiving taken tickets) is, in one process at a time.
    schedule: false,
  });
  // An error in pg-boss's maintenance (the server restarting) must not end the process; the next run tries again.
  boss.on('error', () => undefined);
  await boss.start();
  return boss;
}

function queueName(jobId: string): string {
  return `batchpilot-slices-${jobId}`;
}

function inTransaction(db: pg.ClientBase): PgBoss.Db {
  return { executeSql: async (text, values) => db.query(text, values as unknown[]) };
}
