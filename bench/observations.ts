/** Things that looked broken or slow in mediad during the run (failed or stuck jobs, unclean stops); they go into the report. */
const seen: string[] = [];

export function observe(text: string): void {
  seen.push(text);
  process.stderr.write(`!! ${text}\n`);
}

export function observations(): readonly string[] {
  return seen;
}
