import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

/** The node flags before the daemon's entry in one way of starting it. */
function flagsBefore(entry: RegExp, text: string): string {
  const match = entry.exec(text);
  assert.ok(match, `no start command matching ${entry} in ${text.slice(0, 80)}…`);
  return (match[1] as string).trim();
}

describe('every way of starting mediad runs node with the same flags', () => {
  it('npm start, the Docker image and the systemd unit agree', () => {
    const npmStart = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start;
    const fromNpm = flagsBefore(/^node((?: --[a-z-]+=\S+)*) dist\/src\/main\.js$/, npmStart);
    assert.match(fromNpm, /--max-semi-space-size=4/, 'the supervisor runs with a smaller young generation (memory budget)');
    const docker = flagsBefore(/^CMD \["node",((?: "--[a-z-]+=[^"]+",)*) "dist\/src\/main\.js"\]$/m, read('Dockerfile')).replace(/"|,/g, '').trim();
    const systemd = flagsBefore(/^ExecStart=\/usr\/bin\/node((?: --[a-z-]+=\S+)*) \/opt\/mediad\/dist\/src\/main\.js$/m, read('deploy/mediad.service'));
    assert.equal(docker, fromNpm);
    assert.equal(systemd, fromNpm);
  });
});
