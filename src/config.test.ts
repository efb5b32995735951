import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadConfig } from './config.ts';
import { configSchema, envNameOf } from './config-schema.ts';

describe('loadConfig', () => {
  it('reads the documented defaults', () => {
    const config = loadConfig({}, '/srv');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8787);
    assert.equal(config.redisUrl, null);
    assert.equal(config.downloadDir, path.resolve('/srv', 'downloads'));
    assert.equal(config.stateDir, path.resolve('/srv', '.mediad'));
    assert.equal(config.workers, 2);
    assert.equal(config.jobsPerWorker, 2);
    assert.equal(config.hashFiles, false);
    assert.equal(config.allowPrivateNetworks, false);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.checkpointIntervalBytes, 8 * 1024 * 1024);
    assert.equal(config.checkpointIntervalMs, 2000);
    assert.equal(config.stallTimeoutMs, 30_000);
    assert.equal(config.youtube.resolver, 'youtubei');
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.youtube));
  });

  it('lets every key be set from its MEDIAD_* variable', () => {
    const config = loadConfig({
      MEDIAD_PORT: '9000', MEDIAD_WORKERS: '2', MEDIAD_ALLOW_PRIVATE_NETWORKS: 'true', MEDIAD_REDIS_URL: 'redis://r:6379',
      MEDIAD_YT_DLP_PATH: '/opt/yt-dlp', MEDIAD_YOUTUBE_RESOLVER: 'ytdl-core', MEDIAD_DOWNLOAD_DIR: '/data/dl',
    }, '/srv');
    assert.equal(config.port, 9000);
    assert.equal(config.workers, 2);
    assert.equal(config.allowPrivateNetworks, true);
    assert.equal(config.redisUrl, 'redis://r:6379');
    assert.equal(config.ytDlp.path, '/opt/yt-dlp');
    assert.equal(config.youtube.resolver, 'ytdl-core');
    assert.equal(config.downloadDir, '/data/dl');
  });

  const invalid: [Record<string, string>, RegExp][] = [
    [{ MEDIAD_PORT: 'eighty' }, /MEDIAD_PORT="eighty": must be a whole number/],
    [{ MEDIAD_PORT: '70000' }, /MEDIAD_PORT.*between 0 and 65535/],
    [{ MEDIAD_WORKERS: '0' }, /MEDIAD_WORKERS.*between 1 and 64/],
    [{ MEDIAD_ALLOW_PRIVATE_NETWORKS: 'maybe' }, /MEDIAD_ALLOW_PRIVATE_NETWORKS.*true or false/],
    [{ MEDIAD_LOG_LEVEL: 'loud' }, /MEDIAD_LOG_LEVEL.*one of/],
    [{ MEDIAD_YOUTUBE_RESOLVER: 'magic' }, /MEDIAD_YOUTUBE_RESOLVER/],
    [{ MEDIAD_WORKER: '3' }, /unknown setting MEDIAD_WORKER/],
    [{ MEDIAD_OUTPUT_TEMPLATE: '{title}.mp4' }, /MEDIAD_OUTPUT_TEMPLATE/],
    [{ MEDIAD_OUTPUT_TEMPLATE: '{nonsense}.{ext}' }, /MEDIAD_OUTPUT_TEMPLATE/],
  ];
  for (const [env, message] of invalid) {
    it(`refuses ${JSON.stringify(env)} at startup, naming the key`, () => {
      assert.throws(() => loadConfig(env, '/srv'), (error: Error & { code?: string }) => error.code === 'MEDIAD_ERR_CONFIG' && message.test(error.message));
    });
  }

  it('derives env names from key paths', () => {
    assert.equal(envNameOf('ytDlp.path'), 'MEDIAD_YT_DLP_PATH');
    assert.equal(envNameOf('checkpointIntervalBytes'), 'MEDIAD_CHECKPOINT_INTERVAL_BYTES');
    assert.ok(Object.keys(configSchema).length >= 25);
  });
});
