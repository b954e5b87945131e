import { mkdtemp, rm } from 'node:fs/promises';
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
