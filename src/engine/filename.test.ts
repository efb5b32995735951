import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chooseFilename, filenameFromContentDisposition, isSafeRelativeFilename, numberedName, sanitizeFilename, truncateToBytes } from './filename.ts';

describe('sanitizeFilename', () => {
  const cases: [string, string][] = [
    ['movie.mp4', 'movie.mp4'],
    ['a/b\\c.mp4', 'a_b_c.mp4'],
    ['bad\u0000\u001fname.txt', 'bad name.txt'],
    ['gpj\u202e.exe', 'gpj .exe'],
    ['name. . .', 'name'],
    ['what?*:<>|".bin', 'what_______.bin'],
    ['CON', '_CON'],
    ['nul.txt', '_nul.txt'],
    ['  .hidden. ', 'hidden'],
    ['...', 'download'],
    ['', 'download'],
  ];
  for (const [input, expected] of cases) it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => assert.equal(sanitizeFilename(input), expected));
  it('keeps names within 200 bytes of UTF-8 and keeps the extension', () => {
    const name = sanitizeFilename('é'.repeat(300) + '.mkv');
    assert.ok(Buffer.byteLength(name) <= 200);
    assert.ok(name.endsWith('.mkv'));
  });
});

describe('truncateToBytes', () => {
  it('cuts between characters, never inside a multi-byte one', () => {
    assert.equal(truncateToBytes('ééé', 5), 'éé');
    assert.equal(truncateToBytes('abc', 10), 'abc');
  });
  it('keeps the extension when cutting an over-long name', () => {
    const name = sanitizeFilename(`${'a'.repeat(300)}.mkv`);
    assert.equal(Buffer.byteLength(name), 200);
    assert.ok(name.endsWith('a.mkv'));
  });
});

describe('filenameFromContentDisposition', () => {
  const cases: [string | undefined, string | undefined][] = [
    [undefined, undefined],
    ['attachment; filename="report.pdf"', 'report.pdf'],
    ['attachment; filename=plain.bin', 'plain.bin'],
    [`attachment; filename="fallback.txt"; filename*=UTF-8''na%C3%AFve.txt`, 'naïve.txt'],
    ['inline', undefined],
    ['attachment; filename="a \\"b\\".mp4"', 'a "b".mp4'],
    ["attachment; filename*=utf-8''%E6%97%A5%E6%9C%AC.mp4", '日本.mp4'],
    [null as unknown as undefined, undefined],
  ];
  for (const [header, expected] of cases) it(`reads ${header}`, () => assert.equal(filenameFromContentDisposition(header), expected));
});

describe('chooseFilename', () => {
  it('prefers the requested name, then Content-Disposition, then the URL path', () => {
    assert.equal(chooseFilename({ requested: 'mine.bin', contentDisposition: 'attachment; filename="cd.bin"', url: 'http://h/u.bin' }), 'mine.bin');
    assert.equal(chooseFilename({ contentDisposition: 'attachment; filename="cd.bin"', url: 'http://h/u.bin' }), 'cd.bin');
    assert.equal(chooseFilename({ url: 'http://h/dir/u%20x.bin?x=1' }), 'u x.bin');
    assert.equal(chooseFilename({ url: 'http://h/' }), 'download');
  });
  it('never lets the server choose a folder', () => {
    assert.equal(chooseFilename({ contentDisposition: 'attachment; filename="../../etc/passwd"', url: 'http://h/x' }), 'passwd');
  });
  it('keeps sub-folders of a requested name', () => assert.equal(chooseFilename({ requested: 'shows/ep1.mkv', url: 'http://h/x' }), 'shows/ep1.mkv'));
});

describe('numberedName', () => {
  it('numbers before the extension', () => {
    assert.equal(numberedName('a.mp4', 0), 'a.mp4');
    assert.equal(numberedName('a.mp4', 1), 'a (1).mp4');
    assert.equal(numberedName('README', 2), 'README (2)');
  });
});

describe('isSafeRelativeFilename', () => {
  const cases: [string, boolean][] = [
    ['a.mp4', true],
    ['shows/a.mp4', true],
    ['/etc/passwd', false],
    ['../a.mp4', false],
    ['shows/../../a', false],
    ['C:\\x', false],
    ['a\\..\\b', false],
    ['', false],
    ['a/', false],
    ['bad\u0000', false],
  ];
  for (const [name, safe] of cases) it(`${JSON.stringify(name)} is ${safe ? 'safe' : 'refused'}`, () => assert.equal(isSafeRelativeFilename(name), safe));
});
