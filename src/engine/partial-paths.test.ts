import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileJobPartial, inDir, partialFile, partialJobDir } from './partial-paths.ts';

describe('inDir', () => {
  const cases: [string, string, string][] = [
    ['/srv/media', 'a.lock', '/srv/media/a.lock'],
    ['/srv/media/', 'a.lock', '/srv/media/a.lock'],
    ['/', 'a.lock', '/a.lock'],
    ['/srv/media/.mediad-partial', 'spare.12-34.0', '/srv/media/.mediad-partial/spare.12-34.0'],
  ];
  for (const [dir, name, expected] of cases) {
    it(`${dir} + ${name} → ${expected}, as path.join answers`, () => {
      assert.equal(inDir(dir, name), expected);
      assert.equal(inDir(dir, name), path.join(dir, name));
    });
  }
});

describe('a file job\'s partial paths', () => {
  it('sit flat in the shared partial folder, named after the job, as path.join would name them', () => {
    const downloadDir = '/srv/media-that-does-not-exist';
    const files = fileJobPartial(downloadDir, 'job-1');
    assert.equal(partialFile(files, 'data'), path.join(downloadDir, '.mediad-partial', 'job-1.data.part'));
    assert.equal(partialFile(files, 'lock'), path.join(downloadDir, '.mediad-partial', 'job-1.lock'));
    assert.equal(partialJobDir(downloadDir, 'job-1'), path.join(downloadDir, '.mediad-partial', 'job-1'));
  });
});
