/**
 * The documentation's `POST /api/create-job/` route. Without a body it starts the documented
 * example job; with `{ "handler", "tasks": <count>, "taskMs": <ms>, "failTasks": [<indexes>] }` it
 * starts a job of that many demo tasks. A preset handler (`quick_job`, `slow_job`, `failing_job`,
 * `huge_job`: jobs/presets.ts) fills what the body leaves out from its preset. Answers `{ ok, jobId }`.
 * `GET /api/demo-handlers` lists the presets for the page's "Start some jobs" form.
 */
import type AdminForth from 'adminforth';
import type BackgroundJobsPlugin from '@adminforth/background-jobs';
import { DEMO_PRESETS, failingTasks } from './jobs/presets.js';

const HANDLERS = ['example_job_handler', 'demo_job', ...Object.keys(DEMO_PRESETS)];

interface CreateJobBody {
  handler: string;
  tasks: number;
  taskMs: number;
  failTasks: number[];
}

function parseBody(body: any): CreateJobBody | string {
  const b = body && typeof body === 'object' ? body : {};
  const known = ['handler', 'tasks', 'taskMs', 'failTasks'];
  const unknown = Object.keys(b).filter((k) => !known.includes(k));
  if (unknown.length) return `Unknown field(s) ${unknown.join(', ')}: send any of ${known.join(', ')}`;
  const handler = b.handler ?? 'example_job_handler';
  if (!HANDLERS.includes(handler)) return `handler must be one of ${HANDLERS.join(', ')}, got ${JSON.stringify(handler)}`;
  const preset = DEMO_PRESETS[handler];
  const tasks = b.tasks ?? preset?.tasks ?? 6;
  if (!Number.isInteger(tasks) || tasks < 1 || tasks > 1_000_000) return `tasks must be an integer from 1 to 1000000, got ${JSON.stringify(b.tasks)}`;
  const taskMs = b.taskMs ?? preset?.taskMs ?? 0;
  if (!Number.isInteger(taskMs) || taskMs < 0 || taskMs > 600_000) return `taskMs must be an integer from 0 to 600000, got ${JSON.stringify(b.taskMs)}`;
  const failTasks = b.failTasks ?? (preset && Number.isInteger(tasks) ? failingTasks(preset, tasks) : []);
  if (!Array.isArray(failTasks) || !failTasks.every((i: unknown) => Number.isInteger(i))) return `failTasks must be an array of task indexes, got ${JSON.stringify(b.failTasks)}`;
  return { handler, tasks, taskMs, failTasks };
}

export function createJobRoute(admin: AdminForth) {
  return async (req: any, res: any) => {
    const backgroundJobsPlugin = admin.getPluginByClassName<BackgroundJobsPlugin>('default');
    if (!backgroundJobsPlugin) {
      res.status(404).json({ error: 'BackgroundJobsPlugin not found' });
      return;
    }
    const body = parseBody(req.body);
    if (typeof body === 'string') {
      res.status(400).json({ ok: false, error: body });
      return;
    }
    let jobId: string;
    if (body.handler === 'example_job_handler' && req.body?.tasks === undefined) {
      jobId = await backgroundJobsPlugin.startNewJob(
        'Example Job', //job name
        req.adminUser, // adminuser
        [
          { state: { step: 1 } },
          { state: { step: 2 } },
          { state: { step: 3 } },
          { state: { step: 4 } },
          { state: { step: 5 } },
          { state: { step: 6 } },
        ], //initial tasks
        'example_job_handler', //job handler name
      );
    } else {
      const fail = new Set(body.failTasks);
      const tasks = (function* () {
        for (let i = 0; i < body.tasks; i++) {
          yield { state: body.handler === 'example_job_handler' ? { step: i + 1 } : { taskMs: body.taskMs, fail: fail.has(i) } };
        }
      })();
      jobId = await backgroundJobsPlugin.startNewJob(`${body.handler} × ${body.tasks}`, req.adminUser, tasks, body.handler);
    }
    res.json({ ok: true, jobId, message: 'Job started' });
  };
}

/** `GET /api/demo-handlers`: the preset handlers and what a job of each does. */
export function demoHandlersRoute() {
  return (_req: any, res: any) => {
    res.json({
      handlers: Object.entries(DEMO_PRESETS).map(([name, p]) => ({
        name, tasks: p.tasks, taskMs: p.taskMs, failing: failingTasks(p, p.tasks).length, parallelLimit: p.parallelLimit, maxAttempts: p.maxAttempts,
      })),
    });
  };
}
