/** A byte range of the resource [start, end) and how many of its bytes, from start, are on disk. */
export interface Segment {
  readonly start: number;
  /** Exclusive end; null while the total length is unknown (one open-ended segment). */
  end: number | null;
  written: number;
}

/** Splits [0, total) into at most `connections` segments of at least `minSegmentBytes` (small files stay on one connection). */
export function planSegments(totalBytes: number | null, connections: number, minSegmentBytes: number, from = 0): Segment[] {
  if (totalBytes === null) return [{ start: 0, end: null, written: 0 }];
  const span = totalBytes - from;
  const count = Math.max(1, Math.min(connections, Math.floor(span / minSegmentBytes)));
  const size = Math.ceil(span / count);
  const segments: Segment[] = [];
  for (let start = from; start < totalBytes || segments.length === 0; start += size) {
    segments.push({ start, end: Math.min(totalBytes, start + size), written: 0 });
    if (span === 0) break;
  }
  return segments;
}

/**
 * Segments after a bounded probe: the probe's bytes [0, probeEnd) are segment 0 (its response feeds it),
 * the rest is split over the other connections. Idle connections later steal from the largest.
 */
export function planAfterProbe(totalBytes: number, probeEnd: number, connections: number, minSegmentBytes: number): Segment[] {
  if (probeEnd >= totalBytes) return [{ start: 0, end: totalBytes, written: 0 }];
  return [{ start: 0, end: probeEnd, written: 0 }, ...planSegments(totalBytes, Math.max(1, connections - 1), minSegmentBytes, probeEnd)];
}

/** How many of `bytes` starting at file `position` still belong to the segment (a split may have moved its end meanwhile). */
export function roomAt(segment: Segment, position: number, bytes: number): number {
  return segment.end === null ? bytes : Math.max(0, Math.min(bytes, segment.end - position));
}

export function isComplete(segment: Segment): boolean {
  return segment.end !== null && segment.written >= segment.end - segment.start;
}

/**
 * Work stealing (as aria2 does): when a connection is idle, cut the segment with the most bytes
 * left in half and hand the back half out. Bytes a connection has taken but not yet written
 * (`heldBytes`) stay with it. Returns the index of the segment to cut and the cut point, or
 * undefined when no segment has at least 2 × minSegmentBytes left.
 */
export function chooseSplit(segments: readonly Segment[], busy: ReadonlySet<number>, minSegmentBytes: number, heldBytes: (index: number) => number = () => 0): { index: number; at: number } | undefined {
  let best: { index: number; from: number; left: number } | undefined;
  segments.forEach((segment, index) => {
    if (!busy.has(index) || segment.end === null) return;
    const from = segment.start + segment.written + heldBytes(index);
    const left = segment.end - from;
    if (left >= 2 * minSegmentBytes && (!best || left > best.left)) best = { index, from, left };
  });
  if (!best) return undefined;
  return { index: best.index, at: best.from + Math.floor(best.left / 2) };
}

export function downloadedBytes(segments: readonly Segment[]): number {
  return segments.reduce((sum, segment) => sum + segment.written, 0);
}
