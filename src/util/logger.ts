import pino, { type Logger } from 'pino';
import { knownSecrets, redactSecrets } from './redact.ts';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  /** Write JSON lines to this file, or to this open descriptor (a worker logs to its stdout); else silent. */
  file?: string | number;
  level?: string;
}

/**
 * pino, with every written line passed through the one redaction function: whatever a
 * caller logs (an error with a request attached, a config object), a known key cannot
 * reach the file.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  if (options.file === undefined) return pino({ level: 'silent' });
  // 0600: a log is the workspace's, never another user's to read, whatever the umask.
  const file =
    typeof options.file === 'number'
      ? pino.destination({ dest: options.file, sync: false })
      : pino.destination({ dest: options.file, mkdir: true, sync: false, mode: 0o600 });
  // A log that cannot be written (disk full) must not stop or hang the run: the store and the
  // result files say what matters, and their own write errors are told as DISK_FULL. From the
  // first failed write on, log lines are dropped and the file is closed.
  let failed = false;
  file.on('error', () => {
    if (failed) return;
    failed = true;
    file.destroy();
  });
  const destination = {
    write(line: string): void {
      if (!failed) file.write(line);
    },
    flush(): void {
      if (!failed) file.flush();
    },
  };
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      hooks: { streamWrite: (line: string) => redactSecrets(line, knownSecrets()) },
    },
    destination,
  );
}
