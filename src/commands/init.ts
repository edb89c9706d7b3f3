/**
 * `af-jobs init`: sets @adminforth/background-jobs up in an AdminForth app (issue 7): asks (or
 * takes flags for) the data source, table, resource id, who may edit jobs and whether to add the
 * example; plans every file; prints the plan; writes it unless --dry-run; says what is left.
 */
import path from 'node:path';
import { Answers } from '../answers.js';
import type { Context } from '../context.js';
import { ManualStepsError, ProjectError, UsageError } from '../errors.js';
import { detectApp, type AppInfo } from '../scaffold/app-detection.js';
import { SUPPORTED_DATABASES, type DatabaseKind, type DataSourceInfo } from '../scaffold/data-sources.js';
import { FilePlan } from '../scaffold/file-plan.js';
import { planInit, type EditAccess, type InitResult, type InitSettings, type MigrationKind } from '../scaffold/init-plan.js';
import { checkIdentifier } from '../scaffold/names.js';
import { PLUGIN_PACKAGE } from '../scaffold/package-json.js';
import { reportPlan } from '../scaffold/plan-report.js';

export interface InitOptions {
  dir?: string;
  dryRun?: boolean;
  force?: boolean;
  dataSource?: string;
  table?: string;
  resourceId?: string;
  editAccess?: EditAccess;
  example?: boolean;
  migration?: MigrationKind;
  database?: DatabaseKind;
  install?: boolean;
  yes?: boolean;
}

const validIdentifier = (flag: string) => (value: string): true | string => {
  try {
    checkIdentifier(value, flag);
    return true;
  } catch (error) {
    return (error as Error).message;
  }
};

async function chooseDataSource(app: AppInfo, answers: Answers, value: string | undefined): Promise<DataSourceInfo> {
  const sources = app.dataSources;
  if (sources.length === 0) {
    throw new ProjectError(`${app.appFile} lists no data sources (dataSources: [{ id, url }]) that af-jobs can read; add one, or set the plugin up by hand.`);
  }
  if (value !== undefined && !sources.some((source) => source.id === value)) {
    throw new UsageError(`--data-source "${value}" is not a data source of the app; it has: ${sources.map((s) => s.id).join(', ')}.`);
  }
  const usable = sources.filter((source) => source.kind !== null || source.scheme === null);
  const fallback = (usable[0] ?? sources[0])!;
  const id = sources.length === 1 && value === undefined ? fallback.id : await answers.choose({
    flag: '--data-source <id>',
    value,
    message: 'Which data source should hold the jobs table?',
    default: fallback.id,
    choices: sources.map((source) => ({
      name: `${source.id} (${source.kind ?? source.scheme ?? 'unknown database'})`,
      value: source.id,
      description: source.url ? `from ${source.urlOrigin}` : undefined,
    })),
  });
  const chosen = sources.find((source) => source.id === id)!;
  if (chosen.scheme !== null && chosen.kind === null) {
    throw new ProjectError(
      `Data source "${chosen.id}" uses ${chosen.scheme} (${chosen.urlOrigin}); the plugin keeps jobs in ${SUPPORTED_DATABASES.join(', ')}. ` +
        (sources.length > 1 ? 'Pick another with --data-source.' : 'Add such a data source to the app first.'),
    );
  }
  return chosen;
}

async function settle(app: AppInfo, opts: InitOptions, ctx: Context): Promise<InitSettings> {
  // A dry run writes nothing, so without a terminal it shows the plan for the defaults instead of
  // refusing (issue 19 §8); the flags still win.
  const dryRunDefaults = Boolean(opts.dryRun && !opts.yes && !ctx.isTTY);
  if (dryRunDefaults) ctx.info(ctx.color.dim('No terminal to ask on: the dry run takes the default of every question no flag answers (as --yes does).'));
  const answers = new Answers(ctx, { yes: opts.yes || dryRunDefaults });
  const dataSource = await chooseDataSource(app, answers, opts.dataSource);
  const table = await answers.text({ flag: '--table <name>', value: opts.table, message: 'Name of the jobs table?', default: 'jobs', validate: validIdentifier('--table') });
  const resourceId = await answers.text({ flag: '--resource-id <id>', value: opts.resourceId, message: 'Resource id of the jobs resource?', default: table, validate: validIdentifier('--resource-id') });
  const editAccess = await answers.choose<EditAccess>({
    flag: '--edit-access <who>',
    value: opts.editAccess,
    message: 'Who may edit and delete jobs in the admin?',
    default: 'superadmin',
    choices: [
      { name: 'superadmins (role superadmin)', value: 'superadmin' },
      { name: 'every admin user', value: 'all' },
      { name: 'nobody', value: 'none' },
    ],
  });
  const example = await answers.yesNo({
    flag: '--example / --no-example',
    value: opts.example,
    message: 'Add an example handler and a POST /api/create-job/ route that starts it?',
    default: true,
  });

  if (opts.migration === 'prisma' && !app.prisma) {
    throw new UsageError(`--migration prisma: the app has no schema.prisma (looked for schema.prisma and prisma/schema.prisma); use --migration sql.`);
  }
  if (opts.database && dataSource.kind && opts.database !== dataSource.kind) {
    throw new UsageError(`--database ${opts.database} contradicts the URL of data source "${dataSource.id}" (${dataSource.kind}, from ${dataSource.urlOrigin}).`);
  }
  const prismaFits = app.prisma !== null && (app.prisma.database === null || dataSource.kind === null || app.prisma.database === dataSource.kind);
  const migration: MigrationKind = opts.migration ?? (prismaFits ? 'prisma' : 'sql');
  let database = dataSource.kind ?? opts.database ?? (migration === 'prisma' ? app.prisma?.database ?? null : null);
  if (database === null) {
    database = await answers.choose<DatabaseKind>({
      flag: '--database <kind>',
      value: undefined,
      message: `Which database does data source "${dataSource.id}" use? (its URL could not be read)`,
      default: 'sqlite',
      choices: SUPPORTED_DATABASES.map((kind) => ({ name: kind, value: kind })),
    });
  }
  answers.finish();
  return { dataSource, database, table, resourceId, editAccess, example, migration };
}

