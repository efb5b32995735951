/**
 * Render the output file name from a template such as `{title} [{id}].{ext}`
 * and make it safe on every filesystem mediad may write to (ext4, APFS, NTFS,
 * exFAT, SMB shares): no path separators or reserved characters, no control
 * or bidi-override characters, no Windows device names, no trailing dots or
 * spaces, at most 200 bytes of UTF-8 (ext4 allows 255; we leave room for
 * ".part" suffixes and encodings that expand).
 */
import { MediadError } from '../errors.ts';
import { byteLength, cleanNamePart, fixEnds, maxFileNameBytes, sanitizeFilename, truncateToBytes } from '../engine/filename.ts';

/** Config `output.template` default. */
export const DEFAULT_OUTPUT_TEMPLATE = '{title} [{id}].{ext}';
/** Longest file name we write, in UTF-8 bytes. */
export const MAX_FILE_NAME_BYTES = maxFileNameBytes;

/** The values template tokens stand for. */
export interface OutputNameFields {
  readonly title: string;
  readonly id: string;
  readonly ext: string;
  readonly uploader?: string | undefined;
}

const TOKENS = new Set(['title', 'id', 'ext', 'uploader']);
const TOKEN_PATTERN = /\{([^{}]*)\}/g;

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
  return sanitizeFilename(render(template, values), 'untitled', maxBytes);
}
