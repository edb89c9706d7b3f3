/**
 * The AST edits on small sources: where code goes, that the user's layout and comments stay,
 * that each edit finds its own work already done, and which shapes become manual steps.
 */
import { describe, expect, it } from 'vitest';
import { appendToList } from '../../src/scaffold/ast/insert.js';
import { SourceFile } from '../../src/scaffold/ast/source-file.js';
import { addStartRoute } from '../../src/scaffold/edits/add-start-route.js';
import { addExplicitComponent } from '../../src/scaffold/edits/add-explicit-component.js';
import { addHandlersRegistration } from '../../src/scaffold/edits/add-handlers-registration.js';
import { addMenuItem } from '../../src/scaffold/edits/add-menu-item.js';
import { addResource } from '../../src/scaffold/edits/add-resource.js';
import type { EditOutcome } from '../../src/scaffold/edits/edit-outcome.js';
import { registerDetailsComponent } from '../../src/scaffold/edits/register-details-component.js';
import { findRegistrationFunction } from '../../src/scaffold/edits/handlers-index.js';
import { registerHandler } from '../../src/scaffold/edits/register-handler.js';
import { handlerNames } from '../../src/scaffold/names.js';
import { addDependency } from '../../src/scaffold/package-json.js';

function appended(source: string, item: string): string {
  const file = new SourceFile('t.ts', source);
  const statement = file.program.body[0] as any;
  appendToList(file, statement.expression.right, item);
  file.apply();
  return file.text;
}

describe('appendToList keeps the layout of the list', () => {
  it.each([
    ['x = [a, b];', 'x = [a, b, c];'],
    ['x = [a, b,];', 'x = [a, b, c,];'],
    ['x = [];', 'x = [c];'],
    ['x = [\n  a, // first\n  b, // second\n];', 'x = [\n  a, // first\n  b, // second\n  c,\n];'],
    ['x = [\n  a,\n  b\n];', 'x = [\n  a,\n  b,\n  c\n];'],
    ['x = [\n  // none yet\n];', 'x = [\n  // none yet\n  c,\n];'],
    ['x = [\n    a, /* note */\n];', 'x = [\n    a, /* note */\n    c,\n];'],
    ['x = [\n\ta,\n];', 'x = [\n\ta,\n\tc,\n];'],
  ])('%j', (source, expected) => {
    expect(appended(source, 'c')).toBe(expected);
  });

  it('adds properties to objects, and keeps CRLF line ends', () => {
    expect(appended('x = {};', 'k: 1')).toBe('x = { k: 1 };');
    expect(appended('x = {\r\n  a: 1,\r\n};\r\n', 'k: 1')).toBe('x = {\r\n  a: 1,\r\n  k: 1,\r\n};\r\n');
  });
});

const APP = `import AdminForth from 'adminforth';
import users from './resources/users.js';

export const admin = new AdminForth({
  resources: [users],
  menu: [{ label: 'Users', resourceId: 'users' }],
});
admin.express.serve(app);
`;

function edit(source: string, ...edits: ((file: SourceFile) => EditOutcome)[]): { text: string; outcomes: EditOutcome['status'][] } {
  const file = new SourceFile('index.ts', source);
  const outcomes = edits.map((run) => {
    const outcome = run(file);
    file.apply();
    return outcome.status;
  });
  return { text: file.text, outcomes };
}

const resource = { source: './resources/jobs.js', imported: 'default', local: 'jobsResource' };
const EXAMPLE_ROUTE = { path: '/api/create-job/', factory: 'createExampleJobRoute', module: './jobs/example-job-route.js', description: 'Starts the example background job' };

