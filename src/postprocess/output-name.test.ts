import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { DEFAULT_OUTPUT_TEMPLATE, renderOutputName, validateOutputTemplate } from './output-name.ts';

const bytes = (value: string): number => Buffer.byteLength(value, 'utf8');
const render = (title: string, extra: { id?: string; ext?: string } = {}): string =>
  renderOutputName(DEFAULT_OUTPUT_TEMPLATE, { title, id: extra.id ?? 'dQw4w9WgXcQ', ext: extra.ext ?? 'mp4' });

describe('renderOutputName', () => {
  const cases: [string, string][] = [
    ['Plain title', 'Plain title [dQw4w9WgXcQ].mp4'],
    ['AC/DC: Live? <"Best"> *of* | \\ all', 'AC_DC_ Live_ __Best__ _of_ _ _ all [dQw4w9WgXcQ].mp4'],
    ['tab\there\nnew\u0000line\u007f', 'tab here new line [dQw4w9WgXcQ].mp4'],
    ['evil\u202Egpj.exe', 'evil gpj.exe [dQw4w9WgXcQ].mp4'],
    ['   spaced    out   ', 'spaced out [dQw4w9WgXcQ].mp4'],
    ['', 'untitled [dQw4w9WgXcQ].mp4'],
    ['...hidden', 'hidden [dQw4w9WgXcQ].mp4'],
    ['Cafe\u0301', 'Café [dQw4w9WgXcQ].mp4'],
  ];
  for (const [title, expected] of cases) {
    it(`renders ${JSON.stringify(title)} as ${JSON.stringify(expected)}`, () => {
      assert.equal(render(title), expected);
    });
  }

  it('never lets a title add a path separator', () => {
    const name = render('../../etc/passwd');
    assert.ok(!name.includes('/') && !name.includes('\\'), name);
    assert.equal(name, '_.._etc_passwd [dQw4w9WgXcQ].mp4');
  });

  it('prefixes Windows device names, with or without an extension', () => {
    const template = '{title}.{ext}';
    assert.equal(renderOutputName(template, { title: 'CON', id: 'x', ext: 'mp4' }), '_CON.mp4');
    assert.equal(renderOutputName(template, { title: 'nul', id: 'x', ext: 'tar.gz' }), '_nul.tar.gz');
    assert.equal(renderOutputName(template, { title: 'com1', id: 'x', ext: 'mkv' }), '_com1.mkv');
    assert.equal(renderOutputName(template, { title: 'CONSOLE', id: 'x', ext: 'mkv' }), 'CONSOLE.mkv');
  });

  it('shortens a long title so the name fits in 200 bytes and keeps id and extension', () => {
    const name = render('日本語のタイトル'.repeat(40));
    assert.ok(bytes(name) <= 200, `${bytes(name)} bytes`);
    assert.ok(name.endsWith(' [dQw4w9WgXcQ].mp4'), name);
    assert.equal(Buffer.from(name, 'utf8').toString('utf8'), name, 'no character was cut in half');
  });

  it('does not split an emoji sequence when shortening', () => {
    const family = '👨‍👩‍👧‍👦';
    const name = render(family.repeat(30));
    assert.ok(bytes(name) <= 200);
    const title = name.slice(0, name.indexOf(' ['));
    assert.equal(title.length % family.length, 0, 'only whole family emoji remain');
  });

  it('fills in {uploader} and refuses unknown tokens', () => {
    assert.equal(renderOutputName('{uploader} - {title}.{ext}', { title: 't', id: 'i', ext: 'webm', uploader: 'Some/One' }), 'Some_One - t.webm');
    assert.throws(() => renderOutputName('{title} {date}.{ext}', { title: 't', id: 'i', ext: 'mp4' }), { code: 'MEDIAD_ERR_CONFIG' });
  });
});

describe('validateOutputTemplate', () => {
  it('accepts the default template', () => assert.equal(validateOutputTemplate(DEFAULT_OUTPUT_TEMPLATE), undefined));
  it('requires the name to end with .{ext}', () => assert.match(validateOutputTemplate('{title} [{id}]')?.message ?? '', /\.\{ext\}/));
  it('refuses folders in the template', () => assert.match(validateOutputTemplate('{uploader}/{title}.{ext}')?.message ?? '', /folder/));
});
