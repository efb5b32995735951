/** Speed over a sliding window and the ETA it implies. Pure: samples and the clock come in as numbers. */
export interface Sample {
  readonly atMs: number;
  readonly bytes: number;
}

export const speedWindowMs = 5000;

/** Keeps the samples still inside the window (plus the one just before it, so the window is fully spanned). */
export function addSample(samples: readonly Sample[], sample: Sample, windowMs = speedWindowMs): Sample[] {
  const kept = [...samples, sample];
  while (kept.length > 2 && (kept[1] as Sample).atMs <= sample.atMs - windowMs) kept.shift();
  return kept;
}

export function bytesPerSecond(samples: readonly Sample[]): number {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || last.atMs <= first.atMs) return 0;
  return Math.max(0, Math.round(((last.bytes - first.bytes) * 1000) / (last.atMs - first.atMs)));
}

export function etaSeconds(downloaded: number, total: number | null, speed: number): number | null {
  if (total === null || speed <= 0) return null;
  return Math.max(0, Math.ceil((total - downloaded) / speed));
}