describe('edits of the app file', () => {
  it('each edit adds once, then finds its work present', () => {
    const edits = [
      (f: SourceFile) => addResource(f, resource),
      (f: SourceFile) => addMenuItem(f, { label: 'Jobs', icon: 'flowbite:list-outline', resourceId: 'jobs' }),
      (f: SourceFile) => addHandlersRegistration(f, './jobs/index.js'),
      (f: SourceFile) => addStartRoute(f, EXAMPLE_ROUTE),
      (f: SourceFile) => addExplicitComponent(f, '@@/JobsTasks.vue'),
    ];
    const first = edit(APP, ...edits);
    expect(first.outcomes).toEqual(['added', 'added', 'added', 'added', 'added']);
    expect(first.text).toBe(`import AdminForth from 'adminforth';
import users from './resources/users.js';
import jobsResource from './resources/jobs.js';
import { registerJobHandlers } from './jobs/index.js';
import { createExampleJobRoute } from './jobs/example-job-route.js';

export const admin = new AdminForth({
  resources: [users, jobsResource],
  menu: [{ label: 'Users', resourceId: 'users' }, { label: 'Jobs', icon: 'flowbite:list-outline', resourceId: 'jobs' }],
  componentsToExplicitRegister: [
    { file: '@@/JobsTasks.vue' },
  ],
});

// Background job handlers (./jobs/index.js): registered at start-up, so unfinished jobs resume.
registerJobHandlers(admin);
// Starts the example background job (./jobs/example-job-route.js).
app.post(\`\${admin.config.baseUrl}/api/create-job/\`, admin.express.authorize(createExampleJobRoute(admin)));
admin.express.serve(app);
`);
    expect(edit(first.text, ...edits).outcomes).toEqual(['present', 'present', 'present', 'present', 'present']);
  });

  it('reuses an existing import of the resource under its own name', () => {
    const source = APP.replace("import users from './resources/users.js';", "import users from './resources/users.js';\nimport myJobs from './resources/jobs';");
    const result = edit(source, (f) => addResource(f, resource));
    expect(result.text).toContain('resources: [users, myJobs],');
    expect(result.text).not.toContain('jobsResource');
  });

  it('follows the file: double quotes, four-space indent, a config passed by name', () => {
    const source = 'import AdminForth from "adminforth";\n\nconst config = {\n    resources: [\n        users,\n    ],\n    menu: [],\n};\nexport const admin = new AdminForth(config);\n';
    const result = edit(source, (f) => addResource(f, resource), (f) => addMenuItem(f, { label: 'Jobs', icon: 'i', resourceId: 'jobs' }));
    expect(result.text).toBe('import AdminForth from "adminforth";\nimport jobsResource from "./resources/jobs.js";\n\nconst config = {\n    resources: [\n        users,\n        jobsResource,\n    ],\n    menu: [{ label: "Jobs", icon: "i", resourceId: "jobs" }],\n};\nexport const admin = new AdminForth(config);\n');
  });

  it('turns lists built by code into manual steps and changes nothing', () => {
    const source = APP.replace('resources: [users]', 'resources: [...base, users].filter(Boolean)').replace("menu: [{ label: 'Users', resourceId: 'users' }]", 'menu: buildMenu()');
    const result = edit(source, (f) => addResource(f, resource), (f) => addMenuItem(f, { label: 'Jobs', icon: 'i', resourceId: 'jobs' }));
    expect(result.outcomes).toEqual(['manual', 'manual']);
    expect(result.text).toBe(source);
  });

  it('finds a menu item nested in children', () => {
    const source = APP.replace("menu: [{ label: 'Users', resourceId: 'users' }]", "menu: [{ label: 'Ops', children: [{ label: 'Jobs', resourceId: 'jobs' }] }]");
    expect(edit(source, (f) => addMenuItem(f, { label: 'Jobs', icon: 'i', resourceId: 'jobs' })).outcomes).toEqual(['present']);
  });
});

