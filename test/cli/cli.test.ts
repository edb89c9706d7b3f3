/**
 * The CLI as a user meets it: `bin/af-jobs.js` spawned with execa (no stdin, so never a
 * terminal) on temp copies of the fixtures, plus in-process runs for what a process cannot show
 * (a scripted prompt, Ctrl-C in a prompt). Exit codes are those of docs/exit-codes.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { promptFailure, type Prompts } from '../../src/context.js';
import { EXIT } from '../../src/errors.js';
import { BIN, REPO, copyFixture, readTree, removeCopies, runBin, runInProcess } from './helpers.js';

afterAll(removeCopies);

describe('af-jobs (process)', () => {
  it('--help lists the commands and the global flags, exit 0', async () => {
    const result = await runBin(['--help']);
    expect(result.code).toBe(EXIT.OK);
    for (const text of ['init', 'add-handler', 'add-component', '--no-color', '--quiet', '--verbose', '--version']) {
      expect(result.stdout).toContain(text);
    }
  });

  it('a reader that closed the pipe ends the CLI quietly with exit 0, not an EPIPE crash', async () => {
    // The read end is closed before the child starts writing: every write of its output fails.
    const child = execa('node', [BIN, '--help'], { cwd: REPO, env: { NO_COLOR: '1' }, stdin: 'ignore', reject: false, buffer: false });
    child.stdout!.destroy();
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk; });
    const result = await child;
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(result.exitCode).toBe(EXIT.OK);
  });

  it('with -o json or --json, an error is one JSON object on stderr: code, exit, message', async () => {
    const config = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-json-errors-'));
    try {
      const env = { AF_JOBS_CONFIG: path.join(config, 'cli.json') };
      // Nothing answers on port 9: exit 7, as JSON.
      const unreachable = await runBin(['list', '--url', 'http://127.0.0.1:9', '-o', 'json'], { env });
      expect(unreachable.code).toBe(EXIT.CONNECTION);
      const [line, ...more] = unreachable.stderr.trim().split('\n');
      expect(more).toEqual([]);
      expect(JSON.parse(line!)).toEqual({ error: { code: 'CONNECTION', exit: 7, message: expect.stringContaining('Cannot reach http://127.0.0.1:9') } });
      expect(unreachable.stdout).toBe('');
      // commander's own errors too, without its text.
      const usage = await runBin(['list', '--bogus', '--json'], { env });
      expect(usage.code).toBe(EXIT.USAGE);
      expect(JSON.parse(usage.stderr.trim())).toEqual({ error: { code: 'USAGE', exit: 2, message: "Unknown option '--bogus' for af-jobs list. Run af-jobs list --help" } });
      // Without it: text, as before.
      const text = await runBin(['list', '--url', 'http://127.0.0.1:9'], { env });
      expect(text.code).toBe(EXIT.CONNECTION);
      expect(text.stderr).toMatch(/^Error: /);
    } finally {
      fs.rmSync(config, { recursive: true, force: true });
    }
  });

  it('an unknown command is a usage error (exit 2) with a suggestion', async () => {
    const result = await runBin(['inti']);
    expect(result.code).toBe(EXIT.USAGE);
    expect(result.stderr.trim()).toBe("Error: Unknown command 'inti' for af-jobs (did you mean init?). Run af-jobs --help");
    expect(result.stderr).toContain('init');
  });

  it('refuses a folder that is not an AdminForth app, saying what it looked for (exit 3)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-empty-'));
    fs.writeFileSync(path.join(dir, 'index.ts'), 'export const x = 1;\n');
    try {
      const result = await runBin(['init', '--yes'], { cwd: dir });
      expect(result.code).toBe(EXIT.PROJECT);
      expect(result.stderr).toContain('No AdminForth app found in ./ (looked for index.ts, or another .ts file in it, exporting `admin = new AdminForth({...})`): run inside your admin project or pass --dir');
      expect(readTree(dir).size).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never prompts without a terminal: missing answers name their flags, nothing is written (exit 2)', async () => {
    const dir = copyFixture('hand-edited');
    const before = readTree(dir);
    const result = await runBin(['init', '--dir', dir, '--table', 'jobs']);
    expect(result.code).toBe(EXIT.USAGE);
    expect(result.stderr).toContain('stdin is not a TTY');
    for (const flag of ['--data-source <id>', '--resource-id <id>', '--edit-access <who>', '--example / --no-example']) {
      expect(result.stderr).toContain(flag);
    }
    expect(result.stderr).not.toContain('--table <name>');
    expect(readTree(dir)).toEqual(before);
  });

  it('init --yes --install writes the scaffold and runs the package manager of the app', async () => {
    const dir = copyFixture('postgres-plain');
    // A fake pnpm first on PATH records how it was called.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-bin-'));
    const log = path.join(bin, 'calls.log');
    fs.writeFileSync(path.join(bin, 'pnpm'), `#!/bin/sh\necho "$PWD $*" >> "${log}"\necho installed\n`, { mode: 0o755 });
    try {
      const result = await runBin(['init', '--yes', '--install', '--dir', dir], { env: { PATH: `${bin}${path.delimiter}${process.env.PATH}` } });
      expect(result.code, result.stderr).toBe(EXIT.OK);
      expect(result.stderr).toContain('CREATE resources/jobs.ts');
      expect(result.stderr).toContain('Running pnpm install');
      expect(fs.readFileSync(log, 'utf8')).toBe(`${fs.realpathSync(dir)} install\n`);
      expect(result.stderr).not.toContain('Install the plugin');
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it('rejects an invalid handler name (exit 2) and add-handler before init (exit 3)', async () => {
    const dir = copyFixture('sqlite-prisma');
    const invalid = await runBin(['add-handler', '9lives', '--dir', dir]);
    expect(invalid.code).toBe(EXIT.USAGE);
    expect(invalid.stderr).toContain('Invalid handler name "9lives": it must start with a letter');
    const early = await runBin(['add-handler', 'send-emails', '--dir', dir]);
    expect(early.code).toBe(EXIT.PROJECT);
    expect(early.stderr).toContain('jobs/index.ts not found: run `af-jobs init` first');
    const missing = await runBin(['add-handler', '--dir', dir]);
    expect(missing.code).toBe(EXIT.USAGE);
    expect(missing.stderr).toContain('Missing the handler name');
  });
});

describe('shapes af-jobs cannot edit safely', () => {
  it('prints the exact lines to add by hand, writes the rest, exits 8', async () => {
    const dir = copyFixture('sqlite-prisma');
    const index = path.join(dir, 'index.ts');
    const text = fs.readFileSync(index, 'utf8')
      .replace('const ADMIN_BASE_URL = \'\';', 'const ADMIN_BASE_URL = \'\';\nconst allResources = () => [usersResource];')
      .replace(/resources: \[\n {4}usersResource\n {2}\],/, 'resources: allResources(),');
    fs.writeFileSync(index, text);

    const result = await runInProcess(['init', '--yes', '--dir', dir]);
    expect(result.code).toBe(EXIT.MANUAL_STEPS);
    expect(result.stderr).toContain('Left for you to do by hand');
    expect(result.stderr).toContain('index.ts: `resources` is built by code, not written as an array literal');
    expect(result.stderr).toContain("import jobsResource from './resources/jobs.js';");
    expect(result.stderr).toMatch(/^ +jobsResource,$/m);
    const written = fs.readFileSync(index, 'utf8');
    expect(written).toContain('resources: allResources(),');
    expect(written).not.toContain('import jobsResource');
    expect(written).toContain("resourceId: 'jobs' }");
    expect(fs.existsSync(path.join(dir, 'resources/jobs.ts'))).toBe(true);
  });

  it('reports a file that does not parse, and writes nothing (exit 3)', async () => {
    const dir = copyFixture('sqlite-prisma');
    fs.appendFileSync(path.join(dir, 'index.ts'), '\nconst broken = {;\n');
    const before = readTree(dir);
    const result = await runInProcess(['init', '--yes', '--dir', dir]);
    expect(result.code).toBe(EXIT.PROJECT);
    expect(result.stderr).toMatch(/Could not parse index\.ts \(line \d+, column \d+\)/);
    expect(readTree(dir)).toEqual(before);
  });
});

describe('prompts (in a terminal)', () => {
  const scripted = (answers: Record<string, string | boolean>): Prompts & { asked: string[] } => {
    const asked: string[] = [];
    const answer = (message: string) => {
      asked.push(message);
      const key = Object.keys(answers).find((k) => message.includes(k));
      if (key === undefined) throw new Error(`unexpected question: ${message}`);
      return answers[key];
    };
    return {
      asked,
      select: async (q) => answer(q.message) as never,
      input: async (q) => answer(q.message) as string,
      confirm: async (q) => answer(q.message) as boolean,
      password: async (q) => answer(q.message) as string,
    };
  };

  it('asks what no flag answered, and uses the answers', async () => {
    const dir = copyFixture('hand-edited');
    const prompts = scripted({ 'data source': 'maindb', 'jobs table': 'work_items', 'Resource id': 'work', 'edit and delete': 'none', example: false });
    const result = await runInProcess(['init', '--dir', dir], { isTTY: true, prompts });
    expect(result.code, result.stderr).toBe(EXIT.OK);
    expect(prompts.asked).toHaveLength(5);
    const resource = fs.readFileSync(path.join(dir, 'resources/work_items.ts'), 'utf8');
    expect(resource).toContain("table: 'work_items',");
    expect(resource).toContain("resourceId: 'work',");
    expect(resource).toContain('edit: false,');
    expect(fs.readFileSync(path.join(dir, 'migrations/create_work_items.sql'), 'utf8')).toContain('CREATE TABLE IF NOT EXISTS work_items');
    expect(fs.existsSync(path.join(dir, 'jobs/example-job-handler.ts'))).toBe(false);
  });

  it('Ctrl-C in a prompt exits 130 without a stack trace and writes nothing', async () => {
    const dir = copyFixture('sqlite-prisma');
    const before = readTree(dir);
    const interrupt = async () => {
      const error = new Error('User force closed the prompt with SIGINT');
      error.name = 'ExitPromptError';
      throw error;
    };
    // inquirer rejects with ExitPromptError on Ctrl-C; context.ts maps it with promptFailure.
    const result = await runInProcess(['init', '--dir', dir], {
      isTTY: true,
      prompts: {
        select: () => interrupt().catch(promptFailure),
        input: () => interrupt().catch(promptFailure),
        confirm: () => interrupt().catch(promptFailure),
        password: () => interrupt().catch(promptFailure),
      },
    });
    expect(result.code).toBe(EXIT.INTERRUPTED);
    expect(result.stderr.trim()).toBe('Cancelled; nothing was written.');
    expect(readTree(dir)).toEqual(before);
  });
});

describe('the layout of src/ (issue 21)', () => {
  const SRC = path.join(REPO, 'src');
  const COMMANDS = path.join(SRC, 'commands');
  const commandFiles = fs.readdirSync(COMMANDS).filter((file) => file.endsWith('.ts'));
  /** The relative modules a source file imports (static, type-only, re-exports and `import()`), as paths. */
  const importsOf = (file: string): string[] => {
    const text = fs.readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm)]
      .map((match) => match[1] ?? match[2] ?? match[3]!)
      .filter((specifier) => specifier.startsWith('.'));
    return specifiers.map((specifier) => path.resolve(path.dirname(file), specifier));
  };

  it('no command imports another command: what two commands share lives outside commands/', () => {
    expect(commandFiles.length).toBeGreaterThan(10);
    const crossings = commandFiles.flatMap((file) =>
      importsOf(path.join(COMMANDS, file))
        .filter((target) => path.dirname(target) === COMMANDS)
        .map((target) => `commands/${file} imports commands/${path.basename(target)}`));
    expect(crossings).toEqual([]);
  });

  it('every command is registered one way: commandAction with a literal import(), none imported statically', () => {
    const programs = fs.readdirSync(SRC).filter((file) => /^program(-[a-z]+)?\.ts$/.test(file));
    const text = programs.map((file) => fs.readFileSync(path.join(SRC, file), 'utf8')).join('\n');
    for (const file of commandFiles) {
      const module = `./commands/${file.replace(/\.ts$/, '.js')}`;
      expect(text, `${file} is registered`).toContain(`.action(commandAction(ctx, () => import('${module}')`);
    }
    // Any other path to a command module would load it for `af-jobs --help` too (or bypass commandAction).
    // One module may serve two commands (`schedules pause` and `resume`): each is still one import().
    const loaded = programs.flatMap((file) => importsOf(path.join(SRC, file)).filter((target) => path.dirname(target) === COMMANDS));
    const registrations = text.match(/\.action\(commandAction\(ctx, \(\) => import\('\.\/commands\//g) ?? [];
    expect(loaded).toHaveLength(registrations.length);
    expect(new Set(loaded)).toEqual(new Set(commandFiles.map((file) => path.join(COMMANDS, file.replace(/\.ts$/, '.js')))));
    expect(text).not.toMatch(/\bfrom\s*['"]\.\/commands\//);
    expect(text).not.toMatch(/optsWithGlobals/);
  });
});
