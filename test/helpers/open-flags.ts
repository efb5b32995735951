/** What /proc says about this process's open descriptors: the test's way to see how the engine opened a file. */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** The open flags (O_DIRECT and the like) of each descriptor this process has open on `file`. */
export function openFlagsOn(file: string): number[] {
  const flags: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile (the readdir's own descriptor)
    }
    if (target !== file) continue;
    const line = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    if (line) flags.push(Number.parseInt(line[1] as string, 8));
  }
  return flags;
}
