/** The files of a job folder (SPEC section 6). */
export const RESULT_FILES = {
  output: 'output.jsonl',
  errors: 'errors.jsonl',
  missing: 'missing_records.jsonl',
  rejects: 'rejects.jsonl',
  report: 'report.json',
} as const;

/** The file names a data job's join-back writes beside the enriched dataset. */
export const INTEGRATION_FILES = {
  report: 'integration_report.json',
  rowsWithoutValid: 'rows_without_valid.txt',
} as const;
