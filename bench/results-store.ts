/**
 * The latest result of every workload, kept in bench/out/ (git-ignored) so that
 * `--only=3` refreshes workload 3 and the document still shows the others,
 * each with when, how and at which commit it was measured. Quick and full runs are kept apart.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkloadReport } from './report-model.ts';

export interface StoredWorkload {
  readonly report: WorkloadReport;
  /** Profile / census lines when the workload was diagnosed. */
  readonly diagnosis: readonly string[] | undefined;
  /** What looked broken while this workload ran (and anything from the same invocation's start, e.g. the build). */
  readonly observations: readonly string[];
  readonly measuredAt: string;
  readonly commandLine: string;
  readonly commit: string;
  readonly runs: number;
  readonly minutes: number;
  /** How much other load there was and what the bench did about it. */
  readonly interference: string;
}

export type StoredResults = Partial<Record<string, StoredWorkload>>;

function fileFor(outDir: string, quick: boolean): string {
  return path.join(outDir, `results-${quick ? 'quick' : 'full'}.json`);
}

export async function loadResults(outDir: string, quick: boolean): Promise<StoredResults> {
  try {
    return JSON.parse(await readFile(fileFor(outDir, quick), 'utf8')) as StoredResults;
  } catch {
    return {};
  }
}

export async function saveResults(outDir: string, quick: boolean, results: StoredResults): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const file = fileFor(outDir, quick);
  await writeFile(`${file}.tmp`, JSON.stringify(results, null, 1));
  await rename(`${file}.tmp`, file);
}
