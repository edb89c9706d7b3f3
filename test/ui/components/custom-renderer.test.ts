/**
 * The seed's "Custom job state renderer": job details mount the component registered with
 * `registerTaskDetailsComponent` (resolved by name, as `componentsToExplicitRegister` registers
 * it) with exactly the seed's props, and the seed's JobCustomComponent.vue works unchanged.
 */
import { describe, expect, it, vi } from 'vitest';
import { defineComponent, h, type PropType } from 'vue';
import JobDetails from '../../../plugin/custom/JobDetails.vue';
// The seed page's component, the copy the demo app registers (examples/demo/custom).
import JobCustomComponent from '@@/JobCustomComponent.vue';
import { componentNameOf } from '../stand-ins/utils';
import { emit, listenerCount } from '../stand-ins/websocket';
import { allowConsole, fakeApi, instancesAnswer, meta, mountWithI18n, settle, until } from '../helpers';
import { details, info } from '../fixtures';

const FILE = '@@/JobCustomComponent.vue';
const JOB_TOPIC = '/background-jobs-job-update';

function customJobApi(taskStates: { state: Record<string, any>; status: string }[]) {
  const job = details({ id: 'job-42', name: 'Example Job', handler: 'example_job_handler', status: 'IN_PROGRESS', progress: 33 });
  const api = fakeApi({
    'jobs/get': () => ({ job }),
    '/plugin/get-background-job-info': () => info(job, { file: FILE }),
    '/plugin/background-jobs/instances': () => instancesAnswer('1'),
    'get-tasks': (body) => ({ ok: true, data: { tasks: taskStates.slice(body.offset, body.offset + body.limit), total: taskStates.length } }),
    'jobs/tasks': () => ({ tasks: [], total: 0 }),
  });
  return { job, api };
}

describe('the custom task renderer', () => {
  it('mounts the registered component with exactly meta, getJobTasks and job { id, name, status, progress, createdAt, customComponent }', async () => {
    const received: any[] = [];
    const Probe = defineComponent({
      props: {
        meta: { type: null as unknown as PropType<any>, required: true },
        getJobTasks: { type: Function as PropType<(limit?: number, offset?: number) => Promise<{ state: Record<string, any>; status: string }[]>>, required: true },
        job: { type: Object, required: true },
      },
      setup(props, { attrs }) {
        received.push({ props, attrs });
        return () => h('div', { 'data-testid': 'probe' }, `${props.job.status} ${props.job.progress}`);
      },
    });
    const { api } = customJobApi([{ state: { step: 1 }, status: 'DONE' }, { state: { step: 2 }, status: 'IN_PROGRESS' }]);
    const wrapper = mountWithI18n(JobDetails, {
      props: { jobId: 'job-42', meta },
      global: { components: { [componentNameOf(FILE)]: Probe } },
    });
    await settle();

    expect(wrapper.find('[data-testid="probe"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="task-table"]').exists()).toBe(false);
    const { props, attrs } = received[0];
    expect(Object.keys(attrs)).toEqual([]);
    expect(props.meta).toEqual({ file: FILE });
    expect(Object.keys(props.job).sort()).toEqual(['createdAt', 'customComponent', 'id', 'name', 'progress', 'status']);
    expect(props.job).toMatchObject({ id: 'job-42', name: 'Example Job', status: 'IN_PROGRESS', progress: 33, customComponent: { file: FILE } });
    expect(props.job.createdAt).toBeInstanceOf(Date);

    expect(await props.getJobTasks()).toEqual([{ state: { step: 1 }, status: 'DONE' }, { state: { step: 2 }, status: 'IN_PROGRESS' }]);
    expect(await props.getJobTasks(1, 1)).toEqual([{ state: { step: 2 }, status: 'IN_PROGRESS' }]);
    expect(api.callsTo('/get-tasks').map((c) => c.body)).toEqual([
      { jobId: 'job-42', limit: 10, offset: 0 },
      { jobId: 'job-42', limit: 1, offset: 1 },
    ]);

    // `job` is live.
    emit(JOB_TOPIC, { jobId: 'job-42', progress: 67 });
    await settle();
    expect(wrapper.find('[data-testid="probe"]').text()).toBe('IN_PROGRESS 67');
  });

  it("runs the seed's JobCustomComponent.vue unchanged: loads tasks and follows the task topic", async () => {
    // The seed logs what it does and unsubscribes with the deprecated `unsubscribe(topic)`.
    allowConsole(/This method is deprecated because it removes all subscriptions for the topic/);
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const states: { state: Record<string, any>; status: string }[] = [1, 2, 3, 4, 5, 6].map((step) => ({ state: { step }, status: 'SCHEDULED' }));
    const { api } = customJobApi(states);
    const wrapper = mountWithI18n(JobDetails, {
      props: { jobId: 'job-42', meta },
      global: { components: { [componentNameOf(FILE)]: JobCustomComponent } },
    });
    const seed = () => wrapper.findComponent(JobCustomComponent);
    await until(() => expect(seed().text()).toContain('"step": 6'));
    expect(seed().text()).toContain('Get Job Tasks');
    expect(api.callsTo('/get-tasks')[0].body).toEqual({ jobId: 'job-42', limit: 10, offset: 0 });
    expect(listenerCount('/background-jobs-task-update/job-42')).toBeGreaterThanOrEqual(2);

    emit('/background-jobs-task-update/job-42', { taskIndex: 0, status: 'IN_PROGRESS' });
    emit('/background-jobs-task-update/job-42', { taskIndex: 0, state: { step: 1, 1: 'Step 1 completed' } });
    emit('/background-jobs-task-update/job-42', { taskIndex: 0, status: 'DONE' });
    await settle();
    const shown = seed().text();
    expect(shown).toContain('"1": "Step 1 completed"');
    expect(shown).toMatch(/"status": "DONE"/);

    // Its button reloads through getJobTasks.
    states[1] = { state: { step: 2, 2: 'Step 2 completed' }, status: 'DONE' };
    await seed().find('button').trigger('click');
    await settle();
    expect(seed().text()).toContain('"2": "Step 2 completed"');

    wrapper.unmount();
    expect(listenerCount('/background-jobs-task-update/job-42')).toBe(0);
  });
});