describe('the start route of a handler (addStartRoute, shared with init\'s example)', () => {
  const SEND_EMAILS = { path: '/api/jobs/send-emails/start', factory: 'createSendEmailsHandlerRoute', module: './jobs/send-emails-route.js', description: 'Starts a job of send_emails' };
  const SERVER = `import express from 'express';
import AdminForth from 'adminforth';

const ADMIN_BASE_URL = '/admin';
export const admin = new AdminForth({ baseUrl: ADMIN_BASE_URL, resources: [] });

const app = express();
app.use(express.json());

app.get('/health', (req, res) => res.send('ok'));
admin.express.serve(app);
`;

  it('goes after express.json(), after the start routes already there (in the order added), and once', () => {
    const first = edit(SERVER, (f) => addStartRoute(f, EXAMPLE_ROUTE), (f) => addStartRoute(f, SEND_EMAILS));
    expect(first.outcomes).toEqual(['added', 'added']);
    expect(first.text).toBe(`import express from 'express';
import AdminForth from 'adminforth';
import { createExampleJobRoute } from './jobs/example-job-route.js';
import { createSendEmailsHandlerRoute } from './jobs/send-emails-route.js';

const ADMIN_BASE_URL = '/admin';
export const admin = new AdminForth({ baseUrl: ADMIN_BASE_URL, resources: [] });

const app = express();
app.use(express.json());

// Starts the example background job (./jobs/example-job-route.js).
app.post(\`\${ADMIN_BASE_URL}/api/create-job/\`, admin.express.authorize(createExampleJobRoute(admin)));
// Starts a job of send_emails (./jobs/send-emails-route.js).
app.post(\`\${ADMIN_BASE_URL}/api/jobs/send-emails/start\`, admin.express.authorize(createSendEmailsHandlerRoute(admin)));

app.get('/health', (req, res) => res.send('ok'));
admin.express.serve(app);
`);
    expect(edit(first.text, (f) => addStartRoute(f, EXAMPLE_ROUTE), (f) => addStartRoute(f, SEND_EMAILS)).outcomes).toEqual(['present', 'present']);
  });

  it('finds the path registered by hand (a literal, or under another factory), and does not mistake a longer name for it', () => {
    const byHand = SERVER.replace("app.get('/health'", "app.post('/admin/api/jobs/send-emails/start/', myOwnRoute);\napp.get('/health'");
    expect(edit(byHand, (f) => addStartRoute(f, SEND_EMAILS))).toEqual({ text: byHand, outcomes: ['present'] });
    const mountedElsewhere = `import { createSendEmailsHandlerRoute } from './jobs/send-emails-route';\n${SERVER.replace("app.get('/health'", "app.post('/x', createSendEmailsHandlerRoute(admin));\napp.get('/health'")}`;
    expect(edit(mountedElsewhere, (f) => addStartRoute(f, SEND_EMAILS)).outcomes).toEqual(['present']);
    const other = SERVER.replace("app.get('/health'", "app.post(`${ADMIN_BASE_URL}/api/jobs/resend-emails/start`, r);\napp.get('/health'");
    expect(edit(other, (f) => addStartRoute(f, SEND_EMAILS)).outcomes).toEqual(['added']);
  });

  it('without express.json() goes before admin.express.serve(app), with admin.config.baseUrl', () => {
    const source = "import AdminForth from 'adminforth';\nexport const admin = new AdminForth({ resources: [] });\nconst server = express();\nadmin.express.serve(server);\n";
    const result = edit(source, (f) => addStartRoute(f, SEND_EMAILS));
    expect(result.text).toContain(
      '// Starts a job of send_emails (./jobs/send-emails-route.js).\n' +
        'server.post(`${admin.config.baseUrl}/api/jobs/send-emails/start`, admin.express.authorize(createSendEmailsHandlerRoute(admin)));\n' +
        'admin.express.serve(server);',
    );
  });

  it('gives the exact lines to add by hand when there is nothing to put the route next to', () => {
    const source = "import AdminForth from 'adminforth';\nexport const admin = new AdminForth({ resources: [] });\nstartServer(admin);\n";
    const file = new SourceFile('index.ts', source);
    const outcome = addStartRoute(file, SEND_EMAILS);
    file.apply();
    expect(file.text).toBe(source);
    expect(outcome).toEqual({
      status: 'manual',
      reason: 'no `app.use(express.json())` or `admin.express.serve(app)` found to put the route next to',
      code: "import { createSendEmailsHandlerRoute } from './jobs/send-emails-route.js';\n// after app.use(express.json()):\n" +
        '// Starts a job of send_emails (./jobs/send-emails-route.js).\n' +
        'app.post(`${admin.config.baseUrl}/api/jobs/send-emails/start`, admin.express.authorize(createSendEmailsHandlerRoute(admin)));',
    });
  });
});

