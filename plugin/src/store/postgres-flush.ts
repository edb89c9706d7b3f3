/**
 * The group commit of a job runner on PostgreSQL: one round trip, one transaction. It is a
 * PL/pgSQL function installed by `migrate()`, called as one prepared statement in autocommit
 * (the server plans its statements once per connection, not on every flush):
 *
 * 1. One statement writes this owner's states, finishes and reschedules (`UPDATE … FROM unnest(…)`),
 *    only rows it leases, and counts what changed — before the job lock, so several replicas'
 *    flushes of one job write their task rows at the same time.
 * 2. `SELECT … FOR UPDATE` of the job row serialises the rest of the flushes of one job.
 * 3. One statement of data-modifying CTEs moves the counters and, at the end, the job status,
 *    takes or gives back run slots, and claims the next tasks with `FOR UPDATE SKIP LOCKED`; the
 *    flush's events, and the job:finished of the flush that finished the job, get their numbers.
 *
 * Why the lock is its own statement: a statement reads one snapshot, taken when it starts. Had the
 * job lock been a CTE of statement 3, a flush that waited for it would count tasks as they were
 * before the flush it waited for. Under READ COMMITTED each statement of a (volatile) function
 * takes a new snapshot, so statement 3 sees every flush that committed before the lock was got.
 *
 * Lock order: task rows, then the job row. Writers that take the job row first and then wait for
 * an IN_PROGRESS row of this owner (deleteJob; cancelJob, which ends the running tasks; the
 * recovery pass for a lease that expired while its owner still flushes) can deadlock with a
 * flush; PostgreSQL fails one of the two and the store runs it again (`retryDeadlock`; a contract test drives exactly that interleaving).
 *
 * Why a function: from the client the same work is BEGIN / lock / flush / COMMIT, four round
 * trips, or one multi-statement simple query that the server re-plans every time (~0.6 ms).
 */
import { createHash } from 'node:crypto';
import type { FlushInput } from './job-store.js';
import { FINISHED_JOB_STATUSES, sqlInList } from '../statuses.js';
import { eventPayload } from './event-batches.js';
import { FINISHED_JOB_STATUS_SQL, FLUSH_FINISHES_JOB_SQL, taskWrites } from './flush-plan.js';

/** PostgreSQL text cannot hold NUL; an error message with one would fail every flush. */
export function withoutNul(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}

/**
 * $1 job_key, $2 owner, $3 now, $4–$8 the task writes (idx, state, status, error, run_after),
 * $9 tasks wanted, $10 parallel limit, $11 lease expiry of claimed tasks, $12 last error,
 * $13 how long an owner's interest in the job counts, $14 / $15 the number of events and their JSON
 * array (written by the function around this statement, see CREATE_FLUSH_FUNCTION), $16 claim-ahead
 * (FlushInput.ahead), $17 the tasks this owner is running (FlushInput.executing; -1: all it holds),
 * $18 the job's names and the time as JSON, for the job:finished event (FlushInput.job; null: none),
 * $19 true: this flush never finishes the job (FlushInput.holdFinish; the engine's finishJob does,
 * after the handler's beforeJobFinish).
 *
 * Statement 3. Runs with the job row locked, so the job's counters are current. No query here counts or walks
 * rows of finished tasks, and no index covers a column a claim or a finish changes (migration 5:
 * the task rows are then updated in place on their page, and the primary key is all a claim
 * reads). So:
 * - `af_bj_jobs.running` counts the job's IN_PROGRESS tasks, `af_bj_interest.running` this
 *   owner's share; both move with every change of a task to or from IN_PROGRESS (here and in the
 *   recovery pass, always under the job row lock).
 * - `af_bj_jobs.claim_from`: no task of the job from there on was ever claimed. The claim takes
 *   the tasks that came back (`returned`: rescheduled, lost, released or retried — always below
 *   claim_from; their own small index) first, then walks the primary key from claim_from
 *   (`pick_new`), and moves claim_from to the first task it leaves. `addTasks` brings it down to its
 *   first new task when it had gone past them (the end of the job: 2147483647).
 *
 * Whether the flush finishes the job, and as what, is flush-plan.ts's rule in SQL
 * (`FLUSH_FINISHES_JOB_SQL`, `FINISHED_JOB_STATUS_SQL`, over the columns of `calc`): the rule the
 * other stores follow in `planFlush`.
 *
 * `changed` returns the tasks really written: only those this owner still leases, and a finish or
 * reschedule only of an IN_PROGRESS task (`released`). The claim reads the statement's snapshot,
 * so it cannot pick a task this statement reschedules; `next_retry` covers those for nextRunAt.
 *
 * Run slots (slots.ts, the same rules in SQL): the owner's `af_bj_interest` row holds its slots and
 * their expiry next to its interest (`at`) and its count of leased tasks (`running`); a flush that
 * wants tasks refreshes its interest, takes or gives back slots, and leases at most its slots plus
 * `ahead` (none without a slot).
 */
