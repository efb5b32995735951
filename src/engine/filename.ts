import path from 'node:path';

export const maxFileNameBytes = 200; // below the 255-byte NAME_MAX of ext4/xfs/btrfs, leaving room for " (n)" and ".part"
// Reserved on Windows (NTFS, exFAT, SMB): / \ : * ? " < > |
const forbidden = /[/\\:*?"<>|]/g;
// C0 and C1 controls, plus bidi overrides that let a name display as something else ("gpj.exe").
const invisible = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// Windows device names, reserved whatever the extension: CON, CON.mp4, com1.tar.gz.
const reserved = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\s*\..*)?$/i;
const encoder = new TextEncoder();
export const byteLength = (value: string): number => encoder.encode(value).length;

/** Normalise one piece of text: NFC, reserved characters to "_", invisibles to spaces, spaces collapsed. */
export function cleanNamePart(value: string): string {
  return value.normalize('NFC').replace(invisible, ' ').replace(forbidden, '_').replace(/\s+/g, ' ').trim();
}

/** The longest prefix of `value` that fits in `maxBytes` of UTF-8, cut between graphemes. */
export function truncateToBytes(value: string, maxBytes: number): string {
  if (byteLength(value) <= maxBytes) return value;
  let result = '';
  let used = 0;
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(value)) {
    const size = byteLength(segment);
    if (used + size > maxBytes) break;
    result += segment;
    used += size;
  }
  return result;
}

export function fixEnds(name: string): string {
  // Trailing dots and spaces vanish on Windows; leading dots hide the file on Unix.
  return name.replace(/[. ]+$/, '').replace(/^[. ]+/, '');
}

/** Makes one path component safe on every filesystem: clean text, fix ends, dodge device names, fit in maxBytes keeping the extension. */
export function sanitizeFilename(name: string, fallback = 'download', maxBytes = maxFileNameBytes): string {
  let safe = fixEnds(cleanNamePart(name));
  if (byteLength(safe) > maxBytes) {
    const dot = safe.lastIndexOf('.');
    const ext = dot > 0 && safe.length - dot <= 16 ? safe.slice(dot) : '';
    const stem = ext === '' ? safe : safe.slice(0, dot);
    safe = fixEnds(truncateToBytes(stem, maxBytes - byteLength(ext))) + ext;
  }
  if (reserved.test(safe)) safe = truncateToBytes(`_${safe}`, maxBytes);
  return safe === '' ? fallback : safe;
}

/** Reads the filename a Content-Disposition header proposes (RFC 6266: filename* wins over filename). */
export function filenameFromContentDisposition(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (extended?.[2]) {
    try {
      return decodeURIComponent(extended[2].trim());
    } catch {
      // malformed percent-encoding: fall through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(header);
  const value = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2]?.trim();
  return value === undefined || value === '' ? undefined : value;
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
