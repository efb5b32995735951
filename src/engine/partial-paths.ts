import path from 'node:path';

/** Partial data lives inside the download folder so the final rename never crosses filesystems. */
export const partialFolderName = '.mediad-partial';

export function partialJobDir(downloadDir: string, jobId: string): string {
  return path.join(downloadDir, partialFolderName, jobId);
}
