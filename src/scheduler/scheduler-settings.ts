import type { ResolvedConfig } from '../config/config-schema.ts';

/** What the scheduler itself runs with; each job keeps its own config for everything else. */
export interface SchedulerSettings {
  /** `limits.max_jobs`: jobs run at once; the others wait in submission order. */
  maxJobs: number;
  /** `scheduler.max_concurrency`: requests in flight across all realtime jobs, shared fairly. */
  maxConcurrency: number;
  /** `scheduler.idle_exit_s`: seconds with no job left before the scheduler exits. */
  idleExitS: number;
}

export function toSchedulerSettings(config: ResolvedConfig): SchedulerSettings {
  return {
    maxJobs: config.limits.max_jobs,
    maxConcurrency: config.scheduler.max_concurrency,
    idleExitS: config.scheduler.idle_exit_s,
  };
}

/** The settings as `--set` flags of `scheduler serve`, so a spawned scheduler runs with the config that started it. */
export function toSetFlags(settings: SchedulerSettings): string[] {
  return [
    '--set',
    `limits.max_jobs=${String(settings.maxJobs)}`,
    '--set',
    `scheduler.max_concurrency=${String(settings.maxConcurrency)}`,
    '--set',
    `scheduler.idle_exit_s=${String(settings.idleExitS)}`,
  ];
}

/** As `scheduler status` shows them (snake_case, as in the config). */
export function describeSettings(settings: SchedulerSettings): Record<string, number> {
  return {
    max_jobs: settings.maxJobs,
    max_concurrency: settings.maxConcurrency,
    idle_exit_s: settings.idleExitS,
  };
}
