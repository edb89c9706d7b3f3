/**
 * JobStore in process memory: what the testing entry runs users' handlers on (no database
 * needed), so it passes the whole store contract suite, as the database stores do, and makes its
 * flush from the same plan (flush-plan.ts). Not durable, not shared between processes. Every
 * method changes the maps with nothing awaited in between, so calls at once behave as serialised
 * transactions. A change's events (`ChangeEvents`) are built, and a flush's events encoded, before
 * the change is made, so a builder that throws leaves the job as it was, as a rolled-back
 * transaction would.
 */
import { RETRIED_TASK_STATUSES, isActiveJobStatus, isFinishedJobStatus, type JobStatus, type TaskStatus } from '../statuses.js';
import type {
  AddedTasks, CancelInfo, ChangeEvents, ClaimedTask, DeletedTask, EventBatch, EventRead, FinishClaim, FlushInput, FlushResult, JobRow, JobStore,
  NewJob, RetryInfo, TaskRow, WorkerInfo,
} from './job-store.js';
import type { EngineEvent } from '../events.js';
import { batchFromRaw, eventPayload, isStaleProgress, reportWritten, type WrittenBatch } from './event-batches.js';
import { emptyTaskCounts, taskCountsOf } from './sqlite-store.js';
import type { SlotRow } from './slots.js';
import {
  afterClaim, allTasksFinished, finishedJobStatus, flushResult, goneJobResult, leasedWrites, planFlush, taskWrites, type FlushRead,
} from './flush-plan.js';

interface MemoryTask {
  index: number;
  status: TaskStatus;
  state: string;
  attempt: number;
  leaseOwner: string | null;
  leaseExpires: number | null;
  runAfter: number;
  error: string | null;
}

interface MemoryJob extends Omit<JobRow, 'state'> {
  state: string;
  owner: string | null;
  /** In index order; position = index until a task is deleted (`taskAt`). */
  tasks: MemoryTask[];
  finishOwner: string | null;
  finishUntil: number;
  finishAttempts: number;
  /** No task added later gets an index below this (one past the highest deleted task). */
  nextIndex: number;
  tasksPurgedAt: number | null;
}

