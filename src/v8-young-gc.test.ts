import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ScavengePacer } from './v8-young-gc.ts';

describe('ScavengePacer', () => {
  const cases: { name: string; blocks: number[]; due: boolean[] }[] = [
    { name: 'due once the blocks add up to the step', blocks: [4, 4, 2], due: [false, false, true] },
    { name: 'what went past the step counts toward the next', blocks: [7, 7, 6], due: [false, true, true] },
    { name: 'a block of several steps is one scavenge, and the rest carries over', blocks: [25, 4, 1], due: [true, false, true] },
    { name: 'nothing in, nothing due', blocks: [0, 0], due: [false, false] },
  ];
  for (const { name, blocks, due } of cases) {
    it(name, () => {
      const pacer = new ScavengePacer(10);
      assert.deepEqual(blocks.map((bytes) => pacer.note(bytes)), due);
    });
  }
});
