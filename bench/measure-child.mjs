// Loaded with `node --import ./bench/measure-child.mjs SCRIPT ...`: at exit, writes the process's own
// resourceUsage() (userCPUTime and systemCPUTime in microseconds, maxRSS in kilobytes) as JSON to the file named
// by $BENCH_USAGE_FILE. Nothing is written when the process is killed by a signal.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const file = process.env['BENCH_USAGE_FILE'];
if (file !== undefined && file !== '') {
  process.on('exit', (code) => {
    const usage = process.resourceUsage();
    writeFileSync(
      file,
      JSON.stringify({
        code,
        userCPUTime: usage.userCPUTime,
        systemCPUTime: usage.systemCPUTime,
        maxRSS: usage.maxRSS,
        uptimeMs: performance.now(),
        exitedAt: performance.timeOrigin + performance.now(),
      }),
    );
  });
}
