import { UsageError } from '../errors/index.ts';

/** A flag's whole number of 1 or more, or a usage error naming the flag and what it takes. */
export function parsePositiveInt(value: string, flag: string): number {
  const parsed = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 1) {
    throw new UsageError('USAGE', `${flag} expects a whole number from 1 up, such as 64; got "${value}"`, {
      context: { flag },
    });
  }
  return parsed;
}

/** The value commander read for an optional whole-number flag (`values[key]`), parsed; undefined when not given. */
export function readPositiveIntFlag(values: Record<string, unknown>, key: string, flag: string): number | undefined {
  const value = values[key];
  return typeof value === 'string' ? parsePositiveInt(value, flag) : undefined;
}
