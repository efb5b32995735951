/**
 * Pure check of a post-processed file: does it have the streams the job asked
 * for, and does it last as long as the source said?
 */
import { MediadError } from '../errors.ts';
import type { ProbeResult } from './ffprobe.ts';

/** Allowed relative duration difference: remuxing keeps timestamps, so 2 % covers codec padding. */
export const DURATION_TOLERANCE_RATIO = 0.02;
// AAC/Opus priming and the last video frame add up to ~0.1 s, which is more than 2 % of a very short clip.
const MIN_DURATION_TOLERANCE_SECONDS = 0.15;

/** What the processed file must contain. */
export interface OutputExpectation {
  readonly video: boolean;
  readonly audio: boolean;
  /** The source's duration (resolver metadata); skipped when unknown. */
  readonly durationSeconds?: number | undefined;
}

/** Undefined when the output matches, otherwise OUTPUT_INVALID naming what is wrong. */
export function verifyOutput(probe: ProbeResult, expected: OutputExpectation): MediadError | undefined {
  const has = (type: string): boolean => probe.streams.some((stream) => stream.type === type);
  const problems: string[] = [];
  if (expected.video && !has('video')) problems.push('no video stream');
  if (!expected.video && has('video')) problems.push('an unexpected video stream');
  if (expected.audio && !has('audio')) problems.push('no audio stream');

  const source = expected.durationSeconds;
  if (source !== undefined && source > 0) {
    const actual = probe.durationSeconds;
    const tolerance = Math.max(source * DURATION_TOLERANCE_RATIO, MIN_DURATION_TOLERANCE_SECONDS);
    if (actual === undefined) problems.push('no duration');
    else if (Math.abs(actual - source) > tolerance) {
      problems.push(`duration ${actual.toFixed(2)} s instead of ${source.toFixed(2)} s (±${tolerance.toFixed(2)} s)`);
    }
  }
  if (problems.length === 0) return undefined;
  return new MediadError('MEDIAD_ERR_OUTPUT_INVALID', `The processed file has ${problems.join(', ')}`);
}
