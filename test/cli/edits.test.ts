/**
 * The AST edits on small sources: where code goes, that the user's layout and comments stay,
 * that each edit finds its own work already done, and which shapes become manual steps.
 */
import { describe, expect, it } from 'vitest';
import { appendToList } from '../../src/scaffold/ast/insert.js';
import { SourceFile } from '../../src/scaffold/ast/source-file.js';
import { addCreateJobRoute } from '../../src/scaffold/edits/add-create-job-route.js';
import { addExplicitComponent } from '../../src/scaffold/edits/add-explicit-component.js';
import { addHandlersRegistration } from '../../src/scaffold/edits/add-handlers-registration.js';
import { addMenuItem } from '../../src/scaffold/edits/add-menu-item.js';
import { addResource } from '../../src/scaffold/edits/add-resource.js';
import type { EditOutcome } from '../../src/scaffold/edits/edit-outcome.js';
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

describe('edits of the app file', () => {
  it('each edit adds once, then finds its work present', () => {
    const edits = [
      (f: SourceFile) => addResource(f, resource),
      (f: SourceFile) => addMenuItem(f, { label: 'Jobs', icon: 'flowbite:list-outline', resourceId: 'jobs' }),
      (f: SourceFile) => addHandlersRegistration(f, './jobs/index.js'),
      (f: SourceFile) => addCreateJobRoute(f, './jobs/example-job-route.js'),
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
