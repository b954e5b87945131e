import type { Command } from 'commander';
import { createStore } from '../../store/create-store.ts';
import { dashboardToken } from '../../server/dashboard-access.ts';
import { startDashboard } from '../../server/dashboard-server.ts';
import { knownSecrets, redactSecrets } from '../../util/redact.ts';
import { globalOptions } from '../global-options.ts';
import { parsePositiveInt } from '../parse-positive-int.ts';

/**
 * `ui`: serves the dashboard of the workspace (or of the shared store) until stopped (docs/decisions/0038). It prints
 * the URL and opens nothing; on an address other than loopback it needs a token. Ctrl-C or SIGTERM stop it.
 */
export function registerUiCommand(program: Command): void {
  program
    .command('ui')
    .description(
      'serve a dashboard of the jobs (http://127.0.0.1:PORT); its buttons run cancel, resume, retry (--invalid), validate and integrate',
    )
    .option('--port <port>', 'port to listen on (default: 7420; 0 picks a free one)')
    .option('--host <host>', 'address to listen on (default: 127.0.0.1; any other needs --token)')
    .option('--token [token]', 'require this token (16+ characters) on every API request; alone: generate one')
    .action(async (values: Record<string, unknown>, command: Command) => {
      const { workspace, store: storeUrl } = globalOptions(command);
      const host = typeof values['host'] === 'string' ? values['host'] : '127.0.0.1';
      const token = dashboardToken(host, values['token'] as string | true | undefined);
      const port =
        values['port'] === '0'
          ? 0
          : typeof values['port'] === 'string'
            ? parsePositiveInt(values['port'], '--port')
            : 7420;
      const store = createStore({ workspace, url: storeUrl });
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const dashboard = await startDashboard({
          store,
          workspace,
          host,
          port,
          token,
          env: process.env,
          storeUrl,
          onError: (error) => process.stderr.write(`batchpilot ui: ${redactSecrets(String(error), knownSecrets())}\n`),
        });
        process.stdout.write(`batchpilot ui: ${dashboard.url}\n`);
        process.stderr.write('batchpilot ui: serving until Ctrl-C\n');
        await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
        await dashboard.close();
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await store.close();
      }
    });
}
