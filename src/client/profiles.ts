/**
 * Saved logins ("profiles"): one JSON file, `profiles.json`, in the config folder
 * (`AF_JOBS_CONFIG`, else `$XDG_CONFIG_HOME/af-jobs`, else `~/.config/af-jobs`). It holds
 * secrets (session JWTs, personal tokens), so the folder is created 0700 and the file is written
 * 0600 through a temp file and a rename: a reader never sees half a file (design D8).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';

/** An AdminForth login session: the value of the `adminforth_<brand>_jwt` cookie (contract §3.2). */
export interface SessionCredentials {
  kind: 'session';
  /** The cookie name, from the login answer's `Set-Cookie` (it depends on the app's brand name). */
  cookieName: string;
  jwt: string;
  /** When the JWT expires (its `exp`), ISO 8601; null when it has none. */
  expiresAt: string | null;
}

/** A personal token of the plugin (`afjobs_…`, docs/http-api.md "Personal tokens"). */
export interface TokenCredentials {
  kind: 'token';
  token: string;
}

export type Credentials = SessionCredentials | TokenCredentials;

/** Where the plugin's API is in the app (from discovery). */
export interface InstanceRef {
  instanceId: string;
  resourceId: string;
  /** `<baseUrl>/adminapi/v1/plugin/<instanceId>`. */
  apiPath: string;
  /** The websocket path, `<baseUrl>/afws`. */
  websocketPath: string;
}

export interface Profile {
  /** The app's URL including AdminForth's `baseUrl`, without a trailing slash. */
  url: string;
  credentials: Credentials;
  user: { pk: string; username: string | null };
  instance: InstanceRef;
  loggedInAt: string;
}

interface ProfilesFile {
  profiles: Record<string, Profile>;
  /** The profile used without `--profile` / `AF_JOBS_PROFILE` (`af-jobs profiles use`); `default` when unset. */
  current?: string;
}

export const DEFAULT_PROFILE = 'default';
const FILE_NAME = 'profiles.json';

/** The config folder for `env`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.AF_JOBS_CONFIG) return path.resolve(env.AF_JOBS_CONFIG);
  const base = env.XDG_CONFIG_HOME ? path.resolve(env.XDG_CONFIG_HOME) : path.join(os.homedir(), '.config');
  return path.join(base, 'af-jobs');
}

export function checkProfileName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new UsageError(`--profile "${name}": use letters, digits, ".", "_" and "-" (at most 64), e.g. --profile staging.`);
  }
  return name;
}

/** The profiles file of one config folder. */
export class ProfileStore {
  readonly file: string;

  constructor(readonly dir: string, fileName = FILE_NAME) {
    this.file = path.join(dir, fileName);
  }

  static forEnv(env: NodeJS.ProcessEnv): ProfileStore {
    // AF_JOBS_CONFIG naming a file (`/x/cli.json`, or any existing file) is the profiles file
    // itself: never create a folder of that name (issue 19).
    const configured = env.AF_JOBS_CONFIG ? path.resolve(env.AF_JOBS_CONFIG) : undefined;
    if (configured && (configured.endsWith('.json') || fs.statSync(configured, { throwIfNoEntry: false })?.isFile())) {
      return new ProfileStore(path.dirname(configured), path.basename(configured));
    }
    return new ProfileStore(configDir(env));
  }

  private read(): ProfilesFile {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
      throw new UsageError(`Cannot read ${this.file}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const parsed = JSON.parse(text) as ProfilesFile;
      return {
        profiles: parsed && typeof parsed.profiles === 'object' && parsed.profiles ? parsed.profiles : {},
        ...(typeof parsed?.current === 'string' ? { current: parsed.current } : {}),
      };
    } catch (error) {
      throw new UsageError(`${this.file} is not valid JSON: fix it, or delete it and log in again (af-jobs login).`, { cause: error });
    }
  }

  private write(data: ProfilesFile): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    // The mode of writeFileSync is filtered by the umask; the file must be private whatever it is.
    fs.chmodSync(temp, 0o600);
    fs.renameSync(temp, this.file);
  }

  get(name: string): Profile | undefined {
    return this.read().profiles[name];
  }

  all(): Record<string, Profile> {
    return this.read().profiles;
  }

  /** The first profile saved for `url` (used when `--url` is given without `--profile`). */
  findByUrl(url: string): [string, Profile] | undefined {
    return Object.entries(this.read().profiles).find(([, profile]) => profile.url === url);
  }

  save(name: string, profile: Profile): void {
    const data = this.read();
    data.profiles[name] = profile;
    this.write(data);
  }

  /** Removes a profile (and its place as the default); false when there was none. */
  remove(name: string): boolean {
    const data = this.read();
    if (!(name in data.profiles)) return false;
    delete data.profiles[name];
    if (data.current === name) delete data.current;
    this.write(data);
    return true;
  }

  /** The profile used when none is named: the one `af-jobs profiles use` chose, else `default`. */
  defaultName(): string {
    const { current, profiles } = this.read();
    return current !== undefined && current in profiles ? current : DEFAULT_PROFILE;
  }

  /** Makes `name` (an existing profile) the default. */
  setDefault(name: string): void {
    const data = this.read();
    if (name === DEFAULT_PROFILE) delete data.current;
    else data.current = name;
    this.write(data);
  }
}
