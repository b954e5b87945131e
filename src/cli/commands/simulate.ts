import type { Command } from 'commander';
import { ConfigError } from '../../errors/index.ts';
import type { FailureRates, SimulatorOptions, StructuredRates } from '../../simulator/index.ts';

const DEFAULT_PORT = 8000;

const RATE_FLAGS: readonly { key: string; flag: string; rate: keyof FailureRates }[] = [
  { key: 'fail500', flag: '--fail-500', rate: 'http500' },
  { key: 'fail429', flag: '--fail-429', rate: 'http429' },
  { key: 'failReset', flag: '--fail-reset', rate: 'resetBeforeResponse' },
  { key: 'failResetMid', flag: '--fail-reset-mid', rate: 'resetMidBody' },
  { key: 'failHang', flag: '--fail-hang', rate: 'hang' },
  { key: 'failMalformed', flag: '--fail-malformed', rate: 'malformed' },
  { key: 'fail503', flag: '--fail-503', rate: 'http503' },
  { key: 'fail529', flag: '--fail-529', rate: 'http529' },
  { key: 'failEndless', flag: '--fail-endless', rate: 'endless' },
  { key: 'failStall', flag: '--fail-stall', rate: 'stall' },
];

const STRUCTURED_FLAGS: readonly { key: string; flag: string; rate: keyof StructuredRates }[] = [
  { key: 'structuredInvalidJson', flag: '--structured-invalid-json', rate: 'invalidJson' },
  { key: 'structuredSchemaBreak', flag: '--structured-schema-break', rate: 'schemaBreak' },
  { key: 'structuredShortText', flag: '--structured-short-text', rate: 'shortText' },
  { key: 'structuredTruncated', flag: '--structured-truncated', rate: 'truncated' },
  { key: 'structuredRefusal', flag: '--structured-refusal', rate: 'refusal' },
  { key: 'structuredReaskFixRate', flag: '--structured-reask-fix-rate', rate: 'reaskFixRate' },
];

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('Serve an OpenAI-compatible simulator (plus batch APIs) on loopback, with latency, faults and limits')
    .option('--port <n>', 'port to listen on (0 = any free port)', String(DEFAULT_PORT))
    .option('--host <h>', 'interface to listen on', '127.0.0.1')
    .option('--latency-ms <n>', 'base latency of every answer, in ms')
    .option('--jitter-ms <n>', 'uniform +- jitter added to the latency, in ms')
    .option('--fail-500 <rate>', 'share of requests answered 500 (0 to 1)')
    .option('--fail-429 <rate>', 'share of requests answered 429 with retry-after headers (0 to 1)')
    .option('--fail-reset <rate>', 'share of connections reset before any response (0 to 1)')
    .option('--fail-reset-mid <rate>', 'share of answers cut in the middle of the body (0 to 1)')
    .option('--fail-hang <rate>', 'share of requests that never get an answer (0 to 1)')
    .option('--fail-malformed <rate>', 'share of 200 answers whose body is not JSON (0 to 1)')
    .option('--echo-auth <rate>', "share of answers that quote the request's Authorization header back (0 to 1)")
    .option('--fail-503 <rate>', 'share of requests answered 503 overloaded, without retry headers (0 to 1)')
    .option(
      '--fail-529 <rate>',
      "share of requests answered 529 (Anthropic's overloaded_error), without retry headers (0 to 1)",
    )
    .option('--fail-endless <rate>', 'share of 200 answers whose body never ends (0 to 1)')
    .option('--fail-stall <rate>', 'share of 200 answers that stop halfway and stay silent (0 to 1)')
    .option('--structured-invalid-json <rate>', 'share of JSON answers that are not JSON (0 to 1)')
    .option('--structured-schema-break <rate>', 'share of JSON answers that break their schema (0 to 1)')
    .option('--structured-short-text <rate>', 'share of JSON answers with text under minLength (0 to 1)')
    .option('--structured-truncated <rate>', 'share of JSON answers cut off with finish_reason length (0 to 1)')
    .option('--structured-refusal <rate>', 'share of JSON answers that are refusals (0 to 1)')
    .option(
      '--structured-reask-fix-rate <rate>',
      "share of re-asks ('Your previous answer ...') answered valid (default 0.8)",
    )
    .option('--embedding-dimensions <n>', 'floats per embedding when the request asks no dimensions (default 8)')
    .option('--fail-embeddings <rate>', 'share of embeddings requests answered 500 (0 to 1), apart from --fail-500')
    .option('--response-bytes <n>', 'pad every 200 answer to about this many bytes (0 = off)')
    .option('--error-body-bytes <n>', 'pad the body of injected 500s to about this many bytes (0 = off)')
    .option('--retry-after-ms <n>', 'delay advertised by injected 429s, in ms (default 100)')
    .option('--rpm <n>', 'requests per minute enforced with a token bucket (0 = off)')
    .option('--rate-limit-headers', 'send x-ratelimit-*-requests headers when --rpm is set')
    .option('--max-concurrency <n>', 'requests in flight at once before answering 429 (0 = off)')
    .option('--api-key-env <NAME>', 'require `Authorization: Bearer <key>` with the key read from this env var')
    .option('--seed <n>', 'seed of the fault and jitter PRNG (default 1)')
    .option('--batch-lifetime-ms <n>', 'time from batch create to its end, in ms (default 2000)')
    .option('--batch-fail-rate <rate>', 'share of whole batches that fail (0 to 1)')
    .option('--batch-line-fail-rate <rate>', 'share of batch lines that fail with a 500 (0 to 1)')
    .option('--batch-line-expire-rate <rate>', 'share of batch lines that come back expired (0 to 1)')
    .option('--batch-enqueued-token-limit <n>', 'estimated tokens open batches may hold per model (0 = off)')
    // `--json` is the global flag (`batchpilot simulate --json` and `batchpilot --json simulate` alike): a
    // second, local `--json` would never see the value, since the program's option takes it first.
    .action(async (flags: Record<string, unknown>, command: Command) => {
      await runSimulateCommand({ ...flags, json: command.optsWithGlobals<{ json?: boolean }>().json === true });
    });
}

