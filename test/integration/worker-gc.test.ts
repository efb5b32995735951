/**
 * Workers run with `--expose-gc` so the engine can scavenge every 4 MiB of body (src/v8-young-gc.ts): without it,
 * the socket buffers of a fast download drove the workers into a full GC every ~14 MiB. This runs the real engine
 * in a node started with the workers' V8 flags and counts the collections V8 reports.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { workerV8Flags } from '../../src/supervisor/pool.ts';

const child = new URL('../helpers/engine-gc-child.ts', import.meta.url).pathname;

interface Counts { minor: number; forcedMinor: number; major: number; sha256: string; expected: string }

async function downloadInNode(flags: readonly string[], sizeMiB: number): Promise<Counts> {
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, '--import', 'tsx', child, String(sizeMiB)], { encoding: 'utf8' });
  return JSON.parse(stdout) as Counts;
}

describe('scavenges paced by the body (worker V8 flags)', () => {
  it('a worker scavenges once per 4 MiB written and the file is intact', async () => {
    const counts = await downloadInNode(workerV8Flags, 64);
    assert.equal(counts.sha256, counts.expected);
    assert.equal(counts.forcedMinor, 16, JSON.stringify(counts));
  });

  it('a process without --expose-gc downloads the same, with no scavenge of its own', async () => {
    const counts = await downloadInNode(workerV8Flags.filter((flag) => flag !== '--expose-gc'), 64);
    assert.equal(counts.sha256, counts.expected);
    assert.equal(counts.forcedMinor, 0, JSON.stringify(counts));
  });
});
