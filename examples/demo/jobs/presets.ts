/**
 * The demo's ready-made jobs, one handler each, offered by the page's "Start some jobs" form
 * (`GET /api/demo-handlers`) and started by `POST /api/create-job/ { "handler": "<name>" }`.
 * Each runs demo-job.ts's task (wait `taskMs`, fail when listed); they differ in size, speed,
 * parallelism and failures, so a person sees every state the UI shows.
 */
export interface DemoPreset {
  /** Tasks a job gets unless the request says `tasks`. */
  tasks: number;
  /** How long each task takes. */
  taskMs: number;
  /** Every `failEvery`-th task throws (0: none). */
  failEvery: number;
  parallelLimit: number;
  maxAttempts: number;
}

export const DEMO_PRESETS: Record<string, DemoPreset> = {
  /** Done in about a second. */
  quick_job: { tasks: 20, taskMs: 200, failEvery: 0, parallelLimit: 5, maxAttempts: 1 },
  /** About half a minute: time to open it and cancel it. */
  slow_job: { tasks: 30, taskMs: 2000, failEvery: 0, parallelLimit: 2, maxAttempts: 1 },
  /** Every fifth task fails twice (one retry), so the job ends DONE_WITH_ERRORS. */
  failing_job: { tasks: 50, taskMs: 150, failEvery: 5, parallelLimit: 5, maxAttempts: 2 },
  /** 20,000 tasks: pagination of the task table, and progress that moves by itself. */
  huge_job: { tasks: 20_000, taskMs: 2, failEvery: 0, parallelLimit: 20, maxAttempts: 1 },
};

/** Indexes of the tasks that fail in a job of `tasks` tasks of this preset. */
export function failingTasks(preset: DemoPreset, tasks: number): number[] {
  if (preset.failEvery <= 0) return [];
  const failing: number[] = [];
  for (let i = preset.failEvery - 1; i < tasks; i += preset.failEvery) failing.push(i);
  return failing;
}
