/**
 * The in-memory plan of a scaffolding command: every file it would create or change, planned
 * before anything is written. `--dry-run` prints it; otherwise `write()` writes it at the very
 * end, so a command that fails while planning leaves the app untouched. Reads go through the
 * plan, so a second edit of the same file sees the first.
 */
import fs from 'node:fs';
import path from 'node:path';

export type FileAction = 'CREATE' | 'UPDATE' | 'SKIP';

export interface PlannedFile {
  /** Path relative to the app folder, with `/`. */
  path: string;
  action: FileAction;
  /** Content on disk before the command (null: the file does not exist). */
  before: string | null;
  /** Content after the command. */
  after: string;
  /** Why a file is skipped, or what an update does. */
  note?: string;
}

/** An edit af-jobs could not make safely: where, why, and the exact code to add by hand. */
export interface ManualStep {
  file: string;
  reason: string;
  code: string;
}

export class FilePlan {
  private readonly files = new Map<string, PlannedFile>();
  readonly manualSteps: ManualStep[] = [];

  /**
   * @param root the app folder; every path given to the plan is relative to it.
   * @param force overwrite generated files that exist with other content.
   */
  constructor(readonly root: string, private readonly force = false) {}

  private absolute(file: string): string {
    return path.join(this.root, file);
  }

  private disk(file: string): string | null {
    try {
      return fs.readFileSync(this.absolute(file), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /** Current content: as planned so far, else as on disk; null when the file does not exist. */
  read(file: string): string | null {
    const planned = this.files.get(file);
    if (planned) return planned.after;
    return this.disk(file);
  }

  exists(file: string): boolean {
    return this.read(file) !== null;
  }

  /**
   * A file af-jobs generates from a template: CREATE when missing, SKIP when it already has this
   * content, and when it has other content (the user edited it) SKIP, or UPDATE with --force.
   */
  generate(file: string, content: string): PlannedFile {
    const current = this.read(file);
    if (current === null) return this.set(file, 'CREATE', content);
    if (current === content) return this.set(file, 'SKIP', current, 'up to date');
    if (this.force) return this.set(file, 'UPDATE', content, 'overwritten (--force)');
    return this.set(file, 'SKIP', current, 'exists with other content; kept (--force overwrites it)');
  }

  /** An edit of an existing file: UPDATE when the content changes, else SKIP with `unchangedNote`. */
  edit(file: string, content: string, unchangedNote = 'already set up'): PlannedFile {
    const current = this.read(file);
    if (current === content) {
      const planned = this.files.get(file);
      // An earlier step of this command may already have changed the file: keep its action.
      if (planned && planned.action !== 'SKIP') return planned;
      return this.set(file, 'SKIP', content, unchangedNote);
    }
    return this.set(file, current === null ? 'CREATE' : 'UPDATE', content);
  }

  /** Records a file the command looked at and left alone. */
  skip(file: string, note: string): void {
    if (!this.files.has(file)) this.set(file, 'SKIP', this.read(file) ?? '', note);
  }

  manual(step: ManualStep): void {
    this.manualSteps.push(step);
  }

  private set(file: string, action: FileAction, after: string, note?: string): PlannedFile {
    const previous = this.files.get(file);
    const before = previous ? previous.before : this.disk(file);
    // A file created earlier in this plan stays a CREATE when edited again.
    const effective: FileAction = previous?.action === 'CREATE' && action !== 'SKIP' ? 'CREATE' : action;
    const entry: PlannedFile = { path: file, action: effective, before, after, ...(note ? { note } : {}) };
    if (previous && previous.action !== 'SKIP' && action === 'SKIP') return previous;
    this.files.set(file, entry);
    return entry;
  }

  get entries(): PlannedFile[] {
    return [...this.files.values()];
  }

  /** The files that would be written. */
  get changes(): PlannedFile[] {
    return this.entries.filter((entry) => entry.action !== 'SKIP');
  }

  /** Writes every change (creating folders). Synchronous, so an interrupt cannot split it. */
  write(): void {
    for (const entry of this.changes) {
      const target = this.absolute(entry.path);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, entry.after);
    }
  }
}
