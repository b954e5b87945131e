/**
 * Files a job's run needs besides its items, kept in a shared store so that a worker on another machine, which cannot
 * read the submitter's job folder, has them too (a data job's prompt snapshot and manifest rows; docs/decisions/0035).
 * Stored as given: the caller compresses what is large.
 */
export interface JobFileStore {
  /** Keeps `body` as the job's file `name`, replacing what was kept under that name. */
  putJobFile(jobId: string, name: string, body: Buffer): Promise<void>;
  /** Whether the job has a file `name` kept, without reading it. */
  hasJobFile(jobId: string, name: string): Promise<boolean>;
  /** The job's file `name`, or undefined when none was kept. */
  getJobFile(jobId: string, name: string): Promise<Buffer | undefined>;
}
