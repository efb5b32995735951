/**
 * Run by test/integration/worker-gc.test.ts in a node started with a worker's V8 flags: downloads `argv[2]` MiB
 * through the real engine from a local origin in this process, and prints the garbage collections V8 ran meanwhile
 * as JSON: `{"minor": n, "forcedMinor": n, "major": n, "sha256": "…", "expected": "…"}`.
 */
import { constants, PerformanceObserver, type NodeGCPerformanceDetail } from 'node:perf_hooks';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { downloadToPartial } from '../../src/engine/download.ts';
import { inFolder } from '../../src/engine/partial-paths.ts';
import { MiB } from './env.ts';
import { quietLog, startOriginAndClient } from './engine-client.ts';
import { randomBytesSeeded, sha256, sha256File } from './origin.ts';

const sizeMiB = Number(process.argv[2]);
const { origin, http, close } = await startOriginAndClient(4);
const data = randomBytesSeeded(sizeMiB * MiB, 5);
origin.setFile('/big.bin', data);
const dir = await mkdtemp(path.join(tmpdir(), 'mediad-gc-'));

const counts = { minor: 0, forcedMinor: 0, major: 0 };
let counting = false;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!counting) continue;
    const { kind, flags } = (entry as unknown as { detail: NodeGCPerformanceDetail }).detail; // a gc entry's (not typed on PerformanceEntry)
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) counts.minor++;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR && (flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0) counts.forcedMinor++;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) counts.major++;
  }
});
observer.observe({ entryTypes: ['gc'] });

counting = true;
const result = await downloadToPartial(inFolder(dir), { url: origin.url('/big.bin') }, {
  connections: 1, minSegmentBytes: MiB, checkpointIntervalBytes: 8 * MiB, checkpointIntervalMs: 2000, directWrites: true,
}, { http, signal: new AbortController().signal, log: quietLog, now: Date.now, onProgress: () => undefined });
await new Promise((resolve) => setTimeout(resolve, 50)); // the observer hears of the last collections a turn later
counting = false;
observer.disconnect();
process.stdout.write(`${JSON.stringify({ ...counts, sha256: await sha256File(result.dataPath), expected: sha256(data) })}\n`);
await rm(dir, { recursive: true, force: true });
await close();
