/**
 * Compiles mediad once per benchmark into a private folder (tsc with the repository's build config and
 * `--outDir`), next to a copy of config/ and package.json and a link to node_modules, so the compiled
 * daemon finds its defaults and dependencies exactly as it would from dist/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { privateBuildRoot, repoRoot } from './daemon.ts';

export interface BuildResult {
  /** Type errors tsc reported (the JavaScript is emitted anyway). */
  readonly typeErrors: readonly string[];
}

export async function buildPrivateCopy(): Promise<BuildResult> {
  await rm(privateBuildRoot, { recursive: true, force: true });
  await mkdir(privateBuildRoot, { recursive: true });
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(repoRoot, 'tsconfig.build.json'), '--outDir', path.join(privateBuildRoot, 'dist')], { cwd: repoRoot, encoding: 'utf8' });
  const main = path.join(privateBuildRoot, 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`tsc produced no ${main}:\n${result.stdout}\n${result.stderr}`);
  // config.ts looks for config/ two levels above dist/src/config.js; ESM resolution needs package.json ("type": "module") and node_modules above dist/
  await cp(path.join(repoRoot, 'config'), path.join(privateBuildRoot, 'config'), { recursive: true });
  await cp(path.join(repoRoot, 'package.json'), path.join(privateBuildRoot, 'package.json'));
  await symlink(path.join(repoRoot, 'node_modules'), path.join(privateBuildRoot, 'node_modules'));
  const typeErrors = `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.includes('error TS'));
  return { typeErrors };
}
