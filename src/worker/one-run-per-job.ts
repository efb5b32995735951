/**
 * At most one run of a job at a time inside a worker process. With several jobs per worker, a job whose Redis
 * lock was lost can be handed back to this same process while its old run is still stopping; the partial-file
 * lock cannot tell the two apart (same pid), so the new run waits here for the old one to finish its checkpoint.
 */
export interface OneRunPerJob {
  run<T>(jobId: string, body: () => Promise<T>): Promise<T>;
  /** Jobs with a run going (or waiting), for the supervisor's busy count. */
  running(): string[];
}

export function oneRunPerJob(): OneRunPerJob {
  const runs = new Map<string, { latest: Promise<unknown>; count: number }>();
  return {
    async run(jobId, body) {
      const entry = runs.get(jobId) ?? { latest: Promise.resolve(), count: 0 };
      const previous = entry.latest;
      const current = previous.catch(() => undefined).then(body);
      entry.latest = current;
      entry.count++;
      runs.set(jobId, entry);
      try {
        return await current;
      } finally {
        if (--entry.count === 0) runs.delete(jobId);
      }
    },
    running: () => [...runs.keys()],
  };
}