/** Turns commander's flag values (strings) into simulator options; every bad value names its flag and the fix. */
export function parseSimulatorFlags(
  flags: Record<string, unknown>,
  env: Record<string, string | undefined> = process.env,
): SimulatorOptions {
  const options: SimulatorOptions = {
    port: readInteger(flags, 'port', '--port', 65_535) ?? DEFAULT_PORT,
  };
  const host = flags['host'];
  if (host !== undefined) {
    if (typeof host !== 'string' || host.trim() === '') {
      throw invalidFlag('--host', 'expected a host name or IP address such as 127.0.0.1', host);
    }
    options.host = host;
  }
  assignIfSet(options, 'latencyMs', readInteger(flags, 'latencyMs', '--latency-ms'));
  assignIfSet(options, 'jitterMs', readInteger(flags, 'jitterMs', '--jitter-ms'));
  assignIfSet(options, 'retryAfterMs', readInteger(flags, 'retryAfterMs', '--retry-after-ms'));
  assignIfSet(options, 'rpm', readInteger(flags, 'rpm', '--rpm'));
  assignIfSet(options, 'maxConcurrency', readInteger(flags, 'maxConcurrency', '--max-concurrency'));
  assignIfSet(options, 'seed', readInteger(flags, 'seed', '--seed'));
  assignIfSet(options, 'responseBytes', readInteger(flags, 'responseBytes', '--response-bytes'));
  assignIfSet(options, 'errorBodyBytes', readInteger(flags, 'errorBodyBytes', '--error-body-bytes'));
  assignIfSet(options, 'batchLifetimeMs', readInteger(flags, 'batchLifetimeMs', '--batch-lifetime-ms'));
  assignIfSet(options, 'batchFailRate', readRate(flags, 'batchFailRate', '--batch-fail-rate'));
  assignIfSet(options, 'batchLineFailRate', readRate(flags, 'batchLineFailRate', '--batch-line-fail-rate'));
  assignIfSet(options, 'batchLineExpireRate', readRate(flags, 'batchLineExpireRate', '--batch-line-expire-rate'));
  assignIfSet(options, 'echoAuthRate', readRate(flags, 'echoAuth', '--echo-auth'));
  const dimensions = readInteger(flags, 'embeddingDimensions', '--embedding-dimensions', 65_536);
  if (dimensions === 0) {
    throw invalidFlag(
      '--embedding-dimensions',
      'expected a whole number from 1 to 65536',
      flags['embeddingDimensions'],
    );
  }
  assignIfSet(options, 'embeddingDimensions', dimensions);
  assignIfSet(options, 'embeddingErrorRate', readRate(flags, 'failEmbeddings', '--fail-embeddings'));
  assignIfSet(
    options,
    'batchEnqueuedTokenLimit',
    readInteger(flags, 'batchEnqueuedTokenLimit', '--batch-enqueued-token-limit'),
  );

  const failureRates: FailureRates = {};
  for (const { key, flag, rate } of RATE_FLAGS) {
    const value = readRate(flags, key, flag);
    if (value !== undefined) failureRates[rate] = value;
  }
  if (Object.keys(failureRates).length > 0) options.failureRates = failureRates;

  const structured: StructuredRates = {};
  for (const { key, flag, rate } of STRUCTURED_FLAGS) {
    const value = readRate(flags, key, flag);
    if (value !== undefined) structured[rate] = value;
  }
  if (Object.keys(structured).length > 0) options.structured = structured;

  if (flags['rateLimitHeaders'] === true) options.rateLimitHeaders = true;

  const apiKeyEnv = flags['apiKeyEnv'];
  if (apiKeyEnv !== undefined) {
    if (typeof apiKeyEnv !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(apiKeyEnv)) {
      throw invalidFlag('--api-key-env', 'expected the name of an environment variable such as SIM_API_KEY', apiKeyEnv);
    }
    const apiKey = env[apiKeyEnv];
    if (apiKey === undefined || apiKey === '') {
      throw new ConfigError(
        'API_KEY_MISSING',
        `flag --api-key-env: environment variable ${apiKeyEnv} is not set or empty; export it or drop the flag`,
        { context: { flag: '--api-key-env' } },
      );
    }
    options.apiKey = apiKey;
  }
  return options;
}

