import type { Command } from 'commander';
import { resolveWorkspace } from './workspace.ts';

export interface GlobalOptions {
  workspace: string;
  json: boolean;
}

export function globalOptions(command: Command): GlobalOptions {
  const values = command.optsWithGlobals<{ workspace?: string; json?: boolean }>();
  return { workspace: resolveWorkspace(values.workspace, process.env, process.cwd()), json: values.json === true };
}
