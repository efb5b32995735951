/** Settings that make a daemon under test react in seconds instead of minutes (the code paths are the production ones). */
export const fastDaemonEnv: Record<string, string> = {
  MEDIAD_RETRY_BASE_DELAY_MS: '100',
  MEDIAD_RETRY_MAX_DELAY_MS: '2000',
  MEDIAD_JOB_LOCK_MS: '3000',
  MEDIAD_STALLED_CHECK_INTERVAL_MS: '1000',
  MEDIAD_PROGRESS_INTERVAL_MS: '200',
  MEDIAD_LOG_LEVEL: 'info',
};

export const MiB = 1024 * 1024;
