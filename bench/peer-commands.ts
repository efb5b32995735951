/** The peer tools' command lines, exactly as run (and as printed in the report). */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

export const aria2Common = [
  '--allow-overwrite=true', '--auto-file-renaming=false', '--file-allocation=none', '--console-log-level=warn', '--summary-interval=0',
];

/** aria2c input file: one URI per line, its output name on an indented option line. */
export async function writeAria2List(dir: string, entries: readonly { url: string; out: string }[]): Promise<string> {
  const list = path.join(dir, 'aria2-input.txt');
  await writeFile(list, entries.map((entry) => `${entry.url}\n  out=${entry.out}\n`).join(''));
  return list;
}

export function aria2ListCommand(flags: readonly string[], dir: string): string[] {
  return ['aria2c', ...flags, ...aria2Common, '-d', path.join(dir, 'out'), '-i', path.join(dir, 'aria2-input.txt')];
}

export function shellLine(command: readonly string[]): string {
  return command.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}
