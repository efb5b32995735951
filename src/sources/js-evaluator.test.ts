import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { evaluatePlayerScript } from './js-evaluator.ts';

describe('evaluatePlayerScript', () => {
  it('returns the object the script body returns', () => {
    const result = evaluatePlayerScript({ output: 'const n = "abc".split("").reverse().join(""); return { n };' });
    assert.deepEqual(result, { n: 'cba' });
  });

  it('gives the script no process, require or host Function', () => {
    const result = evaluatePlayerScript({
      output: `return {
        process: typeof process,
        require: typeof require,
        escaped: (() => {
          try { return this.constructor.constructor('return typeof process')(); } catch { return 'blocked'; }
        })(),
      };`,
    });
    assert.deepEqual(result, { process: 'undefined', require: 'undefined', escaped: 'blocked' });
  });

  it('refuses eval and new Function inside the sandbox', () => {
    assert.throws(() => evaluatePlayerScript({ output: 'return { x: eval("1 + 1") };' }), /Code generation from strings disallowed/);
    assert.throws(() => evaluatePlayerScript({ output: 'return { x: Function("return 1")() };' }), /Code generation from strings disallowed/);
  });

  it('stops a script that never finishes at the time limit', () => {
    const startedMs = Date.now();
    assert.throws(() => evaluatePlayerScript({ output: 'for (;;) {}' }, 50), /timed out/);
    assert.ok(Date.now() - startedMs < 2000, 'the loop was cut off near the 50 ms budget');
  });

  it('runs getters of the result inside the sandbox, under the same time limit', () => {
    const script = { output: 'return { get n() { for (;;) {} } };' };
    assert.throws(() => evaluatePlayerScript(script, 50), /timed out/);
  });

  it('rejects a script that returns no object', () => {
    assert.throws(() => evaluatePlayerScript({ output: 'return 42;' }), /non-object/);
    assert.throws(() => evaluatePlayerScript({ output: 'return undefined;' }), /no value/);
  });
});
