/** Processes the benchmark started, so an interrupted run (Ctrl-C, crash) does not leave a daemon, redis or origin behind. */
import type { ChildProcess } from 'node:child_process';

const owned = new Set<ChildProcess>();
let installed = false;

export function own(child: ChildProcess): void {
  owned.add(child);
  child.once('exit', () => owned.delete(child));
  if (!installed) install();
}

function killOwned(): void {
  for (const child of owned) {
    try {
      // the daemon's own SIGTERM handler stops its workers and redis
      child.kill('SIGTERM');
    } catch {
      // already gone
    }
  }
}

function install(): void {
  installed = true;
  process.once('exit', killOwned);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killOwned();
      process.exit(130);
    });
  }
}
