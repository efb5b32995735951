/**
 * Reads the V8 CPU profiles (`node --cpu-prof`) of one daemon run and names
 * where the time went: self time per function, total time of mediad's own
 * functions, and the split between mediad, its dependencies and Node itself.
 * Locations in dist/ are mapped back to src/*.ts through the build's source maps.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixed } from './report-model.ts';
import { privateBuildRoot, repoRoot } from './daemon.ts';
import type { ProfileWindow } from './measure.ts';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  /** µs on CLOCK_MONOTONIC, like process.hrtime. */
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

interface FunctionTime {
  readonly name: string;
  readonly where: string;
  readonly category: string;
  selfMs: number;
  totalMs: number;
}

export interface RoleProfile {
  readonly role: string;
  readonly files: number;
  /** Sampled time without (idle). */
  readonly busyMs: number;
  readonly byCategory: ReadonlyMap<string, number>;
  readonly functions: readonly FunctionTime[];
}

const pseudoFrames = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

function categoryOf(frame: CallFrame): string {
  if (pseudoFrames.has(frame.functionName)) return frame.functionName;
  const { url } = frame;
  if (url === '' || url.startsWith('node:')) return 'node/V8';
  const inModules = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inModules) return inModules[1] as string;
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const roots = [path.join(repoRoot, 'src'), path.join(repoRoot, 'dist', 'src'), path.join(privateBuildRoot, 'dist', 'src')];
  if (roots.some((root) => file.startsWith(root + path.sep))) return 'mediad';
  return 'other';
}

const sourceMaps = new Map<string, { sources: string[]; lines: number[][][] } | null>();

/** Decodes a source map's `mappings` into, per generated line, segments [column, sourceIndex, sourceLine]. */
function loadSourceMap(jsFile: string): { sources: string[]; lines: number[][][] } | null {
  if (sourceMaps.has(jsFile)) return sourceMaps.get(jsFile) ?? null;
  let decoded: { sources: string[]; lines: number[][][] } | null = null;
  try {
    const map = JSON.parse(readFileSync(`${jsFile}.map`, 'utf8')) as { sources: string[]; mappings: string };
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    let sourceIndex = 0;
    let sourceLine = 0;
    const lines = map.mappings.split(';').map((line) => {
      let column = 0;
      return line.split(',').filter(Boolean).map((segment) => {
        const values: number[] = [];
        let value = 0;
        let shift = 0;
        for (const char of segment) {
          const digit = alphabet.indexOf(char);
          value += (digit & 31) << shift;
          if (digit & 32) {
            shift += 5;
          } else {
            values.push(value & 1 ? -(value >>> 1) : value >>> 1);
            value = 0;
            shift = 0;
          }
        }
        column += values[0] ?? 0;
        if (values.length >= 4) {
          sourceIndex += values[1] as number;
          sourceLine += values[2] as number;
        }
        return [column, sourceIndex, sourceLine];
      });
    });
    decoded = { sources: map.sources.map((source) => path.resolve(path.dirname(jsFile), source)), lines };
  } catch {
    decoded = null;
  }
  sourceMaps.set(jsFile, decoded);
  return decoded;
}

/** `/any/where/src/engine/x.ts` → `src/engine/x.ts` (the private build's maps point next to it, not into the repository). */
function fromSrc(file: string): string {
  const at = file.lastIndexOf(`${path.sep}src${path.sep}`);
  return at === -1 ? path.relative(repoRoot, file) : file.slice(at + 1);
}

function locationOf(frame: CallFrame, category: string): string {
  if (frame.url === '') return '(native)';
  const file = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  const line = frame.lineNumber + 1;
  if (category === 'mediad') {
    const map = file.endsWith('.js') ? loadSourceMap(file) : null;
    const segments = map?.lines[frame.lineNumber] ?? [];
    const segment = [...segments].reverse().find((candidate) => (candidate[0] as number) <= frame.columnNumber) ?? segments[0];
    if (map && segment) return `${fromSrc(map.sources[segment[1] as number] ?? file)}:${(segment[2] as number) + 1}`;
    return `${fromSrc(file)}:${line}`;
  }
  const inModules = /\/node_modules\/(.+)$/.exec(file);
  return `${inModules ? inModules[1] : file}:${line}`;
}

