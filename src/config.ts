/**
 * The only reader of process.env and config/: defaults from config/default.json,
 * an optional file named by MEDIAD_CONFIG_FILE, then MEDIAD_* variables.
 * Validated at boot, frozen; a bad value is a startup error naming the key.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MediadError } from './errors.ts';
import { configSchema, envNameOf, type FieldSpec } from './config-schema.ts';
import { validateOutputTemplate } from './postprocess/output-name.ts';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly redisUrl: string | null;
  readonly downloadDir: string;
  readonly stateDir: string;
  readonly workers: number;
  readonly jobsPerWorker: number;
  readonly allowPrivateNetworks: boolean;
  readonly logLevel: string;
  readonly maxAttempts: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly connectTimeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly maxRedirects: number;
  readonly checkpointIntervalBytes: number;
  readonly checkpointIntervalMs: number;
  readonly progressIntervalMs: number;
  readonly jobLockMs: number;
  readonly stalledCheckIntervalMs: number;
  readonly shutdownTimeoutMs: number;
  readonly embeddedRedisAppendFsync: 'always' | 'everysec' | 'no';
  readonly connections: number;
  readonly minSegmentBytes: number;
  readonly perHostConnections: number;
  readonly directWrites: boolean;
  readonly hashFiles: boolean;
  readonly rateLimitBytesPerSecond: number;
  readonly youtube: { readonly resolver: 'youtubei' | 'ytdl-core' | 'yt-dlp' };
  readonly ytDlp: { readonly path: string | null };
  readonly ffmpeg: { readonly path: string };
  readonly ffprobe: { readonly path: string };
  readonly output: { readonly template: string };
}

const configDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'config');
const repoConfigDir = path.basename(path.dirname(configDir)) === 'dist' ? path.resolve(configDir, '..', '..', 'config') : configDir;

type Raw = Record<string, unknown>;

function readJsonFile(file: string, what: string): Raw {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Raw;
  } catch (error) {
    throw new MediadError('MEDIAD_ERR_CONFIG', `cannot read ${what} ${file}: ${(error as Error).message}`);
  }
}

function getPath(object: Raw, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Raw)[part] : undefined), object);
}

function coerceEnv(spec: FieldSpec, text: string): unknown {
  if (spec.type === 'int') return text.trim() === '' ? Number.NaN : Number(text);
  if (spec.type === 'bool') {
    if (/^(1|true|yes|on)$/i.test(text)) return true;
    if (/^(0|false|no|off)$/i.test(text)) return false;
    return text;
  }
  if (spec.type === 'string' && spec.nullable && text === '') return null;
  return text;
}

/** Returns why `value` does not fit `spec`, or undefined when it does. */
export function checkField(spec: FieldSpec, value: unknown): string | undefined {
  switch (spec.type) {
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) return 'must be a whole number';
      if (value < spec.min || value > spec.max) return `must be between ${spec.min} and ${spec.max}`;
      return undefined;
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'string':
      if (value === null && spec.nullable) return undefined;
      return typeof value === 'string' && value.length > 0 ? undefined : 'must be a non-empty string';
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value) ? undefined : `must be one of ${spec.values.join(', ')}`;
  }
}

function setPath(target: Raw, key: string, value: unknown): void {
  const parts = key.split('.');
  const last = parts.pop() as string;
  let node = target;
  for (const part of parts) node = (node[part] ??= {}) as Raw;
  node[last] = value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Builds the frozen Config from defaults, an optional file and the environment. Throws MEDIAD_ERR_CONFIG naming the key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const defaults = readJsonFile(path.join(repoConfigDir, 'default.json'), 'defaults');
  const overrideFile = env.MEDIAD_CONFIG_FILE;
  const overrides = overrideFile ? readJsonFile(path.resolve(cwd, overrideFile), 'MEDIAD_CONFIG_FILE') : {};
  const known = new Set(Object.keys(configSchema).map(envNameOf).concat('MEDIAD_CONFIG_FILE'));
  for (const name of Object.keys(env)) {
    if (name.startsWith('MEDIAD_') && !name.startsWith('MEDIAD_INTERNAL_') && !name.startsWith('MEDIAD_TEST_') && !known.has(name)) {
      throw new MediadError('MEDIAD_ERR_CONFIG', `unknown setting ${name}; see the README for the MEDIAD_* variables`);
    }
  }
  const result: Raw = {};
  for (const [key, spec] of Object.entries(configSchema) as [string, FieldSpec][]) {
    const envName = envNameOf(key);
    const fromEnv = env[envName];
    const fromFile = getPath(overrides, key);
    const value = fromEnv !== undefined ? coerceEnv(spec, fromEnv) : fromFile !== undefined ? fromFile : getPath(defaults, key);
    const problem = checkField(spec, value);
    if (problem) {
      const source = fromEnv !== undefined ? `${envName}=${JSON.stringify(fromEnv)}` : `${key}=${JSON.stringify(value)}`;
      throw new MediadError('MEDIAD_ERR_CONFIG', `invalid config ${source}: ${problem}`);
    }
    setPath(result, key, value);
  }
  const templateProblem = validateOutputTemplate(getPath(result, 'output.template') as string);
  if (templateProblem) throw new MediadError('MEDIAD_ERR_CONFIG', `invalid config MEDIAD_OUTPUT_TEMPLATE: ${templateProblem.message}`);
  result.downloadDir = path.resolve(cwd, result.downloadDir as string);
  result.stateDir = path.resolve(cwd, result.stateDir as string);
  return deepFreeze(result as unknown as Config);
}
