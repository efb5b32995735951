import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { ensureReserve, releaseReserve } from './disk-reserve.ts';
import { inFolder, partialFile } from './partial-paths.ts';
import { tempDirs } from '../../test/helpers/temp-dirs.ts';

const tempDir = tempDirs('mediad-reserve-');

describe('disk reserve', () => {
  it('is on disk, 64 KiB, as soon as ensureReserve returns: before the next block can fill the disk', async () => {
    const files = inFolder(await tempDir());
    const result: unknown = ensureReserve(files);
    assert.equal(result, undefined, 'synchronous: nothing to await');
    assert.equal(statSync(partialFile(files, 'reserve')).size, 64 * 1024);
  });

  it('restores a reserve of the wrong size, and is gone once released', async () => {
    const files = inFolder(await tempDir());
    writeFileSync(partialFile(files, 'reserve'), 'torn');
    ensureReserve(files);
    assert.equal(statSync(partialFile(files, 'reserve')).size, 64 * 1024);
    await releaseReserve(files);
    assert.throws(() => statSync(partialFile(files, 'reserve')), { code: 'ENOENT' });
  });
});
