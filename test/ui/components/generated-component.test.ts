/**
 * The component `af-jobs add-component` generates (templates/add-component/custom/Tasks.vue.ejs),
 * rendered for a handler and mounted as the job details mount a custom renderer. AdminForth's SPA
 * websocket drops every subscription to a topic on `unsubscribe(topic)` and warns (contract §10;
 * the stand-in does the same): closing the generated component must remove only its own
 * subscription, so the details' own live updates go on, with no warning.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { renderTemplate } from '../../../src/scaffold/templates.js';
import websocket, { emit, listenerCount } from '../stand-ins/websocket';
import { settle } from '../helpers';

const dir = fs.mkdtempSync(path.join(path.dirname(new URL(import.meta.url).pathname), '.generated-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('unmounting it leaves the other subscriptions of the task topic alone and warns about nothing', async () => {
  const file = path.join(dir, 'SendEmailsTasks.vue');
  fs.writeFileSync(file, renderTemplate('add-component/custom/Tasks.vue.ejs', { jobHandlerName: 'send_emails' }));
  const { default: Generated } = await import(/* @vite-ignore */ file);

  const topic = '/background-jobs-task-update/job-7';
  // The job popup's own feed of the same topic.
  const seenByPopup: unknown[] = [];
  const unsubscribePopup = websocket.subscribe(topic, (data) => seenByPopup.push(data));

  const tasks = [{ state: { to: 'a@example.com' }, status: 'SCHEDULED' }];
  const wrapper = mount(Generated, {
    props: {
      meta: {},
      getJobTasks: async () => tasks.map((t) => ({ ...t })),
      job: { id: 'job-7', name: 'Send emails', status: 'IN_PROGRESS', progress: 0, createdAt: new Date() },
    },
  });
  await settle();
  expect(listenerCount(topic)).toBe(2);
  emit(topic, { taskIndex: 0, status: 'DONE' });
  await settle();
  expect(wrapper.text()).toContain('DONE');

  wrapper.unmount();
  expect(listenerCount(topic)).toBe(1);
  emit(topic, { taskIndex: 0, state: { sent: true } });
  expect(seenByPopup).toEqual([{ taskIndex: 0, status: 'DONE' }, { taskIndex: 0, state: { sent: true } }]);
  unsubscribePopup();
});