/** The job's task of that index (tasks stay in index order; a deleted one shifts the rest). */
function taskAt(job: MemoryJob, index: number): MemoryTask | undefined {
  const direct = job.tasks[index];
  if (direct?.index === index) return direct;
  let lo = 0;
  let hi = Math.min(index, job.tasks.length - 1);
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = job.tasks[mid].index;
    if (at === index) return job.tasks[mid];
    if (at < index) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

export class MemoryJobStore implements JobStore {
  readonly kind = 'memory' as const;
  private readonly jobs = new Map<number, MemoryJob>();
  private readonly workers = new Map<string, WorkerInfo>();
  /** Run slots and interest per job and owner (slots.ts). */
  private readonly interest = new Map<number, Map<string, SlotRow>>();
  private nextKey = 1;
  private readonly eventLog = new Map<number, { lastSeq: number; batches: EventBatch[] }>();

  async migrate(): Promise<void> {}

  async createDraft(job: NewJob): Promise<number> {
    const jobKey = this.nextKey++;
    this.jobs.set(jobKey, {
      jobKey, jobId: null, handler: job.handler, name: job.name, status: 'DRAFT', startedBy: job.startedBy,
      total: 0, done: 0, failed: 0, cancelled: 0, state: JSON.stringify(job.state), lastError: null,
      createdAt: job.now, finishedAt: null, owner: job.owner, tasks: [], finishOwner: null, finishUntil: 0, finishAttempts: 0, nextIndex: 0, tasksPurgedAt: null,
      ...(job.schedule ? { schedule: job.schedule } : {}),
    });
    return jobKey;
  }

  async appendTasks(jobKey: number, firstIndex: number, states: string[]): Promise<void> {
    const job = this.must(jobKey);
    states.forEach((state, i) => {
      job.tasks[firstIndex + i] = { index: firstIndex + i, status: 'SCHEDULED', state, attempt: 0, leaseOwner: null, leaseExpires: null, runAfter: 0, error: null };
    });
  }

  async activateDraft(jobKey: number, jobId: string, status: 'IN_PROGRESS' | 'QUEUED', total: number, events?: ChangeEvents<JobRow>): Promise<void> {
    const job = this.must(jobKey);
    if (job.status !== 'DRAFT') return;
    const built = events?.build({ ...this.row(job), jobId, status, total }) ?? [];
    Object.assign(job, { jobId, status, total, owner: null });
    reportWritten(events, [this.writeChangeEvents(jobKey, events, built)]);
  }

  async discardDraft(jobKey: number): Promise<void> {
    if (this.jobs.get(jobKey)?.status === 'DRAFT') this.jobs.delete(jobKey);
  }

  async getJob(jobId: string): Promise<JobRow | null> {
    for (const job of this.jobs.values()) if (job.jobId === String(jobId)) return this.row(job);
    return null;
  }

  async getJobs(jobIds: string[]): Promise<JobRow[]> {
    const wanted = new Set(jobIds.map(String));
    return [...this.jobs.values()].filter((j) => j.jobId !== null && wanted.has(j.jobId)).map((j) => this.row(j));
  }

  async getJobByKey(jobKey: number): Promise<JobRow | null> {
    const job = this.jobs.get(jobKey);
    return job ? this.row(job) : null;
  }

  async listRunnableJobs(): Promise<JobRow[]> {
    return [...this.jobs.values()].filter((j) => j.status === 'IN_PROGRESS').map((j) => this.row(j));
  }

  async countJobs(handler: string, status: JobStatus): Promise<number> {
    return [...this.jobs.values()].filter((j) => j.handler === handler && j.status === status).length;
  }

  async promoteQueued(handler: string, limit: number, events?: ChangeEvents<JobRow>, max = Number.MAX_SAFE_INTEGER): Promise<JobRow[]> {
    // Counted and promoted with nothing awaited in between: two calls at once hold the limit, as
    // the database stores' transactions do.
    const running = [...this.jobs.values()].filter((j) => j.handler === handler && j.status === 'IN_PROGRESS').length;
    const free = Math.min(max, (Number.isFinite(limit) ? limit : Number.MAX_SAFE_INTEGER) - running);
    const picked: MemoryJob[] = [];
    for (const job of this.jobs.values()) {
      if (picked.length >= free) break;
      if (job.handler === handler && job.status === 'QUEUED') picked.push(job);
    }
    const promoted = picked.map((job): JobRow => ({ ...this.row(job), status: 'IN_PROGRESS' }));
    const built = promoted.map((row) => events?.build(row) ?? []);
    for (const job of picked) job.status = 'IN_PROGRESS';
    reportWritten(events, promoted.map((row, i) => this.writeChangeEvents(row.jobKey, events, built[i])));
    return promoted;
  }

  /**
   * The flush as flush-plan.ts decides it, read from and written to the maps. Everything that can
   * throw (the events' encoding) happens before the first change, so a flush that fails changes
   * nothing, as a rolled-back transaction.
   */
  async flush(input: FlushInput): Promise<FlushResult> {
    const job = this.jobs.get(input.jobKey);
    if (!job) return goneJobResult();
    const leasedTask = (index: number) => {
      const task = taskAt(job, index);
      return task && task.status === 'IN_PROGRESS' && task.leaseOwner === input.owner ? task : undefined;
    };
    const held = leasedWrites(taskWrites(input), (index) => leasedTask(index) !== undefined);
    let running = 0;
    let holding = 0;
    for (const task of job.tasks) {
      if (task.status !== 'IN_PROGRESS') continue;
      running++;
      if (task.leaseOwner === input.owner) holding++;
    }
    const owners = this.interest.get(job.jobKey);
    const read: FlushRead = {
      job: job,
      finished: held.finished,
      running: running - held.released,
      held: holding - held.released,
      slotRows: owners ? [...owners.values()] : [],
    };
    const plan = planFlush(input, read);
    const batch = plan.events.length > 0 ? this.encodeBatch(input.jobKey, input.owner, input.now, plan.events) : null;

    for (const write of held.writes) {
      const task = leasedTask(write.index)!;
      if (write.state !== null) task.state = write.state;
      if (write.status === null) continue;
      Object.assign(task, { status: write.status, error: write.error, leaseOwner: null, leaseExpires: null });
      if (write.status === 'SCHEDULED') task.runAfter = write.runAfter ?? 0;
    }
    if (plan.writeJob) {
      const { status, done, failed, cancelled } = plan.counters;
      Object.assign(job, { status, done, failed, cancelled });
      if (plan.lastError !== null) job.lastError = plan.lastError;
      if (plan.finishedJob) job.finishedAt = input.now;
    }
    const claimed: ClaimedTask[] = [];
    for (const task of job.tasks) {
      if (claimed.length >= plan.claim) break;
      if (task.status !== 'SCHEDULED' || task.runAfter > input.now) continue;
      Object.assign(task, { status: 'IN_PROGRESS', attempt: task.attempt + 1, leaseOwner: input.owner, leaseExpires: input.now + input.leaseMs });
      claimed.push({ index: task.index, state: task.state, attempt: task.attempt });
    }
    const after = afterClaim(input, read, plan, claimed.length);
    let nextRunAt: number | null = null;
    if (after.needsNextRunAt) {
      for (const task of job.tasks) {
        if (task.status === 'SCHEDULED' && (nextRunAt === null || task.runAfter < nextRunAt)) nextRunAt = task.runAfter;
      }
    }
    if (after.interest) {
      const rows = owners ?? new Map<string, SlotRow>();
      this.interest.set(job.jobKey, rows);
      const { at, slots, slotsExpire } = after.interest;
      rows.set(input.owner, { owner: input.owner, at: at ?? rows.get(input.owner)?.at ?? 0, slots, slotsExpire });
    }
    const lastSeq = batch ? this.appendBatch(batch) : null;
    return flushResult(plan, after, claimed, nextRunAt, lastSeq);
  }

  async appendEvents(jobKey: number, owner: string, now: number, events: EngineEvent[]): Promise<number | null> {
    const job = this.jobs.get(jobKey);
    if (events.length === 0 || !job) return null;
    if (isStaleProgress(events) && isFinishedJobStatus(job.status)) return null;
    return this.appendEventsSync(jobKey, owner, now, events);
  }

  /** Writes the events a change's builder returned (called right after the change, with nothing awaited in between). */
  private writeChangeEvents(jobKey: number, events: ChangeEvents<never> | undefined, built: EngineEvent[]): WrittenBatch | null {
    if (!events || built.length === 0) return null;
    return { jobKey, lastSeq: this.appendEventsSync(jobKey, events.owner, events.now, built), events: built };
  }

  private appendEventsSync(jobKey: number, owner: string, now: number, events: EngineEvent[]): number {
    return this.appendBatch(this.encodeBatch(jobKey, owner, now, events));
  }

  /**
   * The events as a log row holds them: encoded and read back as the database stores do (so a
   * reader gets what it would from them, and an event that cannot be encoded fails here, before
   * the change it goes with).
   */
  private encodeBatch(jobKey: number, owner: string, now: number, events: EngineEvent[]): Omit<EventBatch, 'firstSeq' | 'lastSeq'> {
    return { jobKey, owner, at: now, events: batchFromRaw({ job_key: jobKey, seq: 0, first_seq: 0, owner, at: now, payload: eventPayload(events) }).events };
  }

  /** Numbers the batch after the job's last event and logs it; returns its last sequence number. */
  private appendBatch(batch: Omit<EventBatch, 'firstSeq' | 'lastSeq'>): number {
    let log = this.eventLog.get(batch.jobKey);
    if (!log) this.eventLog.set(batch.jobKey, log = { lastSeq: 0, batches: [] });
    const firstSeq = log.lastSeq + 1;
    log.lastSeq += batch.events.length;
    log.batches.push({ ...batch, firstSeq, lastSeq: log.lastSeq });
    return log.lastSeq;
  }

  async readEvents(jobKey: number, after: number, limit: number): Promise<EventRead> {
    const log = this.eventLog.get(jobKey);
    if (!log) return { batches: [], lastSeq: 0, oldestSeq: null };
    return { batches: log.batches.filter((b) => b.lastSeq > after).slice(0, limit), lastSeq: log.lastSeq, oldestSeq: log.batches[0]?.firstSeq ?? null };
  }

  async eventCursors(finishedSince: number): Promise<{ jobKey: number; lastSeq: number }[]> {
    const out: { jobKey: number; lastSeq: number }[] = [];
    for (const [jobKey, log] of this.eventLog) {
      const job = this.jobs.get(jobKey);
      if (!job || log.lastSeq === 0) continue;
      if (isActiveJobStatus(job.status) || (job.finishedAt ?? 0) >= finishedSince) out.push({ jobKey, lastSeq: log.lastSeq });
    }
    return out;
  }

  async pruneEvents(finishedBefore: number, maxPerJob: number): Promise<number> {
    let n = 0;
    for (const [jobKey, log] of this.eventLog) {
      const job = this.jobs.get(jobKey);
      const finished = !job || (!isActiveJobStatus(job.status) && job.finishedAt !== null && job.finishedAt < finishedBefore);
      const keep = finished ? [] : log.batches.filter((b) => b.lastSeq > log.lastSeq - maxPerJob);
      n += log.batches.length - keep.length;
      log.batches = keep;
    }
    return n;
  }

  async getTasks(jobKey: number, opts: { status?: TaskStatus[]; limit: number; offset: number }): Promise<{ tasks: TaskRow[]; total: number }> {
    const all = (this.jobs.get(jobKey)?.tasks ?? []).filter((t) => !opts.status?.length || opts.status.includes(t.status));
    return {
      tasks: all.slice(opts.offset, opts.offset + opts.limit).map((t) => ({ index: t.index, status: t.status, state: JSON.parse(t.state), attempt: t.attempt, error: t.error })),
      total: all.length,
    };
  }

  async getTaskCounts(jobKey: number): Promise<Record<TaskStatus, number>> {
    // From the job's counters, as the database stores do (they outlive purged task rows).
    const job = this.jobs.get(jobKey);
    if (!job || job.status === 'DRAFT') return emptyTaskCounts();
    return taskCountsOf(job, job.tasks.filter((t) => t.status === 'IN_PROGRESS').length);
  }

  async updateJobState(
    jobKey: number, mutate: (state: Record<string, unknown>) => Record<string, unknown>, events?: ChangeEvents<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    const job = this.must(jobKey);
    const next = mutate(JSON.parse(job.state));
    const built = events?.build(next) ?? [];
    job.state = JSON.stringify(next);
    reportWritten(events, [this.writeChangeEvents(jobKey, events, built)]);
    return next;
  }

  async cancelJob(jobKey: number, now: number, events?: ChangeEvents<CancelInfo>): Promise<{ changed: boolean; status: JobStatus | 'DRAFT' }> {
    const job = this.jobs.get(jobKey);
    if (!job) return { changed: false, status: 'CANCELLED' };
    if (!isActiveJobStatus(job.status)) return { changed: false, status: job.status };
    // Running tasks too, whoever leases them: their owners' outcomes then change nothing.
    const ending = job.tasks.filter((t) => t.status === 'SCHEDULED' || t.status === 'IN_PROGRESS');
    const cancelledRunning = ending.filter((t) => t.status === 'IN_PROGRESS').map((t) => t.index);
    const built = events?.build({ ...this.row(job), status: 'CANCELLED', finishedAt: now, cancelled: job.cancelled + ending.length, cancelledRunning }) ?? [];
    job.status = 'CANCELLED';
    job.finishedAt = now;
    for (const task of ending) Object.assign(task, { status: 'CANCELLED', leaseOwner: null, leaseExpires: null });
    job.cancelled += ending.length;
    reportWritten(events, [this.writeChangeEvents(jobKey, events, built)]);
    return { changed: true, status: 'CANCELLED' };
  }

  async retryJob(
    jobKey: number, scope: 'failed' | 'unfinished' | number[], status: 'IN_PROGRESS' | 'QUEUED', events?: ChangeEvents<RetryInfo>,
  ): Promise<number> {
    const job = this.must(jobKey);
    const statuses = RETRIED_TASK_STATUSES[Array.isArray(scope) ? 'chosen' : scope];
    const pick = (t: MemoryTask) => statuses.includes(t.status) && (!Array.isArray(scope) || scope.includes(t.index));
    const retried = new Set(job.tasks.filter(pick));
    const statusAfter = (t: MemoryTask): TaskStatus => (retried.has(t) ? 'SCHEDULED' : t.status);
    if (!job.tasks.some((t) => statusAfter(t) === 'SCHEDULED')) return 0;
    const count = (s: TaskStatus) => job.tasks.filter((t) => statusAfter(t) === s).length;
    const changes = { status, finishedAt: null, done: count('DONE'), failed: count('FAILED'), cancelled: count('CANCELLED') };
    const built = events?.build({ job: { ...this.row(job), ...changes }, tasks: retried.size }) ?? [];
    for (const task of retried) Object.assign(task, { status: 'SCHEDULED', error: null, runAfter: 0, leaseOwner: null, leaseExpires: null });
    Object.assign(job, changes);
    reportWritten(events, [this.writeChangeEvents(jobKey, events, built)]);
    return retried.size;
  }

  async jobsToPurge(finishedBefore: number, limit: number): Promise<number[]> {
    return this.finishedBefore(finishedBefore).filter((j) => j.tasksPurgedAt === null).slice(0, limit).map((j) => j.jobKey);
  }

  async purgeTasks(jobKey: number, limit: number, now: number): Promise<number> {
    const job = this.jobs.get(jobKey);
    if (!job || !isFinishedJobStatus(job.status)) return 0;
    const deleted = job.tasks.splice(0, limit).length;
    if (deleted < limit) job.tasksPurgedAt = now;
    return deleted;
  }

  async jobsToDelete(finishedBefore: number, limit: number): Promise<{ jobKey: number; jobId: string | null }[]> {
    return this.finishedBefore(finishedBefore).slice(0, limit).map((j) => ({ jobKey: j.jobKey, jobId: j.jobId }));
  }

  private finishedBefore(time: number): MemoryJob[] {
    return [...this.jobs.values()]
      .filter((j) => isFinishedJobStatus(j.status) && j.finishedAt !== null && j.finishedAt < time)
      .sort((a, b) => a.finishedAt! - b.finishedAt!);
  }

  async deleteJob(jobKey: number): Promise<void> {
    this.jobs.delete(jobKey);
    this.eventLog.delete(jobKey);
    this.interest.delete(jobKey);
  }

  async addTasks(jobKey: number, states: string[], events?: ChangeEvents<AddedTasks>): Promise<AddedTasks | { status: JobStatus | 'DRAFT' } | null> {
    const job = this.jobs.get(jobKey);
    if (!job) return null;
    if (!isActiveJobStatus(job.status)) return { status: job.status };
    const firstIndex = Math.max(job.nextIndex, job.tasks.length === 0 ? 0 : job.tasks[job.tasks.length - 1].index + 1);
    const result: AddedTasks = { job: { ...this.row(job), total: job.total + states.length }, firstIndex, count: states.length };
    const built = events?.build(result) ?? [];
    states.forEach((state, i) => {
      job.tasks.push({ index: firstIndex + i, status: 'SCHEDULED', state, attempt: 0, leaseOwner: null, leaseExpires: null, runAfter: 0, error: null });
    });
    job.total += states.length;
    reportWritten(events, [this.writeChangeEvents(jobKey, events, built)]);
    return result;
  }

  async deleteTask(jobKey: number, index: number, events?: ChangeEvents<DeletedTask>): Promise<DeletedTask | { status: JobStatus | 'DRAFT' } | 'no-task' | null> {
    const job = this.jobs.get(jobKey);
    if (!job) return null;
    if (!isActiveJobStatus(job.status)) return { status: job.status };
    const task = taskAt(job, index);
    if (!task) return 'no-task';
    const counter = task.status === 'DONE' ? 'done' : task.status === 'FAILED' ? 'failed' : task.status === 'CANCELLED' ? 'cancelled' : null;
    const after = { ...this.row(job), total: job.total - 1, ...(counter ? { [counter]: job[counter] - 1 } : {}) };
    const result: DeletedTask = { job: after, index, status: task.status, leaseOwner: task.status === 'IN_PROGRESS' ? task.leaseOwner : null };
    const built = events?.build(result) ?? [];
    job.tasks.splice(job.tasks.indexOf(task), 1);
    job.nextIndex = Math.max(job.nextIndex, index + 1);
    job.total -= 1;
    if (counter) job[counter] -= 1;
    reportWritten(events, [this.writeChangeEvents(jobKey, events, built)]);
    return result;
  }

  async claimFinish(jobKey: number, owner: string, now: number, leaseMs: number): Promise<FinishClaim | null> {
    const job = this.jobs.get(jobKey);
    if (!job || job.status !== 'IN_PROGRESS' || !allTasksFinished(job) || (job.finishOwner !== null && job.finishUntil >= now)) return null;
    job.finishOwner = owner;
    job.finishUntil = now + leaseMs;
    const { status, total, done, failed, cancelled } = job;
    return { attempt: job.finishAttempts + 1, counters: { status, total, done, failed, cancelled } };
  }

  async renewFinish(jobKey: number, owner: string, until: number): Promise<boolean> {
    const job = this.jobs.get(jobKey);
    if (!job || job.finishOwner !== owner) return false;
    job.finishUntil = until;
    return true;
  }

  async finishJob(jobKey: number, owner: string, now: number, attempt: number | null, events?: ChangeEvents<JobRow>): Promise<{ finished: boolean; job: JobRow | null }> {
    const job = this.jobs.get(jobKey);
    if (!job) return { finished: false, job: null };
    if (attempt !== null) {
      if (job.finishOwner !== owner) return { finished: false, job: this.row(job) };
      Object.assign(job, { finishOwner: null, finishUntil: 0, finishAttempts: attempt });
    }
    if (job.status !== 'IN_PROGRESS' || !allTasksFinished(job) || (job.finishOwner !== null && job.finishUntil >= now)) return { finished: false, job: this.row(job) };
    const finished: JobRow = { ...this.row(job), status: finishedJobStatus(job), finishedAt: now };
    const built = events?.build(finished) ?? [];
    job.status = finished.status;
    job.finishedAt = now;
    reportWritten(events, [this.writeChangeEvents(jobKey, events, built)]);
    return { finished: true, job: finished };
  }

  private readonly locks = new Map<string, { owner: string; expiresAt: number }>();

  async acquireLock(name: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    const held = this.locks.get(name);
    if (held && held.owner !== owner && held.expiresAt >= now) return false;
    this.locks.set(name, { owner, expiresAt: now + ttlMs });
    return true;
  }

  async renewLock(name: string, owner: string, expiresAt: number): Promise<boolean> {
    const held = this.locks.get(name);
    if (!held || held.owner !== owner) return false;
    held.expiresAt = expiresAt;
    return true;
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    if (this.locks.get(name)?.owner === owner) this.locks.delete(name);
  }

  async heartbeat(worker: WorkerInfo, leaseMs: number): Promise<void> {
    this.workers.set(worker.owner, { ...worker });
    for (const job of this.jobs.values()) {
      for (const task of job.tasks) {
        if (task.status === 'IN_PROGRESS' && task.leaseOwner === worker.owner) task.leaseExpires = worker.heartbeatAt + leaseMs;
      }
    }
    for (const owners of this.interest.values()) {
      const row = owners.get(worker.owner);
      if (row && row.slots > 0) row.slotsExpire = worker.heartbeatAt + leaseMs;
    }
  }

  async listWorkers(): Promise<WorkerInfo[]> {
    return [...this.workers.values()];
  }

  async recoverExpiredLeases(now: number, deadOwners: string[]): Promise<number> {
    let n = 0;
    for (const job of this.jobs.values()) {
      for (const task of job.tasks) {
        if (task.status !== 'IN_PROGRESS' || !((task.leaseExpires ?? 0) < now || deadOwners.includes(task.leaseOwner ?? ''))) continue;
        if (job.status === 'CANCELLED') {
          task.status = 'CANCELLED';
          job.cancelled++;
        } else {
          task.status = 'SCHEDULED';
        }
        task.leaseOwner = null;
        task.leaseExpires = null;
        n++;
      }
    }
    for (const job of this.jobs.values()) if (job.finishOwner !== null && deadOwners.includes(job.finishOwner)) job.finishUntil = 0;
    for (const owner of deadOwners) {
      this.workers.delete(owner);
      for (const owners of this.interest.values()) owners.delete(owner);
    }
    return n;
  }

  async releaseOwner(owner: string): Promise<void> {
    await this.recoverExpiredLeases(0, [owner]);
  }

  async discardStaleDrafts(deadOwners: string[], olderThan: number): Promise<number> {
    let n = 0;
    for (const [key, job] of this.jobs) {
      if (job.status === 'DRAFT' && (job.createdAt < olderThan || deadOwners.includes(job.owner ?? ''))) {
        this.jobs.delete(key);
        n++;
      }
    }
    return n;
  }

  /**
   * What the store holds, as a test reads the database stores' tables: the contract suite checks
   * every status a call changes (test/plugin/store-helpers.ts `transitionChecked`) and the run
   * slots each owner reserves. A copy.
   */
  snapshot(): {
    jobs: { jobKey: number; status: JobStatus | 'DRAFT' }[];
    tasks: { jobKey: number; index: number; status: TaskStatus }[];
    interest: { jobKey: number; owner: string; at: number; slots: number; slotsExpire: number }[];
  } {
    const jobs = [...this.jobs.values()];
    return {
      jobs: jobs.map((j) => ({ jobKey: j.jobKey, status: j.status })),
      tasks: jobs.flatMap((j) => j.tasks.map((t) => ({ jobKey: j.jobKey, index: t.index, status: t.status }))),
      interest: [...this.interest].flatMap(([jobKey, owners]) => [...owners.values()].map((row) => ({ jobKey, ...row }))),
    };
  }

  private must(jobKey: number): MemoryJob {
    const job = this.jobs.get(jobKey);
    if (!job) throw new Error(`No job with key ${jobKey}`);
    return job;
  }

  private row(job: MemoryJob): JobRow {
    const { tasks: _tasks, owner: _owner, finishOwner: _fo, finishUntil: _fu, finishAttempts: _fa, nextIndex: _ni, tasksPurgedAt: _tp, state, ...rest } = job;
    return { ...rest, state: JSON.parse(state) };
  }
}
