/**
 * The JavaScript evaluator youtubei.js needs to decipher stream URLs (n and
 * signature). The code comes from YouTube's player script plus the library's
 * glue, so it is untrusted input: it runs in a fresh node:vm context with no
 * require, no process, no string code generation, and a time limit.
 * node:vm is not a security boundary against a determined attacker; these
 * limits stop the accidental and the obvious (infinite loops, host access).
 */
import vm from 'node:vm';
import { Platform } from 'youtubei.js';

/** What youtubei.js hands the evaluator (its BuildScriptResult, narrowed to what we read). */
export interface PlayerScript {
  readonly output: string;
}

/** Default wall-clock budget for one evaluation; deciphering takes single-digit ms. */
export const DEFAULT_EVAL_TIMEOUT_MS = 1000;

/**
 * Run `script.output` as a function body in a sandbox and return its result as plain data.
 * The result is JSON-serialised inside the sandbox so no sandbox getter ever runs on our side.
 */
export function evaluatePlayerScript(script: PlayerScript, timeoutMs: number = DEFAULT_EVAL_TIMEOUT_MS): Record<string, unknown> {
  // A null-prototype global: with `{}` the sandbox could reach the host Function via this.constructor.
  const context = vm.createContext(Object.create(null), {
    name: 'youtube-player',
    codeGeneration: { strings: false, wasm: false },
    microtaskMode: 'afterEvaluate',
  });
  const source = `JSON.stringify((function () {\n${script.output}\n})())`;
  const serialized: unknown = vm.runInContext(source, context, { timeout: timeoutMs, displayErrors: false });
  if (typeof serialized !== 'string') throw new Error('Player script returned no value');
  const parsed: unknown = JSON.parse(serialized);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('Player script returned a non-object');
  }
  return parsed as Record<string, unknown>;
}

let installedTimeoutMs: number | undefined;

/**
 * Make youtubei.js use the sandboxed evaluator. Platform.shim is process-wide,
 * so this is idempotent and the first caller's timeout wins.
 */
export function installPlayerEvaluator(timeoutMs: number = DEFAULT_EVAL_TIMEOUT_MS): void {
  if (installedTimeoutMs !== undefined) return;
  installedTimeoutMs = timeoutMs;
  Platform.shim.eval = (data) => evaluatePlayerScript(data, timeoutMs);
}
