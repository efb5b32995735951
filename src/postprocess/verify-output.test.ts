import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ProbeResult } from './ffprobe.ts';
import { verifyOutput } from './verify-output.ts';

const videoAndAudio = (durationSeconds?: number): ProbeResult => ({
  streams: [
    { index: 0, type: 'video', codec: 'h264' },
    { index: 1, type: 'audio', codec: 'aac' },
  ],
  ...(durationSeconds === undefined ? {} : { durationSeconds }),
});
const audioOnly = (durationSeconds: number): ProbeResult => ({ streams: [{ index: 0, type: 'audio', codec: 'opus' }], durationSeconds });

describe('verifyOutput', () => {
  const cases: { name: string; probe: ProbeResult; expected: Parameters<typeof verifyOutput>[1]; problem?: RegExp }[] = [
    { name: 'accepts a merged file of the source length', probe: videoAndAudio(600), expected: { video: true, audio: true, durationSeconds: 600 } },
    { name: 'accepts 1.9 % shorter than the source', probe: videoAndAudio(588.6), expected: { video: true, audio: true, durationSeconds: 600 } },
    { name: 'rejects 2.1 % shorter than the source', probe: videoAndAudio(587.4), expected: { video: true, audio: true, durationSeconds: 600 }, problem: /duration 587\.40 s instead of 600\.00 s/ },
    { name: 'rejects a file longer than the source by more than 2 %', probe: videoAndAudio(613), expected: { video: true, audio: true, durationSeconds: 600 }, problem: /duration/ },
    { name: 'allows codec padding of a tenth of a second on a 3 s clip', probe: videoAndAudio(3.1), expected: { video: true, audio: true, durationSeconds: 3 } },
    { name: 'rejects a merge that lost its audio', probe: { streams: [{ index: 0, type: 'video' }], durationSeconds: 10 }, expected: { video: true, audio: true, durationSeconds: 10 }, problem: /no audio stream/ },
    { name: 'rejects an audio job whose output still carries video', probe: videoAndAudio(10), expected: { video: false, audio: true, durationSeconds: 10 }, problem: /unexpected video stream/ },
    { name: 'accepts an audio-only output', probe: audioOnly(10), expected: { video: false, audio: true, durationSeconds: 10 } },
    { name: 'skips the duration check when the source length is unknown', probe: videoAndAudio(), expected: { video: true, audio: true } },
    { name: 'rejects an output with no duration when the source has one', probe: videoAndAudio(), expected: { video: true, audio: true, durationSeconds: 10 }, problem: /no duration/ },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const error = verifyOutput(testCase.probe, testCase.expected);
      if (testCase.problem === undefined) {
        assert.equal(error, undefined);
      } else {
        assert.equal(error?.code, 'MEDIAD_ERR_OUTPUT_INVALID');
        assert.match(error.message, testCase.problem);
      }
    });
  }
});
