/**
 * Run slots: how `parallelLimit` holds across replicas while each runner leases ahead.
 *
 * A job has `parallelLimit` slots. An owner runs at most as many of the job's tasks at once as it
 * holds slots, whatever it has leased (claim-ahead leases more than it runs). Slots live in the
 * owner's `af_bj_interest` row (`slots`, reserved until `slots_expire`, renewed by heartbeats like
 * task leases) and change only inside a flush, under the job row lock, so the slots of the live
 * rows never add up to more than `parallelLimit`:
 *
 * - an owner's fair share is ceil(parallelLimit / owners interested lately);
 * - below its share it takes free slots (parallelLimit minus every live reservation);
 * - above it (another owner arrived) it starts nothing beyond its share and gives back each slot
 *   as the task on it ends;
 * - it keeps no more slots than tasks it holds (an idle owner keeps none, so an owner holding
 *   leased tasks cannot wait forever behind idle ones);
 * - a flush that stops claiming (stop, cancel, job over) keeps only the slots of running tasks.
 *
 * An owner that stalls past its reservation loses its slots as it loses its leases: the one case
 * where the limit can be exceeded, as the task lease's own caveat.
 */

/** An owner's row as the stores read it. */
export interface SlotRow {
  owner: string;
  /** When the owner last wanted tasks of the job (epoch ms). */
  at: number;
  slots: number;
  /** The reservation holds until then (epoch ms). */
  slotsExpire: number;
}

export interface SlotView {
  /** Owners interested lately, this one included. */
  interested: number;
  /** Slots this owner holds (0 if its reservation expired). */
  mine: number;
  /** Slots other owners hold (live reservations only). */
  others: number;
}

export function slotView(rows: SlotRow[], owner: string, now: number, interestTtlMs: number): SlotView {
  let interested = 1;
  let mine = 0;
  let others = 0;
  for (const row of rows) {
    const live = row.slotsExpire >= now;
    if (row.owner === owner) {
      if (live) mine = row.slots;
    } else {
      if (row.at >= now - interestTtlMs) interested++;
      if (live) others += row.slots;
    }
  }
  return { interested, mine, others };
}

/** `stored`: the slots reserved after the flush; `limit`: how many tasks the owner may run at once (≤ stored). */
export interface SlotGrant {
  stored: number;
  limit: number;
}

/** The owner's slots before this flush's claim. `executing`: its tasks running right now. */
export function grantSlots(view: SlotView, parallelLimit: number, executing: number, claiming: boolean): SlotGrant {
  const { interested, mine, others } = view;
  if (!claiming) return { stored: Math.min(mine, executing), limit: 0 };
  const share = Math.min(parallelLimit, Math.ceil(parallelLimit / Math.max(1, interested)));
  // Over its share: the running tasks keep their slots until they end; nothing new starts.
  if (mine >= share) return { stored: Math.max(share, Math.min(mine, executing)), limit: share };
  const stored = mine + Math.max(0, Math.min(share - mine, parallelLimit - others - mine));
  return { stored, limit: stored };
}

/**
 * Tasks to lease now: up to the limit plus `ahead`, minus what the owner holds already; none
 * without a slot (leased tasks that cannot start would only wait).
 */
export function tasksToClaim(claim: number, limit: number, ahead: number, held: number): number {
  if (limit <= 0) return 0;
  return Math.max(0, Math.min(claim, limit + ahead - held));
}

/** After the claim: no more slots than tasks held (`heldAfter`), never fewer than tasks running. */
export function keepSlots(grant: SlotGrant, executing: number, heldAfter: number): SlotGrant {
  const stored = Math.min(grant.stored, Math.max(executing, heldAfter));
  return { stored, limit: Math.min(grant.limit, stored) };
}
