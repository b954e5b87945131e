// Preloaded (`node --import`) into every process a test starts through test/helpers/spawn-owned.ts: when the test
// process named by BP_TEST_OWNER_PID is gone, however it ended (a runner's timeout, SIGKILL, a crash), this process
// kills its own process group, so nothing a test started outlives it. Processes it spawns with `process.execArgv`
// and the same environment (the detached scheduler) are watched the same way. Plain JS: it also runs under the
// compiled CLI, without tsx.
const owner = Number(process.env['BP_TEST_OWNER_PID']);
/** How often the owner is looked for: a leftover lives at most this long after its test process. */
const WATCH_INTERVAL_MS = 250;

function ownerIsGone() {
  try {
    process.kill(owner, 0);
    return false;
  } catch (error) {
    return error.code === 'ESRCH';
  }
}

if (Number.isInteger(owner) && owner > 0) {
  const timer = setInterval(() => {
    if (!ownerIsGone()) return;
    try {
      // A group leader takes its whole group with it (a command task's children included).
      process.kill(-process.pid, 'SIGKILL');
    } catch {
      // Not a group leader: this process alone.
    }
    process.kill(process.pid, 'SIGKILL');
  }, WATCH_INTERVAL_MS);
  timer.unref();
}