async function runSimulateCommand(flags: Record<string, unknown>): Promise<void> {
  const options = parseSimulatorFlags(flags);
  const { startSimulator } = await import('../../simulator/index.ts');
  const simulator = await startSimulator(options).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'EADDRINUSE') {
      throw new ConfigError(
        'CONFIG_INVALID',
        `flag --port: port ${String(options.port)} is already in use; pick another with --port <n>, or --port 0 for any free port`,
        { context: { flag: '--port' }, cause: error },
      );
    }
    throw error;
  });
  const announcement =
    flags['json'] === true
      ? JSON.stringify({
          event: 'simulator-listening',
          url: simulator.url,
          baseUrl: simulator.baseUrl,
          port: simulator.port,
          apiKeyRequired: options.apiKey !== undefined,
        })
      : `batchpilot simulator listening on ${simulator.baseUrl}`;
  process.stdout.write(`${announcement}\n`);
  await waitForShutdownSignal();
  await simulator.close();
}

function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function readInteger(flags: Record<string, unknown>, key: string, flag: string, max?: number): number | undefined {
  const value = flags[key];
  if (value === undefined) return undefined;
  const parsed =
    typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 0 || (max !== undefined && parsed > max)) {
    const range = max === undefined ? 'a whole number from 0 and up' : `a whole number from 0 to ${String(max)}`;
    throw invalidFlag(flag, `expected ${range}`, value);
  }
  return parsed;
}

function readRate(flags: Record<string, unknown>, key: string, flag: string): number | undefined {
  const value = flags[key];
  if (value === undefined) return undefined;
  const parsed =
    typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
    throw invalidFlag(flag, 'expected a rate from 0 to 1, such as 0.05', value);
  }
  return parsed;
}

function invalidFlag(flag: string, expectation: string, value: unknown): ConfigError {
  return new ConfigError(
    'CONFIG_INVALID',
    `flag ${flag}: ${expectation}, got ${JSON.stringify(value) ?? String(value)}`,
    {
      context: { flag },
    },
  );
}

function assignIfSet<K extends keyof SimulatorOptions>(
  options: SimulatorOptions,
  key: K,
  value: SimulatorOptions[K],
): void {
  if (value !== undefined) options[key] = value;
}
