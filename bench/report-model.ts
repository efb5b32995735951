/** What a workload hands back: table rows plus the prose the document shows under it. */
export type Verdict = 'pass' | 'FAIL' | '—';

export interface Row {
  readonly workload: string;
  readonly tool: string;
  /** Median over the runs, with its unit. */
  readonly median: string;
  readonly ratio: string;
  readonly target: string;
  readonly verdict: Verdict;
}

export interface WorkloadReport {
  readonly number: number;
  readonly title: string;
  readonly rows: readonly Row[];
  /** The exact commands and API calls of the measured tools. */
  readonly commands: readonly string[];
  /** Per-run figures, CPU split, verification. */
  readonly details: readonly string[];
  /** What bounds each figure, from what was measured. */
  readonly limits: readonly string[];
  /** True when a mediad figure misses its target (or a mediad run was wrong): worth a profile. */
  readonly missedTarget: boolean;
}

/** Runs `steps` in an order that rotates with the run index, so no tool always goes first. */
export async function inRotation<T>(run: number, steps: readonly (() => Promise<T>)[]): Promise<void> {
  for (let i = 0; i < steps.length; i++) await (steps[(i + run) % steps.length] as () => Promise<T>)();
}

export const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
export const times = (ratio: number) => `${fixed(ratio)}×`;
export const list = (values: readonly number[], digits = 2) => values.map((value) => fixed(value, digits)).join(', ');
export const mib = (bytes: number) => bytes / (1024 * 1024);
export const gib = (bytes: number) => bytes / (1024 * 1024 * 1024);
