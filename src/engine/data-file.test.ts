import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openDataFile } from './data-file.ts';
import { tempDirs } from '../../test/helpers/temp-dirs.ts';

const tempDir = tempDirs('mediad-data-');

describe('openDataFile', () => {
  it('writes buffers at positions, syncs, and reports its size', async () => {
    const file = path.join(await tempDir(), 'data.part');
    const data = openDataFile(file, 'new');
    assert.deepEqual(await data.writev([Buffer.from('cd'), Buffer.from('ef')], 2), { bytesWritten: 4 });
    await data.writev([Buffer.from('ab')], 0);
    await data.datasync();
    assert.equal(data.size(), 6);
    await data.close();
    assert.equal(readFileSync(file, 'utf8'), 'abcdef');
  });

  it('keeps what is there when opened for a resume, and starts an empty file when opened to start over', async () => {
    const file = path.join(await tempDir(), 'data.part');
    const first = openDataFile(file, 'new');
    await first.writev([Buffer.from('0123456789')], 0);
    await first.close();
    const resumed = openDataFile(file, 'r+');
    await resumed.writev([Buffer.from('X')], 10);
    await resumed.close();
    assert.equal(readFileSync(file, 'utf8'), '0123456789X');
    const fresh = openDataFile(file, 'new');
    assert.equal(fresh.size(), 0);
    await fresh.close();
  });

  it('starts over on a new inode, so a finished copy hard-linked elsewhere keeps its bytes', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'data.part');
    const old = openDataFile(file, 'new');
    await old.writev([Buffer.from('finished')], 0);
    await old.close();
    linkSync(file, path.join(dir, 'placed.bin'));
    const fresh = openDataFile(file, 'new');
    await fresh.writev([Buffer.from('x')], 0);
    await fresh.close();
    assert.equal(readFileSync(path.join(dir, 'placed.bin'), 'utf8'), 'finished');
    assert.equal(readFileSync(file, 'utf8'), 'x');
  });

  it('writes in line with writevSync, beside writes through the pool, and refuses in-line writes once closed', async () => {
    const file = path.join(await tempDir(), 'data.part');
    const data = openDataFile(file, 'new');
    assert.equal(data.writevSync?.([Buffer.from('ab'), Buffer.from('cd')], 0), 4);
    assert.equal(readFileSync(file, 'utf8'), 'abcd', 'in the file when the call returns');
    await data.writev([Buffer.from('ef')], 4);
    await data.close();
    assert.throws(() => data.writevSync?.([Buffer.from('x')], 0), /closed/);
    assert.equal(readFileSync(file, 'utf8'), 'abcdef');
  });

  it('closes only after the writes still in flight have landed, and refuses writes after that', async () => {
    const file = path.join(await tempDir(), 'data.part');
    const data = openDataFile(file, 'new');
    const block = Buffer.alloc(1024 * 1024, 7);
    // more writes than libuv has threads (4): most still wait in its queue when close is called
    const inFlight = Array.from({ length: 16 }, (_, n) => data.writev([block], n * block.length));
    await data.close();
    for (const write of inFlight) assert.deepEqual(await write, { bytesWritten: block.length });
    const written = readFileSync(file);
    assert.equal(written.length, 16 * block.length);
    assert.ok(written.every((byte) => byte === 7));
    await assert.rejects(data.writev([block], 0), /closed/);
    await data.close(); // a second close does nothing
  });
});
