import { after, before } from 'node:test';
import { type CliOptions, type CliResult, runCli } from './run-cli.ts';
import { type SimulatorHandle, type SimulatorOptions, startSimulator } from './start-simulator.ts';
import { createTempWorkspace, type TempWorkspace, toJsonl } from './temp-workspace.ts';

/**
 * A temp workspace, an input file and a simulator for the tests of one `describe`: made before them, closed and
 * removed after. Call it in the `describe` body; read its fields in hooks and tests only (they exist from `before` on).
 */
export interface CliWorkspace {
  readonly temp: TempWorkspace;
  readonly sim: SimulatorHandle;
  /** `<temp>/input.jsonl`, holding `inputLines` (only when they are given). */
  readonly input: string;
  /** `batchpilot --workspace <temp> --json ...args`, run in the temp folder. */
  readonly cli: (args: readonly string[], options?: Omit<CliOptions, 'cwd'>) => Promise<CliResult>;
}

export function useCliWorkspace(options: {
  prefix: string;
  inputLines?: readonly string[];
  simulator?: SimulatorOptions;
}): CliWorkspace {
  let made: { temp: TempWorkspace; sim: SimulatorHandle; input: string } | undefined;
  let temp: TempWorkspace | undefined;
  let sim: SimulatorHandle | undefined;

  before(async () => {
    temp = await createTempWorkspace(options.prefix);
    const input = options.inputLines === undefined ? '' : await temp.write('input.jsonl', toJsonl(options.inputLines));
    sim = await startSimulator(options.simulator ?? {});
    made = { temp, sim, input };
  });

  after(async () => {
    await sim?.close();
    await temp?.remove();
  });

  const ready = () => {
    if (made === undefined)
      throw new Error("useCliWorkspace: its fields exist from the describe block's before hook on");
    return made;
  };
  return {
    get temp() {
      return ready().temp;
    },
    get sim() {
      return ready().sim;
    },
    get input() {
      return ready().input;
    },
    cli: (args, cliOptions) =>
      runCli(['--workspace', ready().temp.workspace, '--json', ...args], { ...cliOptions, cwd: ready().temp.dir }),
  };
}
