/** Correctness checks of downloaded files: every size, the reported sha256, and our own sha256 of every file nobody hashed and of a sample of the rest. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { DataFile } from './dataset.ts';

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface Downloaded {
  readonly path: string;
  readonly source: DataFile;
  /** What mediad's job record says: a hash, or null when it did not hash the file; undefined for the peers, which report nothing. */
  readonly reportedSha256?: string | null | undefined;
}

export interface Verification {
  readonly problems: string[];
  readonly checkedSizes: number;
  readonly hashedFiles: number;
}

/** Sizes of all files, reported hashes of all, our own sha256 of every file mediad did not hash, and of `sampleCount` evenly spread files. */
export async function verifyDownloads(files: readonly Downloaded[], sampleCount: number): Promise<Verification> {
  const problems: string[] = [];
  for (const file of files) {
    const size = await stat(file.path).then((info) => info.size, () => -1);
    if (size !== file.source.size) problems.push(`${file.path}: ${size < 0 ? 'missing' : `${size} bytes`}, expected ${file.source.size}`);
    if (typeof file.reportedSha256 === 'string' && file.reportedSha256 !== file.source.sha256) problems.push(`${file.path}: reported sha256 ${file.reportedSha256} is not the source's ${file.source.sha256}`);
  }
  const picks = new Set<number>();
  const count = Math.min(sampleCount, files.length);
  for (let i = 0; i < count; i++) picks.add(Math.floor((i * files.length) / count));
  files.forEach((file, index) => { if (file.reportedSha256 === null) picks.add(index); });
  for (const index of picks) {
    const file = files[index] as Downloaded;
    const actual = await sha256OfFile(file.path).catch(() => 'unreadable');
    if (actual !== file.source.sha256) problems.push(`${file.path}: sha256 ${actual}, expected ${file.source.sha256}`);
  }
  return { problems, checkedSizes: files.length, hashedFiles: picks.size };
}