export const TASK_WRITES_SQL = `
WITH u AS (
  SELECT * FROM unnest($4::int[], $5::text[], $6::text[], $7::text[], $8::bigint[]) AS u(idx, state, status, error, run_after)
),
changed AS (
  UPDATE af_bj_tasks t SET
    state = COALESCE(u.state, t.state),
    status = COALESCE(u.status, t.status),
    error = CASE WHEN u.status IS NULL THEN t.error ELSE u.error END,
    run_after = CASE WHEN u.status = 'SCHEDULED' THEN u.run_after ELSE t.run_after END,
    lease_owner = CASE WHEN u.status IS NULL THEN t.lease_owner END,
    lease_expires = CASE WHEN u.status IS NULL THEN t.lease_expires END,
    returned = CASE WHEN u.status IS NULL THEN t.returned ELSE u.status = 'SCHEDULED' END
  FROM u
  WHERE t.job_key = $1::bigint AND t.idx = u.idx AND t.lease_owner = $2::text
    AND (u.status IS NULL OR t.status = 'IN_PROGRESS')
  RETURNING u.idx, u.status, u.run_after
)
SELECT count(*) FILTER (WHERE status = 'DONE')::int,
       count(*) FILTER (WHERE status = 'FAILED')::int,
       count(*) FILTER (WHERE status = 'CANCELLED')::int,
       count(*) FILTER (WHERE status IS NOT NULL)::int,
       min(run_after) FILTER (WHERE status = 'SCHEDULED')
  INTO v_done, v_failed, v_cancelled, v_released, v_next_retry
FROM changed`;

