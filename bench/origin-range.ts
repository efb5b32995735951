/** Pure parsing of a single-range `Range` header against a resource length (RFC 9110 §14.1.2). */
export interface ByteRange {
  /** Inclusive first and last byte. */
  readonly start: number;
  readonly end: number;
}

/** The range to serve, 'unsatisfiable' (answer 416), or undefined to ignore the header and send the whole body. */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = /^bytes=([0-9]*)-([0-9]*)$/.exec(header.trim());
  if (!match) return undefined; // multiple ranges or another unit: a server may ignore Range
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return undefined; // syntactically invalid: ignore
  return { start, end };
}
