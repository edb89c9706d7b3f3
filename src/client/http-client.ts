/**
 * HTTP to one AdminForth app: AdminForth's own login (contract §3.2), and POSTs to the plugin's
 * API with the saved credentials, sent exactly as `Cookie: <name>=<jwt>` (AdminForth splits the
 * header naively, contract §3.3) or `Authorization: Bearer afjobs_…`. Every failure becomes one of
 * the CLI's errors with a one-line message that names the fix (style.md); the plugin's error
 * codes map to exit codes here (docs/http-api.md "Errors").
 */
import type { Context } from '../context.js';
import { ApiError, AuthError, ConnectionError, NotFoundError, UsageError } from '../errors.js';
import type { Credentials, SessionCredentials } from './profiles.js';

/** Who the client speaks as, and what to tell a user whose credentials were refused. */
export interface ClientIdentity {
  credentials: Credentials | null;
  /** Where the credentials came from, for messages: `profile "default"`, `AF_JOBS_TOKEN`. */
  source: string;
  /** The command that logs in again, e.g. `af-jobs login --url http://localhost:3500`. */
  loginCommand: string;
}

/** The app answered with an HTTP status that is not the plugin's business answer (5xx, a proxy's 502). */
export class HttpStatusError extends ApiError {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** A path that the app does not serve at all (Express's own 404): the plugin is not there. */
export class MissingRouteError extends NotFoundError {
  constructor(readonly url: string, message: string) {
    super(message);
  }
}

export interface RequestOptions {
  /** Gives up after this long (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** A JWT's `exp` as a date, or null (the CLI never verifies it: only the app can). */
export function jwtExpiry(jwt: string): Date | null {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : null;
  } catch {
    return null;
  }
}

/** Why a request could not be sent, in words (`connection refused`, `host not found`, ...). */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  switch (code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'host not found';
    case 'ECONNRESET': case 'UND_ERR_SOCKET': return 'connection reset';
    case 'ETIMEDOUT': case 'UND_ERR_CONNECT_TIMEOUT': return 'connection timed out';
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'host unreachable';
    default:
      if ((error as Error)?.name === 'TimeoutError') return 'no answer in time';
      return cause?.message ?? (error as Error)?.message ?? String(error);
  }
}

export class HttpClient {
  /** `scheme://host:port`, for paths that discovery gives with the app's baseUrl included. */
  readonly origin: string;

  constructor(
    private readonly ctx: Context,
    /** The app's URL including AdminForth's baseUrl, no trailing slash. */
    readonly url: string,
    readonly identity: ClientIdentity,
    /** Where `url` came from, for messages: `--url`, `AF_JOBS_URL`, `profile "default"`. */
    readonly urlSource: string,
  ) {
    this.origin = new URL(url).origin;
  }

  /** `POST <url>/adminapi/v1<path>` (AdminForth's endpoints and discovery). */
  postAdminApi<T>(path: string, body: unknown, options?: RequestOptions): Promise<T> {
    return this.post<T>(`${this.url}/adminapi/v1${path}`, body, options);
  }

  /** `POST <origin><path>`, for a path that already includes the app's baseUrl. */
  postPath<T>(path: string, body: unknown, options?: RequestOptions): Promise<T> {
    return this.post<T>(`${this.origin}${path}`, body, options);
  }

  async post<T>(url: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(url, { method: 'POST', headers: { ...this.jsonHeaders(), ...this.authHeaders() }, body: JSON.stringify(body) }, options);
    return this.answer<T>(url, response);
  }

  /** The headers that carry the credentials: exactly one cookie, or a bearer token. */
  authHeaders(): Record<string, string> {
    const credentials = this.identity.credentials;
    if (!credentials) return {};
    if (credentials.kind === 'token') return { authorization: `Bearer ${credentials.token}` };
    return { cookie: `${credentials.cookieName}=${credentials.jwt}` };
  }

