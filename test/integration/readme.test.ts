import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configSchema, envNameOf } from '../../src/config-schema.ts';

describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  it('documents every MEDIAD_* variable the daemon accepts', () => {
    const missing = Object.keys(configSchema).map(envNameOf).filter((name) => !readme.includes(`\`${name}\``));
    assert.deepEqual(missing, []);
  });
  it('shows the test command that .ci/run runs', () => {
    const ci = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
    const command = ci.split('\n').filter((line) => line && !line.startsWith('#')).pop() as string;
    assert.ok(readme.includes(command), `README shows "${command}"`);
  });
});
