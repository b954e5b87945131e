import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

/** Debian's Chromium, which `.ci/run` installs with apt-get; Playwright never downloads a browser here. */
const CHROMIUM = '/usr/bin/chromium';

/** Flags without which Chromium, as root and offline, refuses to start or keeps calling hosts it cannot reach. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** An accessibility rule the page broke, as axe-core reports it. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core (the accessibility engine browsers' devtools use) on the page as it is now, and returns the violations
 * of impact `serious` or `critical`: missing labels, contrast too low, roles misused, focus traps.
 */
export async function accessibilityViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
  // axe's own code, run in the page: the result is plain JSON.
  const result = await page.evaluate<{
    violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
  }>('axe.run(document, { resultTypes: ["violations"] })');
  return result.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
}

export interface BrowserHandle {
  page: Page;
  /** Errors the page threw or logged, for the test to assert there were none. */
  errors: string[];
  close(): Promise<void>;
}

/**
 * A headless Chromium with a fresh profile, and one page. Playwright's own browser process is the browser's parent,
 * and `close` ends it; a test that dies takes Chromium with it (Playwright kills it when its pipe closes).
 */
export async function openBrowser(): Promise<BrowserHandle> {
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'batchpilot-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw new Error(`cannot start ${CHROMIUM} (apt-get install -y chromium; .ci/run does): ${String(error)}`, {
      cause: error,
    });
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return {
    page,
    errors,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
