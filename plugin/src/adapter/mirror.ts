/**
 * Writes the engine's truth to the jobs resource row (status, progress, finished_at, state) through
 * AdminForth's resource API, so the admin UI shows it (design D2). Writes of one job are kept in
 * order and coalesced: while one is in flight, later patches merge into the next, so a slow
 * progress write can never land after the final status.
 */
import type { Logger } from '../engine/engine-types.js';
import { errorMessage } from '../errors.js';

export type RowWriter = (jobId: string, patch: Record<string, unknown>) => Promise<void>;

export class ResourceMirror {
  private readonly pending = new Map<string, Record<string, unknown>>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly write: RowWriter, private readonly log: Logger) {}

  update(jobId: string, patch: Record<string, unknown>): void {
    this.pending.set(jobId, { ...this.pending.get(jobId), ...patch });
    if (!this.inFlight.has(jobId)) this.inFlight.set(jobId, this.drain(jobId));
  }

  /** Resolves when every write queued so far has been made. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()]);
  }

  private async drain(jobId: string): Promise<void> {
    try {
      for (let patch = this.pending.get(jobId); patch; patch = this.pending.get(jobId)) {
        this.pending.delete(jobId);
        try {
          await this.write(jobId, patch);
        } catch (error) {
          this.log('error', `background-jobs: could not update the row of job ${jobId}: ${errorMessage(error)}`);
        }
      }
    } finally {
      this.inFlight.delete(jobId);
    }
  }
}
