// The simulator in a process of its own, so that its CPU never counts against batchpilot's.
//
//   node bench/simulator-process.mjs '{"simulator":{"latencyMs":0,"trackDuplicates":false}}'
//   node bench/simulator-process.mjs --latency-ms 200 --jitter-ms 100 --rpm 6000
//
// Prints one JSON line per event on stdout; the first is {"event":"listening","port":N,"baseUrl":...}.
// Control commands, one JSON line each on stdin (each answered by an event named `<cmd>-ok`):
//   {"cmd":"watch-first"}           the next generation request prints {"event":"first-request","t":EPOCH_MS}
//   {"cmd":"notify-at","requests":N} prints {"event":"count-reached",...} once N generation requests have arrived
//                                    (counted from the start of the process)
//   {"cmd":"stats"}                 answers with the simulator's stats, the time-weighted mean of requests in flight
//                                    and the process's own CPU and RSS
//   {"cmd":"reset"}                 resets the stats (as POST /stats/reset does) and the in-flight mean
// Exits on SIGTERM, SIGINT or the end of stdin.
import dc from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { startSimulator } from '../dist/simulator/index.js';

function parseArgs(argv) {
  if (argv.length === 1 && argv[0].trim().startsWith('{')) {
    const parsed = JSON.parse(argv[0]);
    return parsed.simulator ?? parsed;
  }
  const options = { port: 0, trackDuplicates: false };
  for (let index = 0; index < argv.length; index += 2) {
    const flag = argv[index];
    const value = argv[index + 1];
    if (!flag.startsWith('--') || value === undefined) throw new Error(`bad argument ${flag}`);
    const key = flag.slice(2).replace(/-([a-z0-9])/g, (_match, letter) => letter.toUpperCase());
    options[key] =
      value === 'true' ? true : value === 'false' ? false : Number.isNaN(Number(value)) ? value : Number(value);
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const now = () => performance.timeOrigin + performance.now();

let generationRequests = 0;
let watchingFirst = false;
let notifyAt = 0;

// Time-weighted mean of the requests in flight (received, not yet answered) since the last reset, over the span
// from the first request to the last answer: with Little's law it tells how full the client kept its pool.
const flight = { current: 0, since: 0, area: 0, first: 0, last: 0 };
function moveFlight(delta) {
  const at = performance.now();
  if (flight.first === 0) flight.first = at;
  else flight.area += flight.current * (at - flight.since);
  flight.since = at;
  flight.last = at;
  flight.current += delta;
}
function resetFlight() {
  flight.area = 0;
  flight.first = 0;
  flight.last = 0;
}
const counted = new WeakSet();
dc.subscribe('http.server.response.finish', (message) => {
  if (!counted.has(message.request)) return;
  counted.delete(message.request);
  moveFlight(-1);
});

dc.subscribe('http.server.request.start', (message) => {
  const url = message.request.url ?? '';
  if (url.startsWith('/stats')) return;
  counted.add(message.request);
  moveFlight(1);
  generationRequests += 1;
  if (watchingFirst) {
    watchingFirst = false;
    emit({ event: 'first-request', t: now(), url });
  }
  if (notifyAt > 0 && generationRequests >= notifyAt) {
    notifyAt = 0;
    emit({ event: 'count-reached', t: now(), requests: generationRequests });
  }
});

const simulator = await startSimulator(options);
emit({ event: 'listening', port: simulator.port, baseUrl: simulator.baseUrl, pid: process.pid });

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  await simulator.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());

const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  if (line.trim() === '') return;
  const command = JSON.parse(line);
  switch (command.cmd) {
    case 'watch-first':
      watchingFirst = true;
      emit({ event: 'watch-first-ok', t: now() });
      break;
    case 'notify-at':
      notifyAt = command.requests;
      emit({ event: 'notify-at-ok', requests: generationRequests });
      if (generationRequests >= notifyAt) {
        notifyAt = 0;
        emit({ event: 'count-reached', t: now(), requests: generationRequests });
      }
      break;
    case 'stats': {
      const usage = process.resourceUsage();
      emit({
        event: 'stats-ok',
        stats: simulator.stats(),
        generationRequests,
        meanInFlight: flight.last > flight.first ? flight.area / (flight.last - flight.first) : 0,
        cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
        maxRssMB: usage.maxRSS / 1024,
      });
      break;
    }
    case 'reset':
      simulator.resetStats();
      resetFlight();
      emit({ event: 'reset-ok' });
      break;
    default:
      emit({ event: 'error', message: `unknown command ${String(command.cmd)}` });
  }
});
commands.on('close', () => void shutdown());
