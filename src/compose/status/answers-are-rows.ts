import { dataJobRecordOf, loadPromptSnapshot } from '../data-job-record.ts';
import type { Job } from '../../core/job.ts';

/**
 * Whether each row of a data job makes one request (one prompt, one sample), so the answers the store counts are
 * rows: then `status` and `monitor` can tell a group's valid rows (its ETA) and a sink's lag live
 * (docs/decisions/0029). Read from the prompt set frozen when the job was created; false when it cannot be read.
 */
export async function answersAreRows(workspace: string, job: Pick<Job, 'id' | 'data'>): Promise<boolean> {
  if (dataJobRecordOf(job) === undefined) return false;
  try {
    const { prompts } = await loadPromptSnapshot(workspace, job.id);
    return prompts.length === 1 && prompts[0]?.samples === 1;
  } catch {
    return false;
  }
}
