/**
 * Render the output file name from a template such as `{title} [{id}].{ext}`
 * and make it safe on every filesystem mediad may write to (ext4, APFS, NTFS,
 * exFAT, SMB shares): no path separators or reserved characters, no control
 * or bidi-override characters, no Windows device names, no trailing dots or
 * spaces, at most 200 bytes of UTF-8 (ext4 allows 255; we leave room for
 * ".part" suffixes and encodings that expand).
 */
import { MediadError } from '../errors.ts';

/** Config `output.template` default. */
export const DEFAULT_OUTPUT_TEMPLATE = '{title} [{id}].{ext}';
/** Longest file name we write, in UTF-8 bytes. */
export const MAX_FILE_NAME_BYTES = 200;

/** The values template tokens stand for. */
export interface OutputNameFields {
  readonly title: string;
  readonly id: string;
  readonly ext: string;
  readonly uploader?: string | undefined;
}

const TOKENS = new Set(['title', 'id', 'ext', 'uploader']);
const TOKEN_PATTERN = /\{([^{}]*)\}/g;
// Reserved on Windows (NTFS, exFAT, SMB): / \ : * ? " < > |
const FORBIDDEN = /[/\\:*?"<>|]/g;
// C0 and C1 controls, plus bidi overrides that let a name display as something else ("gpj.exe").
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// Windows device names, reserved whatever the extension: CON, CON.mp4, com1.tar.gz.
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\s*\..*)?$/i;

/** Config error for an unusable template, or undefined. Templates must end in `.{ext}` and use known tokens. */
export function validateOutputTemplate(template: string): MediadError | undefined {
  for (const match of template.matchAll(TOKEN_PATTERN)) {
    const token = match[1] ?? '';
    if (!TOKENS.has(token)) {
      return new MediadError('MEDIAD_ERR_CONFIG', `output.template uses unknown token {${token}}; known: ${[...TOKENS].map((t) => `{${t}}`).join(' ')}`);
    }
  }
  if (!template.endsWith('.{ext}')) return new MediadError('MEDIAD_ERR_CONFIG', 'output.template must end with ".{ext}"');
  if (/[/\\]/.test(template)) return new MediadError('MEDIAD_ERR_CONFIG', 'output.template must name a file, not a folder');
  return undefined;
}

/** Normalise one piece of text: NFC, reserved characters to "_", invisibles to spaces, spaces collapsed. */
export function cleanNamePart(value: string): string {
  return value.normalize('NFC').replace(INVISIBLE, ' ').replace(FORBIDDEN, '_').replace(/\s+/g, ' ').trim();
}

const encoder = new TextEncoder();
const byteLength = (value: string): number => encoder.encode(value).length;

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

function fixEnds(name: string): string {
  // Trailing dots and spaces vanish on Windows; leading dots hide the file on Unix.
  return name.replace(/[. ]+$/, '').replace(/^[. ]+/, '');
}

/** Make a whole file name safe: clean text, fix ends, dodge device names, fit in maxBytes keeping the extension. */
export function sanitizeFileName(name: string, maxBytes: number = MAX_FILE_NAME_BYTES): string {
  let safe = fixEnds(cleanNamePart(name));
  if (byteLength(safe) > maxBytes) {
    const dot = safe.lastIndexOf('.');
    const ext = dot > 0 && safe.length - dot <= 16 ? safe.slice(dot) : '';
    const stem = ext === '' ? safe : safe.slice(0, dot);
    safe = fixEnds(truncateToBytes(stem, maxBytes - byteLength(ext))) + ext;
  }
  if (RESERVED.test(safe)) safe = truncateToBytes(`_${safe}`, maxBytes);
  return safe === '' || safe.startsWith('.') ? `_${safe}` : safe;
}

function render(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(TOKEN_PATTERN, (_whole, token: string) => values[token] ?? '');
}

/**
 * Render `template` with the media's fields into one safe file name.
 * The title is shortened first when the name would exceed maxBytes, so id and extension survive.
 */
export function renderOutputName(template: string, fields: OutputNameFields, maxBytes: number = MAX_FILE_NAME_BYTES): string {
  const invalid = validateOutputTemplate(template);
  if (invalid) throw invalid;
  const values: Record<string, string> = {
    title: cleanNamePart(fields.title) || 'untitled',
    id: cleanNamePart(fields.id),
    ext: cleanNamePart(fields.ext).replace(/^\.+/, ''),
    uploader: cleanNamePart(fields.uploader ?? '') || 'unknown',
  };
  const overhead = byteLength(render(template, { ...values, title: '' }));
  const titleBudget = Math.max(0, maxBytes - overhead);
  const title = values['title'] ?? '';
  if (byteLength(title) > titleBudget) values['title'] = fixEnds(truncateToBytes(title, titleBudget));
  return sanitizeFileName(render(template, values), maxBytes);
}
