/** Command-line flags of `npm run bench` and the workload sizes they imply (full or --quick). */
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export type WorkloadNumber = 1 | 2 | 3 | 4 | 5;
export type ProfileMode = 'auto' | 'all' | 'none';

export interface Sizes {
  /** Workload 1: capped CDN. */
  readonly cdnFiles: number;
  readonly cdnFileBytes: number;
  readonly cdnCapBytesPerSecond: number;
  /** Workload 2: one big uncapped file. */
  readonly bigFileBytes: number;
  /** Workload 3: many small files. */
  readonly smallFiles: number;
  readonly smallFileBytes: number;
  /** Workload 4: memory, 4 concurrent downloads at each of these sizes. */
  readonly memoryFileBytes: readonly number[];
  readonly memoryDownloads: number;
  /** Runs of the largest memory size (it alone writes 16 GiB per run in the full benchmark). */
  readonly memoryLargestRuns: number;
  /** Workload 5: API load. */
  readonly apiClients: number;
  readonly apiMaxRequests: number;
  readonly apiPhaseMs: number;
}

export interface BenchOptions {
  readonly only: ReadonlySet<WorkloadNumber>;
  readonly runs: number;
  readonly quick: boolean;
  /** auto: one profiled extra run for every workload that misses its target. */
  readonly profile: ProfileMode;
  /** Run the daemon from src/ through tsx instead of the compiled dist/. */
  readonly fromSource: boolean;
  readonly dataDir: string;
  readonly workDir: string;
  readonly sizes: Sizes;
}

const fullSizes: Sizes = {
  cdnFiles: 16, cdnFileBytes: 64 * MiB, cdnCapBytesPerSecond: 8 * MiB,
  bigFileBytes: 2 * GiB,
  smallFiles: 2000, smallFileBytes: 16 * 1024,
  memoryFileBytes: [1 * GiB, 4 * GiB], memoryDownloads: 4, memoryLargestRuns: 2,
  apiClients: 50, apiMaxRequests: 20_000, apiPhaseMs: 10_000,
};

const quickSizes: Sizes = {
  cdnFiles: 8, cdnFileBytes: 16 * MiB, cdnCapBytesPerSecond: 8 * MiB,
  bigFileBytes: 256 * MiB,
  smallFiles: 200, smallFileBytes: 16 * 1024,
  memoryFileBytes: [64 * MiB, 256 * MiB], memoryDownloads: 4, memoryLargestRuns: 1,
  apiClients: 50, apiMaxRequests: 4000, apiPhaseMs: 2000,
};

export const usage = `usage: npm run bench -- [--only=1,3] [--runs=3] [--quick] [--profile=auto|all|none] [--source]
  --only      workloads to run (1 capped CDN, 2 big file, 3 small files, 4 memory, 5 API); default all
  --runs      measured runs per workload (medians are reported); default 3, 1 with --quick
  --quick     small sizes for a smoke run (~1-2 min)
  --profile   auto: one extra run under --cpu-prof for each workload that misses its target (default)
  --source    run the daemon from src/ via tsx instead of building dist/`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  let only: Set<WorkloadNumber> = new Set([1, 2, 3, 4, 5]);
  let runs: number | undefined;
  let quick = false;
  let profile: ProfileMode = 'auto';
  let fromSource = false;
  for (const arg of argv) {
    const [name, value] = arg.split('=', 2) as [string, string | undefined];
    if (name === '--quick') quick = true;
    else if (name === '--source') fromSource = true;
    else if (name === '--runs' && value && /^[1-9][0-9]*$/.test(value)) runs = Number(value);
    else if (name === '--only' && value) only = new Set(value.split(',').map((part) => parseWorkload(part)));
    else if (name === '--profile' && (value === 'auto' || value === 'all' || value === 'none')) profile = value;
    else if (name === '--help' || name === '-h') throw new UsageError(usage);
    else throw new UsageError(`unknown or malformed flag ${arg}\n${usage}`);
  }
  return {
    only, quick, profile, fromSource,
    runs: runs ?? (quick ? 1 : 3),
    dataDir: process.env.BENCH_DATA_DIR ?? '/tmp/mediad-bench-data',
    workDir: process.env.BENCH_WORK_DIR ?? '/tmp/mediad-bench-work',
    sizes: quick ? quickSizes : fullSizes,
  };
}

function parseWorkload(text: string): WorkloadNumber {
  const n = Number(text.trim());
  if (n === 1 || n === 2 || n === 3 || n === 4 || n === 5) return n;
  throw new UsageError(`--only takes workload numbers 1-5, got ${text}\n${usage}`);
}

export class UsageError extends Error {}

export function formatBytes(bytes: number): string {
  if (bytes >= GiB && bytes % GiB === 0) return `${bytes / GiB} GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

export { MiB, GiB };
