/**
 * The files the origin serves, generated once into a cache folder and reused:
 * bytes are an AES-256-CTR keystream keyed by (seed, path), so they look random,
 * are cheap to make, and the same seed always gives the same files.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes, type Sizes } from './options.ts';

export const datasetSeed = 'mediad-bench-v1';

export interface DataFile {
  /** Path relative to the data folder, which is also the origin URL path. */
  readonly rel: string;
  readonly size: number;
  readonly sha256: string;
}

export interface Dataset {
  readonly dir: string;
  readonly cdn: readonly DataFile[];
  readonly big: DataFile;
  readonly small: readonly DataFile[];
  /** One source file per memory size; the concurrent downloads all fetch it. */
  readonly memory: readonly DataFile[];
  /** A tiny file the origin answers at once (workload 5). */
  readonly instant: DataFile;
  /** What warms a fresh daemon's workers up before timing. */
  readonly warmup: DataFile;
}

type Manifest = Record<string, { size: number; sha256: string }>;

const chunkBytes = 8 * 1024 * 1024;

/** Ensures every file the sizes need exists with the right size; returns them with their sha256. */
export async function prepareDataset(dir: string, sizes: Sizes, log: (line: string) => void): Promise<Dataset> {
  await mkdir(dir, { recursive: true });
  const manifestPath = path.join(dir, 'manifest.json');
  const manifest: Manifest = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest) : {};
  let generatedBytes = 0;
  const started = Date.now();
  const ensure = async (rel: string, size: number): Promise<DataFile> => {
    const known = manifest[rel];
    const onDisk = await stat(path.join(dir, rel)).then((s) => s.size, () => -1);
    if (known && known.size === size && onDisk === size) return { rel, size, sha256: known.sha256 };
    const sha256 = await generateFile(path.join(dir, rel), rel, size);
    manifest[rel] = { size, sha256 };
    generatedBytes += size;
    return { rel, size, sha256 };
  };
  const cdnFolder = `cdn-${tag(sizes.cdnFileBytes)}`;
  const cdn: DataFile[] = [];
  for (let i = 0; i < sizes.cdnFiles; i++) cdn.push(await ensure(`${cdnFolder}/file-${pad(i, 2)}.bin`, sizes.cdnFileBytes));
  const big = await ensure(`big/big-${tag(sizes.bigFileBytes)}.bin`, sizes.bigFileBytes);
  const smallFolder = `small-${tag(sizes.smallFileBytes)}`;
  const small: DataFile[] = [];
  for (let i = 0; i < sizes.smallFiles; i++) small.push(await ensure(`${smallFolder}/f-${pad(i, 4)}.bin`, sizes.smallFileBytes));
  const memory: DataFile[] = [];
  for (const size of sizes.memoryFileBytes) memory.push(await ensure(`memory/mem-${tag(size)}.bin`, size));
  const instant = await ensure('api/instant.bin', 16);
  const warmup = await ensure('warmup/warm-8MiB.bin', 8 * 1024 * 1024);
  if (generatedBytes > 0) {
    await writeFile(`${manifestPath}.tmp`, JSON.stringify(manifest));
    await rename(`${manifestPath}.tmp`, manifestPath);
    log(`generated ${formatBytes(generatedBytes)} of test data in ${dir} (seed ${datasetSeed}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } else {
    log(`reusing test data in ${dir} (seed ${datasetSeed})`);
  }
  return { dir, cdn, big, small, memory, instant, warmup };
}

async function generateFile(file: string, rel: string, size: number): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  const key = createHash('sha256').update(`${datasetSeed}:${rel}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(Math.min(chunkBytes, Math.max(size, 1)));
  const temp = `${file}.tmp`;
  const handle = await open(temp, 'w');
  try {
    for (let written = 0; written < size;) {
      const length = Math.min(zeros.length, size - written);
      const chunk = cipher.update(zeros.subarray(0, length));
      hash.update(chunk);
      await handle.write(chunk, 0, chunk.length, written);
      written += length;
    }
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  return hash.digest('hex');
}

function tag(bytes: number): string {
  return formatBytes(bytes).replace(' ', '');
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
