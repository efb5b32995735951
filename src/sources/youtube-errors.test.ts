import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ErrorCode } from '../errors.ts';
import { classifyPlayability, raceAbort, toResolveError, type Playability } from './youtube-errors.ts';
import { MediadError } from '../errors.ts';

describe('classifyPlayability', () => {
  const cases: [string, Playability, ErrorCode | undefined][] = [
    ['a playable video', { status: 'OK' }, undefined],
    ['a finished broadcast (isLiveContent only) is a normal video', { status: 'OK', isLiveContent: true }, undefined],
    ['no verdict at all', {}, undefined],
    ['a private video', { status: 'LOGIN_REQUIRED', reason: 'This video is private' }, 'MEDIAD_ERR_VIDEO_PRIVATE'],
    ['yt-dlp\'s private message', { reason: "ERROR: [youtube] abc: Private video. Sign in if you've been granted access to this video" }, 'MEDIAD_ERR_VIDEO_PRIVATE'],
    ['a members-only video', { status: 'UNPLAYABLE', reason: 'Join this channel to get access to members-only content like this video, and other exclusive perks.' }, 'MEDIAD_ERR_VIDEO_MEMBERS_ONLY'],
    ['an age gate', { status: 'LOGIN_REQUIRED', reason: 'Sign in to confirm your age', subreason: 'This video may be inappropriate for some users.' }, 'MEDIAD_ERR_VIDEO_AGE_RESTRICTED'],
    ['an age-check status without text', { status: 'AGE_CHECK_REQUIRED' }, 'MEDIAD_ERR_VIDEO_AGE_RESTRICTED'],
    ['a removed video', { status: 'ERROR', reason: 'Video unavailable' }, 'MEDIAD_ERR_VIDEO_UNAVAILABLE'],
    ['"page" does not read as an age gate', { status: 'UNPLAYABLE', reason: 'This video is not available on this page' }, 'MEDIAD_ERR_VIDEO_UNAVAILABLE'],
    ['an unknown failure status', { status: 'SOMETHING_NEW' }, 'MEDIAD_ERR_VIDEO_UNAVAILABLE'],
    ['a live broadcast', { status: 'OK', isLive: true }, 'MEDIAD_ERR_VIDEO_LIVE'],
    ['an offline live stream', { status: 'LIVE_STREAM_OFFLINE', reason: 'This live event will begin in 3 hours.' }, 'MEDIAD_ERR_VIDEO_LIVE'],
    ['an upcoming stream', { status: 'OK', isUpcoming: true, isLiveContent: true }, 'MEDIAD_ERR_VIDEO_LIVE'],
    ['the bot check is retryable, not a verdict on the video', { status: 'LOGIN_REQUIRED', reason: "Sign in to confirm you're not a bot" }, 'MEDIAD_ERR_RESOLVE_FAILED'],
  ];
  for (const [name, playability, code] of cases) {
    it(`maps ${name} to ${code ?? 'no error'}`, () => {
      const error = classifyPlayability(playability);
      assert.equal(error?.code, code);
      if (error && playability.reason) assert.match(error.message, new RegExp(playability.reason.slice(0, 10).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    });
  }
});

describe('toResolveError', () => {
  it('passes catalog errors through unchanged', () => {
    const original = new MediadError('MEDIAD_ERR_VIDEO_PRIVATE');
    assert.equal(toResolveError(original, new AbortController().signal, 'x'), original);
  });
  it('turns an unknown failure into a retryable RESOLVE_FAILED that keeps the cause', () => {
    const cause = new TypeError('fetch failed');
    const error = toResolveError(cause, new AbortController().signal, 'YouTube video abc');
    assert.equal(error.code, 'MEDIAD_ERR_RESOLVE_FAILED');
    assert.equal(error.retryable, true);
    assert.equal(error.cause, cause);
    assert.match(error.message, /YouTube video abc: fetch failed/);
  });
  it('reports CANCELED when the signal was aborted', () => {
    const controller = new AbortController();
    controller.abort();
    assert.equal(toResolveError(new Error('aborted'), controller.signal, 'x').code, 'MEDIAD_ERR_CANCELED');
  });
});

describe('raceAbort', () => {
  it('rejects as soon as the signal aborts, without waiting for the work', async () => {
    const controller = new AbortController();
    const never = new Promise<never>(() => {});
    const raced = raceAbort(never, controller.signal);
    controller.abort(new Error('stop'));
    await assert.rejects(raced, /stop/);
  });
  it('resolves with the work when it finishes first', async () => {
    assert.equal(await raceAbort(Promise.resolve(7), new AbortController().signal), 7);
  });
});