function addProfile(profile: CpuProfile, window: ProfileWindow, functions: Map<string, FunctionTime>, byCategory: Map<string, number>): void {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfMs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (at >= window.startUs && at <= window.endUs) selfMs.set(id, (selfMs.get(id) ?? 0) + delta / 1000);
  });
  const keyOf = new Map<number, string>();
  for (const node of profile.nodes) {
    const category = categoryOf(node.callFrame);
    const where = locationOf(node.callFrame, category);
    const name = node.callFrame.functionName || '(anonymous)';
    const key = `${name} ${where}`;
    keyOf.set(node.id, key);
    if (!functions.has(key)) functions.set(key, { name, where, category, selfMs: 0, totalMs: 0 });
  }
  for (const [id, ms] of selfMs) {
    const node = nodes.get(id);
    if (!node || ms <= 0) continue;
    const category = categoryOf(node.callFrame);
    byCategory.set(category, (byCategory.get(category) ?? 0) + ms);
    functions.get(keyOf.get(id) as string)!.selfMs += ms;
    if (category === '(idle)') continue;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = keyOf.get(at) as string;
      if (seen.has(key)) continue;
      seen.add(key);
      functions.get(key)!.totalMs += ms;
    }
  }
}

/** Profiles in `dir`, only samples inside `window` (start-up and shutdown cut out), grouped into the supervisor (pid `supervisorPid`) and the workers. */
export function summarizeProfiles(dir: string, supervisorPid: number, window: ProfileWindow): RoleProfile[] {
  const roles = new Map<string, { files: number; functions: Map<string, FunctionTime>; byCategory: Map<string, number> }>();
  let entries: string[] = [];
  try {
    entries = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
  } catch {
    return [];
  }
  for (const name of entries) {
    const pid = Number(/^CPU\.[0-9]+\.[0-9]+\.([0-9]+)\./.exec(name)?.[1]);
    const role = pid === supervisorPid ? 'supervisor' : 'workers';
    const bucket = roles.get(role) ?? { files: 0, functions: new Map(), byCategory: new Map() };
    roles.set(role, bucket);
    bucket.files++;
    addProfile(JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as CpuProfile, window, bucket.functions, bucket.byCategory);
  }
  return [...roles].map(([role, bucket]) => {
    const busyMs = [...bucket.byCategory].filter(([category]) => category !== '(idle)').reduce((sum, [, ms]) => sum + ms, 0);
    return { role, files: bucket.files, busyMs, byCategory: bucket.byCategory, functions: [...bucket.functions.values()] };
  });
}

/** Markdown: per role, the split by category and the hottest functions. */
export function renderProfiles(profiles: readonly RoleProfile[], topN = 12): string[] {
  const lines: string[] = [];
  for (const profile of profiles) {
    const percent = (ms: number) => `${fixed((100 * ms) / Math.max(profile.busyMs, 1), 1)} %`;
    const sorted = [...profile.byCategory].filter(([category]) => category !== '(idle)').sort((a, b) => b[1] - a[1]);
    const rest = sorted.slice(8).reduce((sum, [, ms]) => sum + ms, 0);
    const categories = [...sorted.slice(0, 8).map(([category, ms]) => `${category} ${percent(ms)}`), ...(rest > 0 ? [`${sorted.length - 8} more packages ${percent(rest)}`] : [])].join(', ');
    lines.push(`**${profile.role}** (${profile.files} process${profile.files === 1 ? '' : 'es'}, ${fixed(profile.busyMs / 1000)} s on CPU in the measured interval): ${categories}.`, '');
    lines.push('| self | function | where |', '|---:|---|---|');
    for (const fn of [...profile.functions].filter((fn) => fn.category !== '(idle)').sort((a, b) => b.selfMs - a.selfMs).slice(0, topN)) {
      lines.push(`| ${percent(fn.selfMs)} | \`${fn.name}\` | ${fn.category === 'mediad' ? '**' : ''}${fn.where}${fn.category === 'mediad' ? '**' : ''} |`);
    }
    const own = profile.functions.filter((fn) => fn.category === 'mediad' && fn.totalMs > 0).sort((a, b) => b.totalMs - a.totalMs).slice(0, 8);
    if (own.length > 0) {
      lines.push('', `mediad's own functions by total time (with callees): ${own.map((fn) => `\`${fn.name}\` (${fn.where}) ${percent(fn.totalMs)} total / ${percent(fn.selfMs)} self`).join('; ')}.`);
    }
    lines.push('');
  }
  return lines;
}
