/**
 * The answers of the Jobs page's endpoints that the admin UI reads as the server writes them:
 * `jobs/cancel-matching`, `jobs/retry-matching` (plugin/src/http/bulk-actions.ts) and
 * `jobs/task-attempts` (plugin/src/http/jobs-page-api.ts). One definition for both sides, as
 * payloads.ts is for the websocket. Nothing is imported here: the server loads this file too.
 */

/** What `jobs/cancel-matching` and `jobs/retry-matching` answer. */
export interface BulkAnswer {
  action: 'cancel' | 'retry';
  dryRun: boolean;
  /** Jobs matching the ids or filters that the caller may see. */
  matched: number;
  /** Jobs the action applies to: the number a person confirms. */
  count: number;
  /** Matched but left alone: not in a state the action changes, or not the caller's to manage. Ids: not found (or not visible). */
  skipped: { notApplicable: number; forbidden: number; notFound: number };
  /** SHA-256 of the action and the ids of the jobs it applies to. */
  selection: string;
  /** The ids of those jobs, newest first. */
  jobIds: string[];
  /** What happened (not in a dry run). */
  changed: number;
  unchanged: number;
  /** Tasks scheduled again (retry). */
  tasks: number;
  failed: { jobId: string; code: string; message: string }[];
  failedCount: number;
}

/** One attempt of a task (`jobs/task-attempts`). */
export interface TaskAttempt {
  attempt: number;
  /** RUNNING: started, no outcome logged yet; RETRIED: failed, and runs again; FAILED: failed for good. */
  status: 'RUNNING' | 'DONE' | 'FAILED' | 'RETRIED' | 'CANCELLED';
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  error: string | null;
}
