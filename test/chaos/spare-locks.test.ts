/**
 * Workers keep finished lock files as spares (see src/engine/spare-files.ts). After a kill -9 of the whole daemon
 * those spares, and a lock takeover's temp file, belong to processes that are gone: the next start must remove
 * them before its workers run, and downloads must go on byte-identical with the spares of the new workers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startDaemon, type Daemon } from '../helpers/daemon.ts';
import { randomBytesSeeded, sha256, sha256File, startOrigin, type Origin } from '../helpers/origin.ts';

const smallFiles = 12;

describe('spare lock files across a kill -9 of the whole daemon', () => {
  let daemon: Daemon;
  let origin: Origin;
  before(async () => {
    origin = await startOrigin();
    daemon = await startDaemon({ workers: 2, env: { MEDIAD_JOBS_PER_WORKER: '2' } });
  });
  after(async () => {
    await daemon?.cleanup();
    await origin?.close();
  });

  const downloadAll = async (round: string) => {
    const expected = new Map<string, string>();
    const ids: string[] = [];
    for (let i = 0; i < smallFiles; i++) {
      const data = randomBytesSeeded(16 * 1024, round.length * 100 + i);
      origin.setFile(`/${round}-${i}.bin`, data);
      const response = await daemon.api('POST', '/v1/downloads', { url: origin.url(`/${round}-${i}.bin`), filename: `${round}/${i}.bin` });
      assert.equal(response.status, 201);
      ids.push(response.body.id);
      expected.set(response.body.id, sha256(data));
    }
    for (const id of ids) {
      const job = await daemon.waitForState(id, 'completed', 30_000);
      assert.equal(await sha256File(job.file.path), expected.get(id), `bytes of ${job.file.name}`);
    }
  };
  const spares = async () => (await readdir(path.join(daemon.downloadDir, '.mediad-partial'))).filter((name) => name.startsWith('spare.'));
  const pidOf = (spare: string) => Number(/^spare\.(\d+)-/.exec(spare)?.[1]);

  it('removes the dead workers\' spares and temp lock files at the next start, and downloads go on', async () => {
    await downloadAll('before');
    const old = await spares();
    assert.ok(old.length > 0, 'finished small files left spare lock files to reuse');
    const oldWorkers = (await daemon.api('GET', '/v1/health')).body.workers.pids as number[];
    assert.ok(old.every((spare) => oldWorkers.includes(pidOf(spare))), `spares belong to the workers ${oldWorkers.join(', ')}: ${old.join(', ')}`);
    const staleTemp = `00000000-0000-0000-0000-000000000000.lock.${oldWorkers[0]}.tmp`; // a takeover cut short by the kill
    await writeFile(path.join(daemon.downloadDir, '.mediad-partial', staleTemp), '{"pid":1}');

    await daemon.killTree();
    await daemon.restart();

    const left = await readdir(path.join(daemon.downloadDir, '.mediad-partial'));
    assert.deepEqual(left.filter((name) => old.includes(name) || name === staleTemp), [], 'nothing of the dead workers is left');
    await downloadAll('after');
    const newWorkers = (await daemon.api('GET', '/v1/health')).body.workers.pids as number[];
    const now = await spares();
    assert.ok(now.length > 0 && now.every((spare) => newWorkers.includes(pidOf(spare))), `only the new workers' spares: ${now.join(', ')}`);
  });
});
