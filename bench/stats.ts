/** Small statistics helpers: medians of runs, percentiles of sorted latencies. */
export function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return Number.NaN;
  const sorted = [...finite].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Nearest-rank percentile of an ascending array; `fraction` in (0, 1]. */
export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Ratios of paired runs (run i of one tool against run i of its peer), so drift over time cancels. */
export function pairedRatios(ours: readonly number[], peer: readonly number[]): number[] {
  const count = Math.min(ours.length, peer.length);
  return Array.from({ length: count }, (_, i) => (ours[i] as number) / (peer[i] as number));
}
