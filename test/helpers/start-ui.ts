import { type CliProcess, startCli, waitFor } from './run-cli.ts';
import type { TempWorkspace } from './temp-workspace.ts';

/** `batchpilot ui --port 0` on `temp`'s workspace, once it printed its URL (returned without a trailing slash). */
export async function startUi(temp: TempWorkspace): Promise<{ ui: CliProcess; url: string }> {
  const ui = startCli(['--workspace', temp.workspace, 'ui', '--port', '0'], { cwd: temp.dir, timeoutMs: 58_000 });
  await waitFor(() => /http:\/\/\S+/.test(ui.stdout), 'the ui URL', 20_000);
  return { ui, url: /http:\/\/\S+/.exec(ui.stdout)![0].replace(/\/$/, '') };
}
