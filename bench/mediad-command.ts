/** How the report prints the daemon's start command and API calls. */
import { shippedNodeFlags } from './daemon.ts';

export function mediadStartLine(workers: number, jobsPerWorker: number, connections: number, fromSource: boolean): string {
  const env = `MEDIAD_WORKERS=${workers} MEDIAD_JOBS_PER_WORKER=${jobsPerWorker} MEDIAD_CONNECTIONS=${connections} MEDIAD_ALLOW_PRIVATE_NETWORKS=true MEDIAD_LOG_LEVEL=warn MEDIAD_PORT=<free> MEDIAD_DOWNLOAD_DIR=<fresh dir> MEDIAD_STATE_DIR=/tmp/mbs-XXXXXX`;
  return `${env} node ${[...shippedNodeFlags(), ''].join(' ')}${fromSource ? '--import tsx src/main.ts' : 'dist/src/main.js'}   # embedded redis-server, fresh per run`;
}

export function enqueueListLine(body: Record<string, unknown>, count: number, size: number): string {
  return `POST /v1/downloads/batch {"downloads":[${JSON.stringify(body)}, …]}   # ${Math.ceil(count / size)} lists of ${size}, one after the other`;
}

export function enqueueLine(body: Record<string, unknown>, count: number): string {
  return `POST /v1/downloads ${JSON.stringify(body)}${count > 1 ? `   # × ${count}, one per file` : ''}`;
}
