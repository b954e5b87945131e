import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/errors/index.ts';

/** A fresh temp folder, with `batchpilot.yaml` holding `yaml` when given. */
export async function createConfigFolder(yaml?: string, fileName = 'batchpilot.yaml'): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'batchpilot-config-'));
  if (yaml !== undefined) await writeFile(join(folder, fileName), yaml);
  return folder;
}

/** Awaits a promise that must reject with a ConfigError, and returns the error. */
export async function catchConfigError(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError, but nothing was thrown');
}

/** Enough to pass validation when a test is about something else. */
export const BASE_URL = 'http://127.0.0.1:8000/v1';
