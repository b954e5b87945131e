/** The files of a job folder (SPEC section 6). */
export const RESULT_FILES = {
  output: 'output.jsonl',
  errors: 'errors.jsonl',
  missing: 'missing_records.jsonl',
  rejects: 'rejects.jsonl',
  report: 'report.json',
} as const;
