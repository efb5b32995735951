/**
 * The shape of mediad's configuration: one entry per key, with its type and
 * bounds. The env name of a key is derived from its path (`ytDlp.path` →
 * `MEDIAD_YT_DLP_PATH`), so the README table and the validator cannot drift.
 */
export type FieldSpec =
  | { readonly type: 'int'; readonly min: number; readonly max: number; readonly doc: string }
  | { readonly type: 'bool'; readonly doc: string }
  | { readonly type: 'string'; readonly nullable?: boolean; readonly doc: string }
  | { readonly type: 'enum'; readonly values: readonly string[]; readonly doc: string };

const GiB = 1024 ** 3;

export const configSchema = {
  host: { type: 'string', doc: 'Address the HTTP API listens on' },
  port: { type: 'int', min: 0, max: 65535, doc: 'Port of the HTTP API' },
  redisUrl: { type: 'string', nullable: true, doc: 'Redis to use (redis://…); unset starts an embedded redis-server' },
  downloadDir: { type: 'string', doc: 'Where finished files go' },
  stateDir: { type: 'string', doc: 'Embedded Redis data and runtime files' },
  workers: { type: 'int', min: 1, max: 64, doc: 'Number of worker processes' },
  jobsPerWorker: { type: 'int', min: 1, max: 16, doc: 'Downloads each worker process runs at once (downloads at once = workers × this)' },
  allowPrivateNetworks: { type: 'bool', doc: 'Allow URLs on loopback, private and link-local addresses' },
  logLevel: { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], doc: 'pino log level' },
  maxAttempts: { type: 'int', min: 1, max: 1000, doc: 'Attempts per job before it fails' },
  retryBaseDelayMs: { type: 'int', min: 0, max: 3_600_000, doc: 'First retry delay; doubles each attempt, with jitter' },
  retryMaxDelayMs: { type: 'int', min: 0, max: 86_400_000, doc: 'Cap on the retry delay' },
  connectTimeoutMs: { type: 'int', min: 100, max: 600_000, doc: 'Time to connect and get response headers' },
  stallTimeoutMs: { type: 'int', min: 100, max: 3_600_000, doc: 'A transfer with no bytes for this long is retried' },
  maxRedirects: { type: 'int', min: 0, max: 50, doc: 'Redirects followed per request' },
  checkpointIntervalBytes: { type: 'int', min: 65_536, max: 4 * GiB, doc: 'Checkpoint at least every this many bytes' },
  checkpointIntervalMs: { type: 'int', min: 50, max: 600_000, doc: 'Checkpoint at least this often while bytes arrive' },
  progressIntervalMs: { type: 'int', min: 50, max: 10_000, doc: 'How often progress reaches the API' },
  jobLockMs: { type: 'int', min: 1000, max: 600_000, doc: 'Job lock in Redis; a dead worker\'s job is picked up after it' },
  stalledCheckIntervalMs: { type: 'int', min: 500, max: 600_000, doc: 'How often workers look for jobs of dead workers' },
  shutdownTimeoutMs: { type: 'int', min: 500, max: 600_000, doc: 'Graceful stop budget before workers are killed' },
  embeddedRedisAppendFsync: { type: 'enum', values: ['always', 'everysec', 'no'], doc: 'appendfsync of the embedded Redis' },
  connections: { type: 'int', min: 1, max: 16, doc: 'Parallel range connections per download' },
  minSegmentBytes: { type: 'int', min: 65_536, max: 4 * GiB, doc: 'Smallest segment worth its own connection' },
  perHostConnections: { type: 'int', min: 1, max: 256, doc: 'Connections per origin host per worker process' },
  directWrites: { type: 'bool', doc: 'Write big downloads around the page cache (O_DIRECT) where the file system takes it' },
  hashFiles: { type: 'bool', doc: 'Record the sha256 of every finished file (one more read of it; a job\'s own `sha256` is verified either way)' },
  rateLimitBytesPerSecond: { type: 'int', min: 0, max: 1024 * GiB, doc: 'Global bandwidth limit (0 = none)' },
  'youtube.resolver': { type: 'enum', values: ['youtubei', 'ytdl-core', 'yt-dlp'], doc: 'YouTube resolver' },
  'ytDlp.path': { type: 'string', nullable: true, doc: 'yt-dlp executable (unset = look on PATH)' },
  'ffmpeg.path': { type: 'string', doc: 'ffmpeg executable' },
  'ffprobe.path': { type: 'string', doc: 'ffprobe executable' },
  'output.template': { type: 'string', doc: 'Name of processed video/audio files' },
} as const satisfies Record<string, FieldSpec>;

export type ConfigKey = keyof typeof configSchema;

/** `ytDlp.path` → `MEDIAD_YT_DLP_PATH`. */
export function envNameOf(key: string): string {
  return 'MEDIAD_' + key.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}
