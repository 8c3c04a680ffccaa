// @ts-check
// Cleanup that must run however a benchmark ends: normally (call `cleanup()` in a finally), or
// on Ctrl-C / SIGTERM, when a started cluster or reference server must not be left running.
// Steps run last-registered first, each synchronously, so they also work from a signal handler.

/** @type {Array<() => void>} */
const steps = [];
let signalsHandled = false;

/**
 * Registers a step, and on first use the SIGINT/SIGTERM handlers that run every step and exit 130.
 * @param {() => void} step
 */
export function onCleanup(step) {
  steps.push(step);
  if (signalsHandled) return;
  signalsHandled = true;
  for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
    process.on(sig, () => {
      console.error(`\n${sig}: cleaning up`);
      cleanup();
      process.exit(130);
    });
  }
}

/** Runs (and forgets) every registered step; one that throws is reported and the others still run. */
export function cleanup() {
  while (steps.length) {
    try {
      steps.pop()?.();
    } catch (e) {
      console.error(`cleanup: ${e instanceof Error ? e.message : e}`);
    }
  }
}
