/**
 * The jobs resource's own pages (core `get_resource_data`, `update_record`, `delete_record`)
 * follow the plugin's rules (issue 16 §2): on real AdminForth they apply only the resource's
 * hooks and allowedActions, so a viewer listed and opened every job until the plugin put its
 * rules there. A viewer sees and manages only the jobs they started, an admin all; a custom
 * `canView` / `canManage` replaces that; the resource's own allowedActions (what `af-jobs init`
 * writes) add to the plugin's rules and never lift them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startJobsApp, seedJobsResource, type JobsApp } from './fixtures.js';
import { post, type Credentials } from './http-helpers.js';
import { availableDbKinds } from '../helpers/databases.js';
import { SUPPORTED_DATABASES } from '../../plugin/src/adapter/options.js';
import { untilStatus } from '../helpers/wait.js';

const kinds = (await availableDbKinds()).filter((k) => (SUPPORTED_DATABASES as readonly string[]).includes(k));

let app: JobsApp | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

/** Starts the app with a handler whose tasks finish at once, and one finished job for each of admin and viewer. */
async function withJobs(options: Parameters<typeof startJobsApp>[0] = {}) {
  const a = (app = await startJobsApp(options));
  a.plugin.registerTaskHandler({ jobHandlerName: 'noop', handler: async () => {} });
  const adminJob = String(await a.plugin.startNewJob('admin job', { pk: await a.userPk('adminforth') }, [{ state: {} }], 'noop'));
  const viewerJob = String(await a.plugin.startNewJob('viewer job', { pk: await a.userPk('viewer') }, [{ state: {} }], 'noop'));
  for (const id of [adminJob, viewerJob]) await untilStatus(`job ${id}`, () => a.plugin.getJob(id), 'DONE', { timeoutMs: 30_000, intervalMs: 20 });
  return {
    a, adminJob, viewerJob,
    admin: { cookie: await a.login('adminforth', 'adminforth') } as Credentials,
    viewer: { cookie: await a.login('viewer', 'viewer') } as Credentials,
  };
}

const list = (a: JobsApp, who: Credentials, extra: Record<string, unknown> = {}) =>
  post(a, '/get_resource_data', { resourceId: 'jobs', source: 'list', filters: [], sort: [], limit: 100, offset: 0, ...extra }, who);
const show = (a: JobsApp, who: Credentials, id: string, source: 'show' | 'edit' = 'show') =>
  post(a, '/get_resource_data', { resourceId: 'jobs', source, filters: [{ field: 'id', operator: 'eq', value: id }], sort: [], limit: 1, offset: 0 }, who);
const names = (answer: { json: any }) => (answer.json.data as Record<string, unknown>[]).map((row) => row.name).sort();

