import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkpointVersion, findCheckpointProblem, loadCheckpoint, truncateToCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.ts';
import type { PartialFiles } from './partial-paths.ts';
import { tempDirs } from '../../test/helpers/temp-dirs.ts';

const tempDir = tempDirs('mediad-cp-');

const url = 'http://origin/a.bin';
const base: Checkpoint = {
  version: checkpointVersion, url, sourceUrl: url, resolvedUrl: url, etag: '"e"', lastModified: null, totalBytes: 100, contentDisposition: null,
  segments: [{ start: 0, end: 50, written: 20 }, { start: 50, end: 100, written: 10 }],
};

describe('findCheckpointProblem', () => {
  const cases: [string, unknown, number | undefined, boolean][] = [
    ['a consistent checkpoint is usable', base, 100, true],
    ['a data file longer than the checkpoint is fine (torn tail is cut)', base, 100, true],
    ['another format version is discarded', { ...base, version: 99 }, 100, false],
    ['another URL is discarded', { ...base, url: 'http://x/' }, 100, false],
    ['a data file shorter than claimed is discarded', base, 59, false],
    ['a missing data file is discarded', base, undefined, false],
    ['segments that do not cover the total are discarded', { ...base, totalBytes: 120 }, 120, false],
    ['written past the segment end is discarded', { ...base, segments: [{ start: 0, end: 100, written: 101 }] }, 200, false],
    ['garbage is discarded', 'nonsense', 100, false],
  ];
  for (const [name, value, dataBytes, usable] of cases) it(name, () => assert.equal(findCheckpointProblem(value, url, dataBytes) === undefined, usable));
});

describe('checkpoint files', () => {
  // a download's own folder (media streams), and flat in a shared folder under a job's prefix (file jobs)
  const layouts: [string, (dir: string) => PartialFiles, string][] = [['in a folder of its own', (dir) => ({ dir, prefix: '' }), ''], ['flat, under a job prefix', (dir) => ({ dir, prefix: 'job-7.' }), 'job-7.']];
  for (const [layout, filesIn, prefix] of layouts) {
    it(`round-trips and reports a torn checkpoint as discarded (${layout})`, async () => {
      const dir = await tempDir();
      await writeFile(path.join(dir, `${prefix}data.part`), Buffer.alloc(100));
      await writeCheckpoint(filesIn(dir), base);
      assert.deepEqual(await loadCheckpoint(filesIn(dir), url), { checkpoint: base });
      assert.deepEqual(await loadCheckpoint({ dir, prefix: 'other-job.' }, url), { missing: true }, 'another prefix is another download');
      await writeFile(path.join(dir, `${prefix}checkpoint.json`), '{"version":1,"url":');
      assert.ok('discarded' in (await loadCheckpoint(filesIn(dir), url)));
    });
    it(`cuts the torn tail back to the last checkpointed byte (${layout})`, async () => {
      const dir = await tempDir();
      await writeFile(path.join(dir, `${prefix}data.part`), Buffer.alloc(100, 7));
      await truncateToCheckpoint(filesIn(dir), base);
      assert.equal((await stat(path.join(dir, `${prefix}data.part`))).size, 60);
      assert.equal((await readFile(path.join(dir, `${prefix}data.part`)))[59], 7);
    });
  }
});