describe('edits of the handlers index', () => {
  const INDEX = `import type AdminForth from 'adminforth';

export function registerJobHandlers(admin: AdminForth): void {
  const jobs = admin.getPluginByClassName('BackgroundJobsPlugin');
  // my own setup
  jobs.registerTaskHandler(first);
  console.log('registered');
}
`;

  it('registers after the last registration, on the plugin variable the file uses', () => {
    const result = edit(INDEX, (f) => registerHandler(f, { identifier: 'sendEmailsHandler', module: './send-emails.js' }));
    expect(result.text).toContain("import { sendEmailsHandler } from './send-emails.js';");
    expect(result.text).toContain('  jobs.registerTaskHandler(first);\n  jobs.registerTaskHandler(sendEmailsHandler);\n  console.log');
    expect(edit(result.text, (f) => registerHandler(f, { identifier: 'sendEmailsHandler', module: './send-emails.js' })).outcomes).toEqual(['present']);
  });

  // The index `init --no-example` writes: no plugin variable (noUnusedLocals would refuse an unused one).
  const EMPTY = `import type AdminForth from 'adminforth';

export function registerJobHandlers(admin: AdminForth): void {
  // Gets the plugin, then registers each handler on it (registerTaskHandler).
}
`;

  it('finds registerJobHandlers with and without the plugin variable', () => {
    expect(findRegistrationFunction(new SourceFile('i.ts', INDEX))).toMatchObject({ admin: 'admin', plugin: 'jobs' });
    expect(findRegistrationFunction(new SourceFile('i.ts', EMPTY))).toMatchObject({ admin: 'admin', plugin: null, pluginDeclaration: null });
  });

  it('gets the plugin first in an index without handlers, then registers; once', () => {
    const result = edit(EMPTY, (f) => registerHandler(f, { identifier: 'sendEmailsHandler', module: './send-emails.js' }));
    expect(result.text).toBe(`import type AdminForth from 'adminforth';
import type BackgroundJobsPlugin from '@adminforth/background-jobs';
import { sendEmailsHandler } from './send-emails.js';

export function registerJobHandlers(admin: AdminForth): void {
  // Gets the plugin, then registers each handler on it (registerTaskHandler).
  const backgroundJobsPlugin = admin.getPluginByClassName<BackgroundJobsPlugin>('BackgroundJobsPlugin');
  backgroundJobsPlugin.registerTaskHandler(sendEmailsHandler);
}
`);
    const again = edit(result.text, (f) => registerHandler(f, { identifier: 'sendEmailsHandler', module: './send-emails.js' }), (f) => registerHandler(f, { identifier: 'otherHandler', module: './other.js' }));
    expect(again.outcomes).toEqual(['present', 'added']);
    expect(again.text.match(/getPluginByClassName/g)).toHaveLength(1);
  });

  it('a details component in an index without handlers gets the plugin too', () => {
    const result = edit(EMPTY.replace('admin: AdminForth', 'app: AdminForth'), (f) => registerDetailsComponent(f, { jobHandlerName: 'x', componentFile: '@@/XTasks.vue' }));
    expect(result.outcomes).toEqual(['added']);
    expect(result.text).toContain("  const backgroundJobsPlugin = app.getPluginByClassName<BackgroundJobsPlugin>('BackgroundJobsPlugin');\n  backgroundJobsPlugin.registerTaskDetailsComponent({");
  });

  it("gets the plugin before the body's own code, keeping its comments", () => {
    const source = "export const registerJobHandlers = (admin: any) => {\n  // mine\n  setUp(admin);\n};\n";
    const result = edit(source, (f) => registerHandler(f, { identifier: 'xHandler', module: './x.js' }));
    expect(result.text).toBe(
      "import type BackgroundJobsPlugin from '@adminforth/background-jobs';\nimport { xHandler } from './x.js';\n\n" +
        "export const registerJobHandlers = (admin: any) => {\n  // mine\n  const backgroundJobsPlugin = admin.getPluginByClassName<BackgroundJobsPlugin>('BackgroundJobsPlugin');\n" +
        '  backgroundJobsPlugin.registerTaskHandler(xHandler);\n  setUp(admin);\n};\n',
    );
  });

  it('asks for a manual step when registerJobHandlers takes no admin to get the plugin from', () => {
    const source = 'export function registerJobHandlers(): void {}\n';
    const result = edit(source, (f) => registerHandler(f, { identifier: 'x', module: './x.js' }));
    expect(result).toEqual({ text: source, outcomes: ['manual'] });
  });

  it('asks for a manual step when there is no registerJobHandlers function', () => {
    const result = edit('export const handlers = [];\n', (f) => registerHandler(f, { identifier: 'x', module: './x.js' }));
    expect(result.outcomes).toEqual(['manual']);
  });
});

describe('names and package.json', () => {
  it.each([
    ['send-emails', 'send_emails', 'send-emails', 'sendEmailsHandler', 'SendEmailsTasks'],
    ['sendEmails', 'send_emails', 'send-emails', 'sendEmailsHandler', 'SendEmailsTasks'],
    ['example_job_handler', 'example_job_handler', 'example-job-handler', 'exampleJobHandler', 'ExampleJobTasks'],
    ['CSVImport2', 'csv_import2', 'csv-import2', 'csvImport2Handler', 'CsvImport2Tasks'],
  ])('%s', (name, jobHandlerName, fileBase, identifier, componentName) => {
    expect(handlerNames(name)).toMatchObject({ jobHandlerName, fileBase, identifier, componentName });
  });

  it('names the start route after the identifier, so it never clashes with the example route', () => {
    expect(handlerNames('send-emails')).toMatchObject({ routeFactory: 'createSendEmailsHandlerRoute', startPath: '/api/jobs/send-emails/start' });
    expect(handlerNames('example_job_handler')).toMatchObject({ routeFactory: 'createExampleJobHandlerRoute', startPath: '/api/jobs/example-job-handler/start' });
  });

  it.each(['9lives', 'a b', 'send--emails', 'x-', ''])('rejects %j', (name) => {
    expect(() => handlerNames(name)).toThrow(/Invalid handler name/);
  });

  it('adds the dependency in place, keeping indentation and the order of the other keys', () => {
    const text = '{\n    "dependencies": {\n        "zod": "^4",\n        "adminforth": "^3"\n    }\n}\n';
    expect(addDependency(text, '@adminforth/background-jobs', '^2.0.0')).toBe(
      '{\n    "dependencies": {\n        "@adminforth/background-jobs": "^2.0.0",\n        "zod": "^4",\n        "adminforth": "^3"\n    }\n}\n',
    );
    expect(addDependency('{"devDependencies":{"@adminforth/background-jobs":"*"}}', '@adminforth/background-jobs', '^1')).toBeNull();
  });
});
