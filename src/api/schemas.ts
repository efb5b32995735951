/** JSON schemas of the API: requests are validated by them, responses serialised by them, /docs is built from them. */
const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] });

export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } },
} as const;

const progressSchema = {
  type: 'object',
  properties: {
    stage: { type: 'string' }, downloadedBytes: { type: 'integer' }, totalBytes: nullable({ type: 'integer' }),
    bytesPerSecond: { type: 'integer' }, etaSeconds: nullable({ type: 'integer' }), percent: { type: 'number' },
  },
} as const;

export const jobSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, url: { type: 'string' }, kind: { type: 'string' }, filename: nullable({ type: 'string' }),
    priority: { type: 'integer' }, options: { type: 'object', additionalProperties: true },
    state: { type: 'string', enum: ['queued', 'active', 'completed', 'failed', 'canceled'] },
    progress: progressSchema, attempts: { type: 'integer' },
    error: nullable({ type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } }),
    file: nullable({ type: 'object', properties: { path: { type: 'string' }, name: { type: 'string' }, size: { type: 'integer' }, sha256: nullable({ type: 'string' }) } }),
    createdAt: { type: 'string' }, startedAt: nullable({ type: 'string' }), finishedAt: nullable({ type: 'string' }),
  },
} as const;

/** Job options beside the core fields; validated further per kind. */
export const jobOptionProperties = {
  connections: { type: 'integer', minimum: 1, maximum: 16, description: 'Parallel range connections for this download' },
  rateLimit: { type: 'integer', minimum: 1024, description: 'Bandwidth limit for this download, bytes per second' },
  quality: { type: 'string', description: 'video: best, worst or a maximum height such as 1080p' },
  container: { type: 'string', enum: ['mp4', 'mkv', 'webm'], description: 'video: output container' },
  audioFormat: { type: 'string', enum: ['best', 'm4a', 'opus', 'mp3'], description: 'audio: best keeps the source codec' },
  audioBitrate: { type: 'integer', minimum: 32, maximum: 320, description: 'audio: kbps when converting' },
} as const;

export const createBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: { type: 'string', description: 'http(s) URL of the file or media page' },
    kind: { type: 'string', enum: ['file', 'video', 'audio'], default: 'file' },
    filename: { type: 'string', minLength: 1, maxLength: 1024, description: 'Name relative to the download folder' },
    priority: { type: 'integer', minimum: -100, maximum: 100, default: 0, description: 'Higher runs first' },
    sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: 'Expected checksum of the file' },
    ...jobOptionProperties,
  },
} as const;

/** A list in one request, as `aria2c -i list` takes one: up to this many downloads. */
export const maxBatchDownloads = 1000;

export const batchBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['downloads'],
  properties: {
    downloads: { type: 'array', minItems: 1, maxItems: maxBatchDownloads, items: createBodySchema, description: 'Downloads to queue, in order; all or none' },
  },
} as const;

export const idParamsSchema = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['id'],
} as const;

export const listQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: { type: 'string', enum: ['queued', 'active', 'completed', 'failed', 'canceled'] },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    cursor: { type: 'string', pattern: '^[0-9]+$' },
  },
} as const;

export const healthSchema = {
  type: 'object',
  properties: {
    status: { type: 'string' }, redis: { type: 'string' },
    workers: { type: 'object', properties: { size: { type: 'integer' }, jobsPerWorker: { type: 'integer' }, busy: { type: 'integer' }, pids: { type: 'array', items: { type: 'integer' } } } },
  },
} as const;
