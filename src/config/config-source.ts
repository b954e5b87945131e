/**
 * Where a config value came from, so an error can name the place to fix it:
 * the file, the `BATCHPILOT_*` variable or the flag. Defaults have no source.
 */
export type ConfigSource =
  | {
      kind: 'file';
      /** Absolute path, for `ErrorContext.file`. */
      file: string;
      /** The path as shown to the user (relative to the working folder when inside it). */
      label: string;
    }
  | {
      kind: 'env';
      variable: string;
      /** The dotted key path the variable names, e.g. `rate_limit.rpm`. */
      key: string;
      text: string;
    }
  | {
      kind: 'flag';
      /** `--concurrency`, or `--set` for generic `--set key.path=value`. */
      flag: string;
      /** The dotted key path the flag sets. */
      key: string;
      /** The value as typed on the command line. */
      text: string;
    }
  | {
      /** The config kept with a job, rebuilt on resume. */
      kind: 'stored';
    }
  | {
      /** A config object handed to the library (`runJob({ config })`): errors name its key, not a file. */
      kind: 'object';
      /** How the object is named at the start of an error line, e.g. `runJob config`. */
      label: string;
    };

/** One value of one layer, at its key path. */
export interface ConfigEntry {
  readonly path: readonly string[];
  readonly value: unknown;
  readonly source: ConfigSource;
}

/** How a source is named at the start of an error line. */
export function describeConfigSource(source: ConfigSource): string {
  switch (source.kind) {
    case 'file':
      return source.label;
    case 'env':
      return `environment variable ${source.variable}`;
    case 'flag':
      return source.flag === '--set' ? `flag --set ${source.key}=${source.text}` : `flag ${source.flag}`;
    case 'stored':
      return 'the stored config of the job';
    case 'object':
      return source.label;
  }
}
