import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { REPO_ROOT } from './run-cli.ts';

const PRELOAD = pathToFileURL(join(REPO_ROOT, 'test/helpers/report-peak-rss.mjs')).href;

/**
 * Environment for `runCli` that makes the child write its peak RSS (`process.resourceUsage().maxRSS`)
 * to `file` when it exits: the high-water mark of the whole run, which polling `/proc` could miss.
 */
export function peakRssEnv(file: string): Record<string, string> {
  return { NODE_OPTIONS: `--import=${PRELOAD}`, PEAK_RSS_FILE: file };
}

/** The peak RSS the child wrote, in bytes. */
export async function readPeakRss(file: string): Promise<number> {
  return Number(await readFile(file, 'utf8'));
}