export const FLUSH_SQL = `
WITH delta AS (
  SELECT v_done AS done, v_failed AS failed, v_cancelled AS cancelled, v_released AS released,
         v_next_retry AS next_retry
),
calc AS (
  SELECT j.status AS old_status, j.total, j.last_error AS old_error,
         j.done + d.done AS done, j.failed + d.failed AS failed, j.cancelled + d.cancelled AS cancelled,
         d.done + d.failed + d.cancelled AS finished_now, d.released, d.next_retry,
         GREATEST(0, j.running - d.released) AS running, j.claim_from, $19::boolean AS hold
  FROM af_bj_jobs j, delta d
  WHERE j.job_key = $1::bigint
),
fin AS (
  SELECT *, (${FLUSH_FINISHES_JOB_SQL}) AS finishes_job FROM calc
),
cur AS (
  SELECT CASE WHEN finishes_job THEN (${FINISHED_JOB_STATUS_SQL}) ELSE old_status END AS status,
         total, done, failed, cancelled, finished_now, released, next_retry, running, claim_from, finishes_job,
         COALESCE($12::text, old_error) AS last_error,
         (old_status = 'IN_PROGRESS' AND NOT finishes_job AND $9::int > 0) AS wants
  FROM fin
),
owners AS (
  SELECT COALESCE(max(running) FILTER (WHERE owner = $2::text), 0)::int AS my_running,
         COALESCE(max(slots) FILTER (WHERE owner = $2::text AND slots_expire >= $3::bigint), 0)::int AS my_slots,
         COALESCE(max(slots) FILTER (WHERE owner = $2::text), 0)::int AS my_stored_slots,
         COALESCE(sum(slots) FILTER (WHERE owner <> $2::text AND slots_expire >= $3::bigint), 0)::int AS other_slots,
         count(*) FILTER (WHERE owner <> $2::text AND at >= $3::bigint - $13::bigint)::int + 1 AS interested
  FROM af_bj_interest WHERE job_key = $1::bigint
),
mine AS (
  SELECT GREATEST(0, owners.my_running - cur.released) AS n FROM owners, cur
),
slot AS (
  SELECT CASE
      WHEN NOT cur.wants THEN LEAST(owners.my_slots, ex.n)
      WHEN owners.my_slots >= share.n THEN GREATEST(share.n, LEAST(owners.my_slots, ex.n))
      ELSE owners.my_slots + GREATEST(0, LEAST(share.n - owners.my_slots, $10::int - owners.other_slots - owners.my_slots))
    END AS stored,
    CASE
      WHEN NOT cur.wants THEN 0
      WHEN owners.my_slots >= share.n THEN share.n
      ELSE owners.my_slots + GREATEST(0, LEAST(share.n - owners.my_slots, $10::int - owners.other_slots - owners.my_slots))
    END AS lim,
    ex.n AS executing
  FROM cur, owners,
    (SELECT CASE WHEN $17::int < 0 THEN mine.n ELSE $17::int END AS n FROM mine) ex,
    (SELECT LEAST($10::int, ($10::int + owners.interested - 1) / owners.interested) AS n FROM owners) share
),
want AS (
  SELECT CASE WHEN cur.wants AND slot.lim > 0 THEN GREATEST(0, LEAST($9::int, slot.lim + $16::int - mine.n)) ELSE 0 END AS n
  FROM cur, slot, mine
),
pick_back AS (
  SELECT idx FROM af_bj_tasks
  WHERE job_key = $1::bigint AND returned AND status = 'SCHEDULED' AND run_after <= $3::bigint
  ORDER BY idx
  LIMIT COALESCE((SELECT n FROM want), 0)
  FOR UPDATE SKIP LOCKED
),
pick_new AS (
  SELECT idx FROM af_bj_tasks
  WHERE job_key = $1::bigint AND idx >= (SELECT claim_from FROM cur) AND status = 'SCHEDULED' AND NOT returned AND run_after <= $3::bigint
  ORDER BY idx
  LIMIT GREATEST(0, COALESCE((SELECT n FROM want), 0) - (SELECT count(*) FROM pick_back))
  FOR UPDATE SKIP LOCKED
),
pick AS (SELECT idx FROM pick_back UNION ALL SELECT idx FROM pick_new),
claimed AS (
  UPDATE af_bj_tasks t SET status = 'IN_PROGRESS', attempt = t.attempt + 1, lease_owner = $2::text, lease_expires = $11::bigint, returned = false
  WHERE t.job_key = $1::bigint AND t.idx = ANY (ARRAY(SELECT idx FROM pick))
  RETURNING t.idx, t.state, t.attempt
),
claimed_count AS (SELECT count(*)::int AS n FROM claimed),
kept AS (
  SELECT LEAST(slot.stored, GREATEST(slot.executing, mine.n + claimed_count.n)) AS stored,
         LEAST(slot.lim, slot.stored, GREATEST(slot.executing, mine.n + claimed_count.n)) AS lim
  FROM slot, mine, claimed_count
),
next_from AS (
  SELECT COALESCE((SELECT idx FROM af_bj_tasks
      WHERE job_key = $1::bigint AND idx >= cur.claim_from AND status = 'SCHEDULED' AND NOT returned AND idx NOT IN (SELECT idx FROM pick_new)
      ORDER BY idx LIMIT 1), 2147483647) AS idx
  FROM cur
),
job AS (
  UPDATE af_bj_jobs j SET
    done = cur.done, failed = cur.failed, cancelled = cur.cancelled,
    last_error = COALESCE($12::text, j.last_error),
    status = cur.status,
    finished_at = CASE WHEN cur.finishes_job THEN $3::bigint ELSE j.finished_at END,
    running = cur.running + claimed_count.n,
    claim_from = next_from.idx
  FROM cur, claimed_count, next_from
  WHERE j.job_key = $1::bigint
    AND (cur.released > 0 OR claimed_count.n > 0 OR $12::text IS NOT NULL OR next_from.idx <> j.claim_from)
),
interest AS (
  INSERT INTO af_bj_interest AS i (job_key, owner, at, running, slots, slots_expire)
  SELECT $1::bigint, $2::text, CASE WHEN cur.wants THEN $3::bigint ELSE 0 END, GREATEST(0, claimed_count.n - cur.released), kept.stored, $11::bigint
  FROM cur, claimed_count, kept, owners
  WHERE cur.wants OR cur.released > 0 OR claimed_count.n > 0 OR kept.stored <> owners.my_stored_slots
  ON CONFLICT (job_key, owner) DO UPDATE SET
    at = CASE WHEN excluded.at > 0 THEN excluded.at ELSE i.at END,
    running = GREATEST(0, i.running + (SELECT claimed_count.n - cur.released FROM cur, claimed_count)),
    slots = excluded.slots,
    slots_expire = excluded.slots_expire
)
SELECT cur.status, cur.total, cur.done, cur.failed, cur.cancelled, cur.finishes_job,
  cur.running + claimed_count.n,
  (SELECT lim FROM kept),
  (SELECT COALESCE(json_agg(json_build_object('index', idx, 'state', state, 'attempt', attempt) ORDER BY idx), '[]'::json) FROM claimed),
  CASE WHEN claimed_count.n < (SELECT n FROM want) THEN
    LEAST(
      (SELECT min(run_after) FROM af_bj_tasks
        WHERE job_key = $1::bigint AND returned AND status = 'SCHEDULED' AND idx NOT IN (SELECT idx FROM pick)),
      (SELECT t.run_after FROM af_bj_tasks t, next_from WHERE t.job_key = $1::bigint AND t.idx = next_from.idx),
      cur.next_retry)
  END,
  cur.last_error
  INTO v_status, v_total, v_done, v_failed, v_cancelled, v_finished_job, v_running, v_slots, v_claimed, v_next_run_at, v_last_error
FROM cur, claimed_count`;

