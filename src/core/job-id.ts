import { randomBytes } from 'node:crypto';

/** `job-YYYYMMDD-HHMMSS-xxxx` in UTC: sortable, readable, unique enough per workspace. */
export function createJobId(now: Date = new Date()): string {
  const pad = (value: number): string => String(value).padStart(2, '0');
  const date = `${String(now.getUTCFullYear())}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return `job-${date}-${time}-${randomBytes(2).toString('hex')}`;
}

const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A job id is used as a folder name: keep it to a safe alphabet. */
export function isValidJobId(id: string): boolean {
  return JOB_ID_PATTERN.test(id);
}
