import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readProcStat } from './proc-stat.ts';

describe('readProcStat', () => {
  it('splits out user-space time: it grows while this process computes and never exceeds user + system', () => {
    const before = readProcStat(process.pid);
    assert.ok(before);
    const start = process.cpuUsage().user;
    let spin = 0;
    while (process.cpuUsage().user - start < 300_000) spin += Math.sqrt(spin + 1); // 300 ms of CPU, however busy the machine
    const after = readProcStat(process.pid);
    assert.ok(after && spin > 0);
    assert.ok(after.ownUserTicks - before.ownUserTicks >= 10, `user ticks grew by ${after.ownUserTicks - before.ownUserTicks} over 300 ms of CPU in JS`);
    assert.ok(after.ownUserTicks <= after.ownTicks);
    assert.ok(after.reapedChildUserTicks <= after.reapedChildTicks);
  });

  it('answers undefined for a process that does not exist', () => {
    assert.equal(readProcStat(2 ** 22 + 1), undefined);
  });
});