const FLUSH_RESULT = `status text, total int, done int, failed int, cancelled int, finished_job boolean,
  running int, slots int, claimed json, next_run_at bigint, event_seq bigint, last_error text`;

const FLUSH_ARGS = 'bigint, text, bigint, int[], text[], text[], text[], bigint[], int, int, bigint, text, bigint, int, text, int, int, text, boolean';

/** The function's body (PL/pgSQL). */
const FLUSH_BODY = `#variable_conflict use_column
DECLARE
  v_seq bigint;
  v_done int; v_failed int; v_cancelled int; v_released int; v_next_retry bigint;
  v_status text; v_total int; v_finished_job boolean; v_running int; v_slots int; v_claimed json;
  v_next_run_at bigint; v_last_error text;
BEGIN
  -- 1. This owner's task writes, before the job lock: they touch only rows it leases, so the
  --    writes of other replicas' flushes of the job go on at the same time.
  ${TASK_WRITES_SQL};
  -- 2. The job row lock serialises the rest (counters, run slots, claim, event numbers).
  PERFORM 1 FROM af_bj_jobs WHERE job_key = $1 FOR UPDATE;
  -- The flush's events ($14 of them, JSON $15): one row of the durable log, numbered after the
  -- job's last event, and a notification every replica's log follower receives at commit. None
  -- when the job had already finished (cancelled meanwhile): its task writes changed nothing.
  IF $14 > 0 THEN
    UPDATE af_bj_jobs SET last_seq = last_seq + $14
    WHERE job_key = $1 AND status NOT IN (${sqlInList(FINISHED_JOB_STATUSES)}) RETURNING last_seq INTO v_seq;
    IF v_seq IS NOT NULL THEN
      INSERT INTO af_bj_events (job_key, seq, first_seq, owner, at, payload) VALUES ($1, v_seq, v_seq - $14 + 1, $2, $3, $15);
    END IF;
  END IF;
  ${FLUSH_SQL};
  IF NOT FOUND THEN RETURN; END IF;
  -- 3. The flush that finished the job logs its job:finished in the same transaction ($18: the
  --    job's names and the time, as finishedEventOf in event-batches.ts).
  IF v_finished_job AND $18 IS NOT NULL THEN
    UPDATE af_bj_jobs SET last_seq = last_seq + 1 WHERE job_key = $1 RETURNING last_seq INTO v_seq;
    INSERT INTO af_bj_events (job_key, seq, first_seq, owner, at, payload) VALUES ($1, v_seq, v_seq, $2, $3,
      jsonb_build_array(($18::jsonb) || jsonb_build_object('type', 'job:finished', 'status', v_status, 'progress', 100)
        || CASE WHEN v_failed > 0 AND v_last_error IS NOT NULL THEN jsonb_build_object('error', v_last_error) ELSE '{}'::jsonb END)::text);
  END IF;
  IF v_seq IS NOT NULL THEN PERFORM pg_notify('af_bj_events', $1::text || ':' || v_seq::text || ':' || $2); END IF;
  RETURN QUERY SELECT v_status, v_total, v_done, v_failed, v_cancelled, v_finished_job, v_running, v_slots, v_claimed, v_next_run_at, v_seq, v_last_error;
END
`;

