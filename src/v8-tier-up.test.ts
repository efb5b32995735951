import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tierUpFlags } from './v8-tier-up.ts';

describe('tierUpFlags', () => {
  const cases: [string, string[]][] = [
    ['11.3.244.8-node.38', ['--interrupt-budget=16896']], // Node 20, where it was measured
    ['12.4.254.21-node.33', []], // Node 22: not measured, V8's defaults
    ['10.2.154.26-node.36', []],
  ];
  for (const [version, flags] of cases) it(`V8 ${version} → ${flags.join(' ') || 'no flags'}`, () => assert.deepEqual(tierUpFlags(version), flags));

  it('this node knows every flag it is given: setting them prints no error', () => {
    const flags = tierUpFlags(process.versions.v8);
    const run = spawnSync(process.execPath, ['-e', `const v8 = require('node:v8'); for (const f of ${JSON.stringify(flags)}) v8.setFlagsFromString(f);`], { encoding: 'utf8' });
    assert.equal(run.status, 0);
    assert.equal(run.stderr, '');
  });
});