/** `postgres://app:secret@db:5432/x` → `postgres://app:***@db:5432/x` (a terminal is no place for a password). */
export function maskPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

/**
 * The command that creates the table. The URL usually lives in a `.env*` file, not in the shell
 * (issue 19 §9): the command loads that file first, and says which database it reaches.
 */
function sqlCommand(database: DatabaseKind, file: string, source: DataSourceInfo): string {
  const { url, urlOrigin } = source;
  if (database === 'sqlite') return `sqlite3 ${url?.replace(/^sqlite:\/\//, '') || '<database file>'} < ${file}`;
  if (database === 'mysql') {
    // The mysql client takes no URL: its parts, and the password asked (-p).
    let parsed: URL | null = null;
    try {
      parsed = url ? new URL(url) : null;
    } catch {
      parsed = null;
    }
    if (!parsed) return `mysql <database> < ${file}`;
    return `mysql -h ${parsed.hostname} -P ${parsed.port || 3306} -u ${decodeURIComponent(parsed.username) || 'root'} -p ${parsed.pathname.slice(1)} < ${file}`;
  }
  const fromEnv = /^(\w+) in (\.env[\w.-]*)$/.exec(urlOrigin);
  const client = `psql "${fromEnv ? `$${fromEnv[1]}` : url ?? '<database url>'}" -f ${file}`;
  if (!fromEnv) return client;
  const where = url ? ` (${maskPassword(url)}, ${fromEnv[1]} in ${fromEnv[2]})` : '';
  return `(set -a; . ./${fromEnv[2]}; set +a; ${client})${where}`;
}

function nextSteps(app: AppInfo, settings: InitSettings, result: InitResult, opts: InitOptions, ctx: Context): void {
  const steps: string[] = [];
  const run = (script: string) => (app.packageManager === 'npm' ? `npm run ${script}` : `${app.packageManager} ${script}`);
  if (result.dependencyAdded && !opts.install) steps.push(`Install the plugin: ${app.packageManager} install`);
  if (settings.migration === 'prisma') {
    steps.push(`Create and apply the migration of the ${settings.table} table: ${run('makemigration')} -- --name add_${settings.table} && ${run('migrate:local')}`);
  } else if (settings.migration === 'sql' && result.sqlFile) {
    steps.push(`Create the ${settings.table} table: ${sqlCommand(settings.database, result.sqlFile, settings.dataSource)}`);
  } else if (settings.migration === 'none') {
    steps.push(`Create the ${settings.table} table yourself (columns: see ${app.resourcesDir}/${settings.table}.ts).`);
  }
  if (settings.example) {
    steps.push(`Start the app, log in, and start the example job: POST ${app.baseUrl ?? '<baseUrl>'}/api/create-job/ (then open Jobs in the menu).`);
  }
  steps.push('Add your own handlers: npx af-jobs add-handler <name>');
  ctx.info('');
  ctx.info(ctx.color.bold('Next steps:'));
  steps.forEach((step, index) => ctx.info(`  ${index + 1}. ${step}`));
}

export async function run(opts: InitOptions, ctx: Context): Promise<void> {
  const root = path.resolve(ctx.cwd, opts.dir ?? '.');
  const app = detectApp(root, ctx.cwd);
  const settings = await settle(app, opts, ctx);
  const plan = new FilePlan(root, opts.force);
  const result = planInit(plan, app, settings);

  reportPlan(plan, ctx, { dryRun: Boolean(opts.dryRun), upToDate: 'the app already has everything `af-jobs init` adds' });
  if (opts.dryRun) {
    if (opts.install) ctx.info(`Would run: ${app.packageManager} install`);
    return;
  }
  plan.write();

  if (opts.install) {
    ctx.info(`Running ${app.packageManager} install ...`);
    const code = await ctx.runProgram(app.packageManager, ['install'], { cwd: root });
    if (code !== 0) {
      throw new ProjectError(`${app.packageManager} install exited with code ${code}; the files are written: install ${PLUGIN_PACKAGE} yourself.`);
    }
  }
  if (plan.changes.length > 0) nextSteps(app, settings, result, opts, ctx);
  if (plan.manualSteps.length > 0) {
    throw new ManualStepsError(`${plan.manualSteps.length} edit(s) left for you to make by hand (listed above); the rest is written.`);
  }
}