/** The function's planner settings (see CREATE_FLUSH_FUNCTION). */
const FLUSH_SETTINGS = 'SET enable_seqscan = off\nSET enable_bitmapscan = off';

/**
 * The function's name carries a hash of its definition: a new plugin version installs its own
 * function next to the old one, so replicas of both versions can run during a rolling deploy.
 */
export const FLUSH_FUNCTION = `af_bj_flush_${createHash('sha256').update(FLUSH_ARGS + FLUSH_RESULT + FLUSH_SETTINGS + FLUSH_BODY).digest('hex').slice(0, 12)}`;

/**
 * Creates (or re-creates, unchanged) the flush function. `use_column`: the OUT columns share names
 * with table columns. `enable_seqscan = off`: the function's plans are cached as generic plans,
 * and with one big job in the table `job_key = $1` looks like "every row" to the planner, which
 * would then scan the table; every statement here is meant to run on an index. For the same
 * reason `enable_bitmapscan = off`: a bitmap scan of the primary key would read every task from
 * claim_from to the end of the job and sort them, where the claim wants the first few in order.
 */
export const CREATE_FLUSH_FUNCTION = `CREATE OR REPLACE FUNCTION ${FLUSH_FUNCTION}(${FLUSH_ARGS})
RETURNS TABLE (${FLUSH_RESULT})
LANGUAGE plpgsql VOLATILE
${FLUSH_SETTINGS}
AS $af_bj$
${FLUSH_BODY}$af_bj$`;

/** The call, as one named prepared statement. */
export const CALL_FLUSH = {
  name: FLUSH_FUNCTION,
  text: `SELECT * FROM ${FLUSH_FUNCTION}(${Array.from({ length: 19 }, (_, i) => `$${i + 1}`).join(', ')})`,
};

/** The parameters of FLUSH_SQL for one flush. */
export function flushParams(input: FlushInput): unknown[] {
  const writes = taskWrites(input);
  // int / bigint parameters: pg rejects a fractional number (SQLite would store it as REAL).
  const clamp = (n: number) => Math.max(0, Math.min(Math.floor(n), 2_147_483_647));
  return [
    input.jobKey,
    input.owner,
    Math.round(input.now),
    writes.map((w) => w.index),
    writes.map((w) => w.state),
    writes.map((w) => w.status),
    writes.map((w) => (w.error === null ? null : withoutNul(w.error))),
    writes.map((w) => (w.runAfter === null ? null : Math.round(w.runAfter))),
    clamp(input.claim),
    clamp(input.parallelLimit),
    Math.round(input.now + input.leaseMs),
    input.lastError ? withoutNul(input.lastError) : null,
    Math.round(input.interestTtlMs),
    input.events?.length ?? 0,
    input.events && input.events.length > 0 ? withoutNul(eventPayload(input.events)) : null,
    clamp(input.ahead ?? 0),
    input.executing === undefined ? -1 : clamp(input.executing),
    input.job ? JSON.stringify({ jobId: input.job.jobId, handler: input.job.handler, startedBy: input.job.startedBy, finishedAt: new Date(input.now).toISOString() }) : null,
    input.holdFinish === true,
  ];
}
