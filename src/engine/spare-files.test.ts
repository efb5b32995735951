import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processStartTime } from '../proc-stat.ts';
import { keepAsSpare, placeSpareAs, sweepDeadSpares } from './spare-files.ts';
import { tempDirs } from '../../test/helpers/temp-dirs.ts';

const tempDir = tempDirs('mediad-spare-');

describe('spare lock files', () => {
  it('moves a kept file back under a new name, with only the new text: the same inode, no new one', async () => {
    const dir = await tempDir();
    const first = path.join(dir, 'job-1.lock');
    assert.equal(placeSpareAs(first, 'nothing kept yet'), undefined, 'no spare: the caller creates the file');
    writeFileSync(first, '{"pid":1,"done":{"path":"/downloads/a-much-longer-name.bin"}}');
    const inode = statSync(first).ino;
    keepAsSpare(first);
    assert.deepEqual(readdirSync(dir).filter((name) => !name.startsWith('spare.')), [], 'the finished lock is gone under its name');

    const second = path.join(dir, 'job-2.lock');
    assert.equal(placeSpareAs(second, '{"pid":2}'), true);
    assert.equal(statSync(second).ino, inode);
    assert.equal(readFileSync(second, 'utf8'), '{"pid":2}', 'no byte of the earlier text is left');
    assert.deepEqual(readdirSync(dir), ['job-2.lock'], 'the spare name went');
  });

  it('refuses a name that exists, like O_EXCL, and keeps the spare for the next one', async () => {
    const dir = await tempDir();
    writeFileSync(path.join(dir, 'old.lock'), 'old');
    keepAsSpare(path.join(dir, 'old.lock'));
    writeFileSync(path.join(dir, 'held.lock'), 'held by someone');
    assert.equal(placeSpareAs(path.join(dir, 'held.lock'), 'mine'), false);
    assert.equal(readFileSync(path.join(dir, 'held.lock'), 'utf8'), 'held by someone');
    assert.equal(placeSpareAs(path.join(dir, 'free.lock'), 'mine'), true);
    assert.equal(readFileSync(path.join(dir, 'free.lock'), 'utf8'), 'mine');
  });

  it('unlinks a finished lock it cannot rename (a full disk has no room for a new name), so no lock is left behind', async () => {
    const dir = await tempDir();
    writeFileSync(path.join(dir, 'job-9.lock'), '{"pid":1}');
    const full = () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, rename'), { code: 'ENOSPC' });
    };
    keepAsSpare(path.join(dir, 'job-9.lock'), full);
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(placeSpareAs(path.join(dir, 'job-10.lock'), 'x'), undefined, 'nothing was kept');
  });

  it('keeps nothing for a file that is not there', async () => {
    const dir = await tempDir();
    keepAsSpare(path.join(dir, 'gone.lock'));
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(placeSpareAs(path.join(dir, 'next.lock'), 'x'), undefined);
  });

  it('sweeps the spares and lock temp files of processes that are gone, and only those', async () => {
    const dir = await tempDir();
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    const deadPid = child.pid as number;
    const deadStart = processStartTime(deadPid) ?? '1';
    await new Promise((resolve) => child.once('exit', resolve));
    const liveStart = processStartTime(process.pid) as string;
    const names = {
      deadSpare: `spare.${deadPid}-${deadStart}.0`,
      reusedPid: `spare.${process.pid}-${Number(liveStart) - 1}.0`, // this pid, another start time: an earlier process
      liveSpare: `spare.${process.pid}-${liveStart}.3`,
      noStartTime: `spare.${process.pid}-.4`, // written where /proc could not be read
      deadTemp: `job-9.lock.${deadPid}.tmp`,
      liveTemp: `job-8.lock.${process.pid}.tmp`,
      deadProbe: `direct-probe.${deadPid}.tmp`,
      liveProbe: `direct-probe.${process.pid}.tmp`,
      lock: 'job-7.lock',
      data: 'job-7.data.part',
    };
    for (const name of Object.values(names)) writeFileSync(path.join(dir, name), 'x');

    const removed = sweepDeadSpares(dir);

    assert.deepEqual(removed.sort(), [names.deadSpare, names.deadTemp, names.deadProbe, names.noStartTime, names.reusedPid].sort());
    assert.deepEqual(readdirSync(dir).sort(), [names.data, names.liveSpare, names.liveTemp, names.liveProbe, names.lock].sort());
    assert.deepEqual(sweepDeadSpares(path.join(dir, 'missing')), [], 'no partial folder yet: nothing to sweep');
  });
});
