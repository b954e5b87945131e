/**
 * The exit code a command hands back to `main` when it ends without an error (a job's outcome: 0, 3 or 130, from
 * the error catalog). One per program run, passed to the commands that set it, instead of `process.exitCode`;
 * errors become exit codes in `main` alone.
 */
export interface CommandExit {
  code: number;
}
