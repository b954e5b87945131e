import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { UsageError } from '../errors/index.ts';
import { createYamlLocator, type LocateKey } from './create-yaml-locator.ts';
import { loadPromptsFile, resolvePromptSet } from './load-prompts.ts';
import type { PromptSet } from './prompt-spec.ts';

export interface LoadPromptSetOptions {
  /** `--prompts FILE`, relative to `cwd`; wins over the config. */
  promptsPath?: string | undefined;
  /** The config's `prompts:` value (a file path relative to the config file, or the prompts inline). */
  configPrompts?: string | Readonly<Record<string, unknown>> | undefined;
  /** The config file the value came from (absolute), or null. */
  configFile: string | null;
  cwd: string;
}

/** The prompts file a set is read from (absolute), or null when the prompts are inline in a config. */
export function promptsFileOf(options: LoadPromptSetOptions): string | null {
  if (options.promptsPath !== undefined) return resolve(options.cwd, options.promptsPath);
  if (typeof options.configPrompts !== 'string') return null;
  return resolve(options.configFile === null ? options.cwd : dirname(options.configFile), options.configPrompts);
}

/**
 * The prompt set of a data job: from `--prompts FILE`, else from the config's `prompts:` (a file, or the section
 * inline, its lines named in the config file). USAGE when there is neither.
 */
export async function loadPromptSet(options: LoadPromptSetOptions): Promise<PromptSet> {
  if (options.promptsPath !== undefined) return loadPromptsFile(options.promptsPath, options.cwd);
  const value = options.configPrompts;
  const base = options.configFile === null ? options.cwd : dirname(options.configFile);
  if (typeof value === 'string') return loadPromptsFile(resolve(base, value), options.cwd);
  if (value === undefined) {
    throw new UsageError(
      'USAGE',
      'a data job needs prompts: pass --prompts FILE, or add a prompts: section (or prompts: FILE) to batchpilot.yaml',
      { context: { flag: '--prompts' } },
    );
  }
  const file = options.configFile ?? resolve(options.cwd, 'config');
  const label = relative(options.cwd, file) || file;
  let locate: LocateKey | undefined;
  if (options.configFile !== null && /\.ya?ml$/.test(options.configFile)) {
    const lineCounter = new LineCounter();
    const document = parseDocument(await readFile(options.configFile, 'utf8'), { lineCounter, logLevel: 'silent' });
    const locator = createYamlLocator(document, lineCounter);
    locate = (path) => locator(['prompts', ...path]);
  }
  return resolvePromptSet(value, {
    file,
    label,
    keyPrefix: ['prompts'],
    ...(locate === undefined ? {} : { locate }),
  });
}