describe.each(kinds)("the jobs resource's own pages (%s)", (kind) => {
  it('list and show: a viewer sees only their jobs, with a total to match; an admin sees all', async () => {
    const { a, adminJob, viewerJob, admin, viewer } = await withJobs({ kind });
    const forViewer = await list(a, viewer);
    expect(names(forViewer)).toEqual(['viewer job']);
    expect(forViewer.json.total).toBe(1);
    // A filter of the user's own is kept, and the plugin's is added to it.
    expect(names(await list(a, viewer, { filters: [{ field: 'name', operator: 'ilike', value: 'job' }] }))).toEqual(['viewer job']);
    expect(names(await list(a, admin))).toEqual(['admin job', 'viewer job']);

    // The admin's job is missing for the viewer, in show and in edit's load alike.
    for (const source of ['show', 'edit'] as const) {
      expect((await show(a, viewer, adminJob, source)).json.data).toEqual([]);
      expect(names(await show(a, viewer, viewerJob, source))).toEqual(['viewer job']);
      expect(names(await show(a, admin, viewerJob, source))).toEqual(['viewer job']);
    }
  });

  it("edit and delete: a viewer cannot touch the admin's job, even with allowedActions that allow everyone", async () => {
    // What `af-jobs init --edit-access all` writes: edit and delete allowed to every user.
    const resource = seedJobsResource({ pollMs: 100 });
    resource.options = { ...resource.options, allowedActions: { edit: true, delete: true } };
    const { a, adminJob, viewerJob, admin, viewer } = await withJobs({ kind, resource });

    const cancel = (who: Credentials, id: string) => post(a, '/update_record', { resourceId: 'jobs', recordId: id, record: { status: 'CANCELLED' } }, who);
    const remove = (who: Credentials, id: string) => post(a, '/delete_record', { resourceId: 'jobs', primaryKey: id }, who);
    const deniedEdit = await cancel(viewer, adminJob);
    expect(deniedEdit.json.error).toBeTruthy();
    const deniedDelete = await remove(viewer, adminJob);
    expect(deniedDelete.json.error).toBeTruthy();
    expect(deniedDelete.json.ok).toBeUndefined();
    expect(await a.admin.resource('jobs').get([{ field: 'id', operator: 'eq', value: adminJob }])).toMatchObject({ name: 'admin job' });
    expect((await a.plugin.getJob(adminJob)).status).toBe('DONE');

    // Their own job, and the admin on any job: allowed.
    expect((await remove(viewer, viewerJob)).json).toMatchObject({ ok: true });
    expect(await a.admin.resource('jobs').get([{ field: 'id', operator: 'eq', value: viewerJob }])).toBeNull();
    expect((await remove(admin, adminJob)).json).toMatchObject({ ok: true });
  });

  it("bulk delete: a refused record keeps its tasks, though AdminForth runs a record's beforeSave hooks all at once", async () => {
    // AdminForth's "Delete checked" (its config validator's bulk action) calls every beforeSave
    // hook of a record with Promise.all and a refusal stops none of the others; the host has no
    // bulk endpoint, so the hooks are called here the same way.
    const { a, adminJob, viewerJob } = await withJobs({ kind });
    const resource = a.admin.config.resources.find((r) => r.resourceId === 'jobs')!;
    const viewerUser = { pk: await a.userPk('viewer'), username: 'viewer', dbUser: { role: 'user' } };
    const bulkDelete = async (recordId: string) => {
      const record = await a.admin.resource('jobs').get([{ field: 'id', operator: 'eq', value: recordId }]);
      const answers = await Promise.all(resource.hooks!.delete!.beforeSave!.map((hook) => hook({ recordId, resource, record, adminUser: viewerUser as any, adminforth: a.admin })));
      return answers.find((answer) => answer.error)?.error ?? null;
    };
    expect(await bulkDelete(adminJob)).toBe('You may not delete this job.');
    const { total } = await a.plugin.getJobTasks(adminJob);
    expect(total).toBe(1);
    expect((await a.plugin.getJob(adminJob)).status).toBe('DONE');
    // Their own job goes: its tasks are removed.
    expect(await bulkDelete(viewerJob)).toBeNull();
    await expect(a.plugin.getJob(viewerJob)).rejects.toThrow();
  });

  it("the resource's own allowedActions still apply: delete limited to superadmins stays so for the viewer's own job", async () => {
    const resource = seedJobsResource({ pollMs: 100 });
    const superadminOnly = async ({ adminUser }: { adminUser: any }) => adminUser.dbUser.role === 'superadmin';
    resource.options = { ...resource.options, allowedActions: { edit: superadminOnly, delete: superadminOnly } };
    const { a, viewerJob, viewer } = await withJobs({ kind, resource });
    expect((await post(a, '/delete_record', { resourceId: 'jobs', primaryKey: viewerJob }, viewer)).json.error).toBeTruthy();
    expect(await a.admin.resource('jobs').get([{ field: 'id', operator: 'eq', value: viewerJob }])).not.toBeNull();
  });

  it('canView and canManage replace the default rules on these pages too', async () => {
    // A user sees the jobs they started (read from startedBy, which AdminForth's pages give as
    // { label, pk }) and those whose name starts with "shared"; nobody but admins manages any.
    // The resource itself allows edit and delete to all, so canManage alone decides.
    const resource = seedJobsResource({
      pollMs: 100,
      canView: (user, job) => job.startedBy === String(user.pk) || job.name.startsWith('shared') || user.dbUser?.role === 'superadmin',
      canManage: (user) => user.dbUser?.role === 'superadmin',
    });
    resource.options = { ...resource.options, allowedActions: { edit: true, delete: true } };
    const { a, adminJob, viewerJob, viewer } = await withJobs({ kind, resource });
    const sharedJob = String(await a.plugin.startNewJob('shared job', { pk: await a.userPk('adminforth') }, [{ state: {} }], 'noop'));
    await expect.poll(async () => (await a.plugin.getJob(sharedJob)).status).toBe('DONE');
    expect(names(await list(a, viewer))).toEqual(['shared job', 'viewer job']);
    expect((await show(a, viewer, adminJob)).json.data).toEqual([]);
    expect(names(await show(a, viewer, sharedJob))).toEqual(['shared job']);
    expect(names(await show(a, viewer, viewerJob))).toEqual(['viewer job']);
    for (const id of [viewerJob, sharedJob]) {
      expect((await post(a, '/delete_record', { resourceId: 'jobs', primaryKey: id }, viewer)).json.error).toBeTruthy();
    }
  });
});
