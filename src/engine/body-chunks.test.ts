import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { eachChunk } from './body-chunks.ts';

const chunk = (fill: number, size = 4) => Buffer.alloc(size, fill);

describe('eachChunk', () => {
  it('hands over the very buffers the body queued, unjoined, in order', async () => {
    const body = new PassThrough();
    const sent = [chunk(1), chunk(2), chunk(3), chunk(4)];
    for (const buffer of sent) body.write(buffer); // queued before anyone reads: read() would join them
    body.end();
    const seen: Buffer[] = [];
    await eachChunk(body, (buffer) => {
      seen.push(buffer);
      return true;
    });
    assert.equal(seen.length, sent.length);
    assert.deepEqual(Buffer.concat(seen), Buffer.concat(sent));
  });

  it('pauses the body while a take is pending: never two at once, order kept', async () => {
    const body = new PassThrough();
    for (let fill = 0; fill < 20; fill++) body.write(chunk(fill));
    body.end();
    let running = 0;
    let most = 0;
    const order: number[] = [];
    await eachChunk(body, async (buffer) => {
      running++;
      most = Math.max(most, running);
      await sleep(1);
      order.push(buffer[0] as number);
      running--;
      return true;
    });
    assert.equal(most, 1);
    assert.deepEqual(order, Array.from({ length: 20 }, (_, fill) => fill));
  });

  it('stops and destroys the body when take answers false', async () => {
    const body = new PassThrough();
    for (let fill = 0; fill < 5; fill++) body.write(chunk(fill));
    let calls = 0;
    await eachChunk(body, () => ++calls < 2);
    assert.equal(calls, 2);
    await new Promise(setImmediate); // a turn later, so a response that just ended can keep its connection
    assert.equal(body.destroyed, true);
  });

  it('stops after a pending take answers false', async () => {
    const body = new PassThrough();
    for (let fill = 0; fill < 5; fill++) body.write(chunk(fill));
    let calls = 0;
    await eachChunk(body, async () => ++calls < 3);
    assert.equal(calls, 3);
    await new Promise(setImmediate);
    assert.equal(body.destroyed, true);
  });

  it('delivers a body error only after the pending take settled', async () => {
    const body = new PassThrough();
    body.write(chunk(1));
    let writeFinished = false;
    const reading = eachChunk(body, async () => {
      body.destroy(new Error('connection reset'));
      await sleep(20);
      writeFinished = true;
      return true;
    });
    await assert.rejects(reading, /connection reset/);
    assert.equal(writeFinished, true);
  });

  it('rejects when the body closes before its end', async () => {
    const body = new PassThrough();
    body.write(chunk(1));
    const reading = eachChunk(body, () => true);
    setImmediate(() => body.destroy());
    await assert.rejects(reading, /closed before its end/);
  });

  it('passes on what take throws or rejects with', async () => {
    const thrower = new PassThrough();
    thrower.end(chunk(1));
    await assert.rejects(eachChunk(thrower, () => {
      throw new Error('disk full');
    }), /disk full/);
    const rejecter = new PassThrough();
    rejecter.end(chunk(1));
    await assert.rejects(eachChunk(rejecter, () => Promise.reject(new Error('write failed'))), /write failed/);
  });
});