  private jsonHeaders(): Record<string, string> {
    return { 'content-type': 'application/json', accept: 'application/json' };
  }

  /** Sends one request; a network failure becomes a ConnectionError naming the URL. */
  async send(url: string, init: RequestInit, options: RequestOptions = {}): Promise<Response> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const started = Date.now();
    let response: Response;
    try {
      response = await this.ctx.transport.fetch(url, { ...init, signal });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      if (this.ctx.verbose) this.ctx.stderr.write(this.ctx.color.dim(`${init.method} ${url} failed: ${networkReason(error)}\n`));
      throw new ConnectionError(
        `Cannot reach ${this.url} (${networkReason(error)}; tried ${init.method} ${url}): check the URL (${this.urlSource}) and that the app is running.`,
        { cause: error },
      );
    }
    if (this.ctx.verbose) this.ctx.stderr.write(this.ctx.color.dim(`${init.method} ${url} → ${response.status} (${Date.now() - started} ms)\n`));
    return response;
  }

  private async answer<T>(url: string, response: Response): Promise<T> {
    const text = await response.text();
    let json: any;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.ok) {
      if (json === undefined) throw new ApiError(`${url} answered ${response.status} with something that is not JSON: is ${this.url} an AdminForth app with the background-jobs plugin?`);
      return json as T;
    }
    if (response.status === 401) throw this.unauthorized();
    const error = json?.error;
    if (error && typeof error === 'object' && typeof error.code === 'string') {
      const message = String(error.message ?? error.code);
      switch (error.code) {
        case 'NOT_FOUND': throw new NotFoundError(error.field === 'jobId' ? `${message.replace(/\.$/, '')} on ${this.url} (or you may not see it): check the id with af-jobs list.` : message);
        case 'INVALID_INPUT': case 'BODY_TOO_LARGE': throw new UsageError(message);
        case 'FORBIDDEN': throw new AuthError(message);
        default: throw new HttpStatusError(response.status, `${message} (${error.code}, HTTP ${response.status})`);
      }
    }
    if (response.status === 404 && json === undefined) {
      throw new MissingRouteError(url, `${this.url} has no ${new URL(url).pathname} (HTTP 404)`);
    }
    const detail = typeof error === 'string' ? error : typeof json?.message === 'string' ? json.message : text.replace(/\s+/g, ' ').trim().slice(0, 200);
    throw new HttpStatusError(response.status, `${url} answered HTTP ${response.status}${detail ? `: ${detail}` : ''}`);
  }

  /** The one-line message for a 401, by where the credentials came from. */
  unauthorized(): AuthError {
    const { credentials, source, loginCommand } = this.identity;
    if (!credentials) {
      return new AuthError(`Not logged in to ${this.url}: run ${loginCommand} (or set AF_JOBS_TOKEN to a personal token).`);
    }
    if (credentials.kind === 'token') {
      // Minting needs a password login (a token cannot mint tokens, docs/http-api.md "Personal tokens").
      const fix = source === 'AF_JOBS_TOKEN'
        ? 'mint a new one with af-jobs token create (logged in with a password) and set AF_JOBS_TOKEN'
        : `mint a new one with af-jobs token create (logged in with a password) and run ${loginCommand} --token <token>`;
      return new AuthError(`${this.url} refused the token from ${source} (unknown, revoked or expired, or its user was removed): ${fix}.`);
    }
    const expiry = sessionExpiry(credentials);
    if (expiry && expiry.getTime() <= Date.now()) {
      return new AuthError(`Your session for ${this.url} (${source}) expired at ${expiry.toISOString()}: log in again with ${loginCommand}.`);
    }
    return new AuthError(`${this.url} refused the saved session of ${source} (logged out elsewhere, the app's secret changed, or the user was removed): log in again with ${loginCommand}.`);
  }
}

function sessionExpiry(credentials: SessionCredentials): Date | null {
  if (credentials.expiresAt) return new Date(credentials.expiresAt);
  return jwtExpiry(credentials.jwt);
}
