import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isYoutubeUrl, parseYoutubeVideoId } from './youtube-url.ts';

describe('parseYoutubeVideoId', () => {
  const ids: [string, string | undefined][] = [
    ['https://www.youtube.com/watch?v=dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
    ['https://youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=42', 'dQw4w9WgXcQ'],
    ['https://m.youtube.com/watch?v=dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
    ['https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=RD', 'dQw4w9WgXcQ'],
    ['https://youtu.be/dQw4w9WgXcQ?si=abc', 'dQw4w9WgXcQ'],
    ['https://www.youtube.com/shorts/dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
    ['https://www.youtube.com/live/dQw4w9WgXcQ?feature=shared', 'dQw4w9WgXcQ'],
    ['https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
    ['https://www.youtube.com/watch?v=tooShort', undefined],
    ['https://www.youtube.com/watch?v=dQw4w9WgXcQ!', undefined],
    ['https://www.youtube.com/@channel', undefined],
    ['https://www.youtube.com/playlist?list=PL123', undefined],
    ['https://notyoutube.com/watch?v=dQw4w9WgXcQ', undefined],
    ['ftp://www.youtube.com/watch?v=dQw4w9WgXcQ', undefined],
  ];
  for (const [url, id] of ids) {
    it(`reads ${id ?? 'no id'} from ${url}`, () => assert.equal(parseYoutubeVideoId(new URL(url)), id));
  }
});

describe('isYoutubeUrl', () => {
  it('knows YouTube hosts and nothing else', () => {
    assert.equal(isYoutubeUrl(new URL('https://youtu.be/x')), true);
    assert.equal(isYoutubeUrl(new URL('https://WWW.YouTube.com/')), true);
    assert.equal(isYoutubeUrl(new URL('https://youtube.com.evil.test/watch?v=dQw4w9WgXcQ')), false);
  });
});
