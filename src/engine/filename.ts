import path from 'node:path';

const reservedWindowsNames = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
const maxNameBytes = 200; // below the 255-byte NAME_MAX of ext4/xfs/btrfs, leaving room for " (n)" and ".part"

/** Makes one path component safe on every filesystem: no separators, control or reserved characters, no reserved names. */
export function sanitizeFilename(name: string, fallback = 'download'): string {
  let safe = name
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(/^[\s.]+|[\s.]+$/g, '')
    .trim();
  if (reservedWindowsNames.test(safe)) safe = `_${safe}`;
  safe = truncateUtf8(safe, maxNameBytes);
  return safe === '' ? fallback : safe;
}

function truncateUtf8(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const ext = path.extname(name).slice(0, 16);
  let stem = name.slice(0, name.length - ext.length);
  while (Buffer.byteLength(stem + ext) > maxBytes) stem = [...stem].slice(0, -1).join('');
  return stem + ext;
}

/** Reads the filename a Content-Disposition header proposes (RFC 6266: filename* wins over filename). */
export function filenameFromContentDisposition(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (extended?.[2]) {
    try {
      return decodeURIComponent(extended[2].trim());
    } catch {
      // malformed percent-encoding: fall through to the plain parameter
    }
  }
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header);
  if (quoted?.[1] !== undefined) return quoted[1].replace(/\\(.)/g, '$1');
  const bare = /filename\s*=\s*([^;]+)/i.exec(header);
  return bare?.[1]?.trim();
}

function filenameFromUrl(url: string): string | undefined {
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).pop();
    return last ? decodeURIComponent(last) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The final file name: the user's `filename`, else Content-Disposition, else the URL path.
 * The user's name may contain sub-folders (already checked to stay inside the download folder);
 * each component is sanitised.
 */
export function chooseFilename(input: { requested?: string | undefined; contentDisposition?: string | undefined; url: string }): string {
  if (input.requested) return input.requested.split('/').filter(Boolean).map((part) => sanitizeFilename(part)).join('/');
  const proposed = filenameFromContentDisposition(input.contentDisposition) ?? filenameFromUrl(input.url);
  return sanitizeFilename(path.basename(proposed ?? '')); // basename: a server's name never chooses a folder
}

/** `name.ext`, `name (1).ext`, `name (2).ext`, … */
export function numberedName(name: string, n: number): string {
  if (n === 0) return name;
  const ext = path.extname(name);
  const stem = ext && ext !== name ? name.slice(0, -ext.length) : name;
  return `${stem} (${n})${ext === name ? '' : ext}`;
}

/** Is `filename` (from the API) a relative name that stays inside the download folder? */
export function isSafeRelativeFilename(filename: string): boolean {
  if (filename.length === 0 || filename.length > 1024) return false;
  if (path.isAbsolute(filename) || /^[a-zA-Z]:/.test(filename) || filename.includes('\\')) return false;
  if (/[\u0000-\u001f]/.test(filename)) return false;
  const parts = filename.split('/');
  if (parts.some((part) => part === '..' || part === '.' || part === '')) return false; // '' also refuses 'a//b' and a trailing '/'
  const resolved = path.resolve('/root-of-downloads', filename);
  return resolved.startsWith('/root-of-downloads/') && path.basename(resolved) !== '';
}
