/**
 * The HTTP side of the host (contract §3.1, §3.3, §1.3 step 2): `serve(app)` creates the
 * `http.Server`, attaches the websocket and lets AdminForth register the core and plugin endpoints;
 * `endpoint()` wraps a handler with AdminForth's exact order of checks.
 */
import http, { type Server } from 'node:http';
import type { Express, NextFunction, Request, Response } from 'express';
import type {
  AdminUser, IAdminForth, IAdminForthAuthenticatedEndpointOptions, IAdminForthEndpointHandlerInput, IAdminForthEndpointOptions,
  IAdminForthNoAuthEndpointOptions, IExpressHttpServer,
} from '../types.js';
import { findCookie, parseCookies } from './cookies.js';
import { validateAgainstSchema } from './schema-validation.js';

const UNAUTHORIZED = 'Unauthorized by AdminForth';
const VERIFY_FAILED = 'Failed to verify JWT token - something went wrong';
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type ExpressHandler = (req: Request & { adminUser?: AdminUser }, res: Response, next: NextFunction) => unknown;

export class ExpressServer implements IExpressHttpServer {
  /** The node http.Server created by `serve()`. */
  server?: Server;
  /** The app passed to `serve()`; endpoints are registered on it. */
  expressApp?: Express;

  constructor(private readonly adminforth: IAdminForth) {}

  /**
   * Creates the http.Server for `app`, attaches the `/afws` websocket and calls
   * `adminforth.setupEndpoints(this)` (core endpoints, then every plugin's). The app's own
   * `express.json()` and custom routes must be registered before this call (contract §1.3).
   */
  serve(app: Express): void {
    if (this.server) throw new Error('admin.express.serve(app) was already called: call it once per AdminForth instance');
    this.expressApp = app;
    this.server = http.createServer(app);
    this.adminforth.websocket.attach?.(this.server);
    this.adminforth.setupEndpoints(this);
  }

  /** `server.listen(port, host?, cb?)`; `serve()` must have run. */
  listen(port: number, host?: string | (() => void), cb?: () => void): Server {
    const server = this.requireServer('listen');
    if (typeof host === 'function') return server.listen(port, host);
    return host === undefined ? server.listen(port, cb) : server.listen(port, host, cb);
  }

  /**
   * The host's teardown (real AdminForth has none): closes the websocket server and the http server,
   * destroying keep-alive and in-flight connections so the port is free when the promise resolves.
   */
  async close(): Promise<void> {
    await this.adminforth.websocket.close?.();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    if (!server.listening) return;
    await new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    });
  }

  /**
   * Wraps an Express handler with the cookie check (contract §3.3): sets `req.adminUser`, or answers
   * 401 text `Unauthorized by AdminForth` (500 text when verification itself fails). Does not add
   * `baseUrl` or parse bodies.
   */
  authorize(handler: ExpressHandler): (req: any, res: any, next: any) => Promise<void> {
    return async (req, res, next) => {
      const { auth } = this.adminforth;
      const token = findCookie(parseCookies(req.headers.cookie), auth.getCookieName());
      if (!token) {
        res.status(401).send(UNAUTHORIZED);
        return;
      }
      let adminUser: AdminUser | null;
      try {
        adminUser = await auth.verify(token, 'auth');
      } catch (err) {
        console.error('[adminforth host] JWT verification failed:', err);
        res.status(500).send(VERIFY_FAILED);
        return;
      }
      if (!adminUser) {
        res.status(401).send(UNAUTHORIZED);
        return;
      }
      if (typeof auth.runAdminUserAuthorizeHooks === 'function') {
        const { allowed } = await auth.runAdminUserAuthorizeHooks(adminUser, res, { headers: req.headers });
        if (!allowed) {
          res.status(401).send(UNAUTHORIZED);
          return;
        }
      }
      req.adminUser = adminUser;
      await handler(req, res, next);
    };
  }

  /**
   * Registers `${baseUrl}/adminapi/v1${path}` (contract §3.1). Per request: auth (unless `noAuth`)
   * → 415 for a non-JSON POST/PUT/PATCH/DELETE → body (`req.body || {}`, a string is JSON-parsed) →
   * `request_schema` → handler → output. A thrown error propagates to Express 5's error handler.
   */
  endpoint(options: IAdminForthAuthenticatedEndpointOptions | IAdminForthNoAuthEndpointOptions): void {
    // Without `noAuth` the auth check below has set `adminUser` before the handler runs.
    const { method = 'GET', path, noAuth = false, request_schema, response_schema, target = 'json' } = options;
    const handler = options.handler as IAdminForthEndpointOptions['handler'];
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new Error(`Endpoint path must start with "/", got "${path}" (e.g. "/plugin/<pluginInstanceId>/<action>")`);
    }
    const app = this.expressApp;
    if (!app) throw new Error(`Cannot register endpoint ${method} ${path} before admin.express.serve(app)`);
    const fullPath = `${this.baseUrl()}/adminapi/v1${path}`;
    const upperMethod = method.toUpperCase();
    const requiredContentType = target === 'upload' ? 'multipart/form-data' : 'application/json';

    const run: ExpressHandler = async (req, res) => {
      if (METHODS_WITH_BODY.has(upperMethod) && !String(req.headers['content-type'] ?? '').startsWith(requiredContentType)) {
        res.status(415).send(`Unsupported Media Type: Content-Type must be ${requiredContentType}`);
        return;
      }
      let body: any = req.body || {};
      if (typeof body === 'string') {
        try {
          body = JSON.parse(body);
        } catch {
          res.status(400).send('Invalid JSON body');
          return;
        }
      }
      if (request_schema) {
        const details = validateAgainstSchema(request_schema, body);
        if (details) {
          res.status(400).json({ error: 'Request body validation failed', details });
          return;
        }
      }

      const headers: [string, string][] = [];
      let status = 200;
      let statusMessage: string | undefined;
      const abortController = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) abortController.abort();
      });
      const input: IAdminForthEndpointHandlerInput = {
        body,
        query: req.query as Record<string, any>,
        headers: req.headers,
        cookies: parseCookies(req.headers.cookie),
        adminUser: req.adminUser as AdminUser,
        response: {
          setHeader: (name, value) => void headers.push([name, value]),
          setStatus: (code, message) => {
            status = code;
            statusMessage = message;
          },
          blobStream: () => res,
        },
        requestUrl: req.url,
        _raw_express_req: req as any,
        _raw_express_res: res as any,
        tr: async (msg, _category, params) => substitute(msg, params),
        abortSignal: abortController.signal,
      };

      const output = await handler(input);

      for (const [name, value] of headers) {
        // Several Set-Cookie headers must all survive; other headers keep the last value.
        if (name.toLowerCase() === 'set-cookie') res.append(name, value);
        else res.setHeader(name, value);
      }
      res.status(status);
      if (statusMessage !== undefined) {
        res.send(statusMessage);
        return;
      }
      if (output === null) return; // the handler wrote to the raw response itself
      if (response_schema) {
        const details = validateAgainstSchema(response_schema, output);
        if (details) {
          res.status(500).json({ error: 'Response validation failed', details });
          return;
        }
      }
      res.json(output);
    };

    const route = noAuth ? run : this.authorize(run);
    const register = (app as any)[upperMethod.toLowerCase()];
    if (typeof register !== 'function') throw new Error(`Unsupported endpoint method "${method}" for ${path}`);
    register.call(app, fullPath, route);
  }

  /** `config.baseUrl` without a trailing `/`, so `'/admin/'` and `'/admin'` give the same URLs. */
  private baseUrl(): string {
    return (this.adminforth.config.baseUrl || '').replace(/\/+$/, '');
  }

  private requireServer(action: string): Server {
    if (!this.server) throw new Error(`Cannot ${action} before admin.express.serve(app) has created the http server`);
    return this.server;
  }
}

/** `tr()` without translations: the message with each `{name}` replaced from `params`. */
function substitute(msg: string, params?: Record<string, unknown>): string {
  if (!params) return msg;
  return msg.replace(/\{(\w+)\}/g, (whole, key: string) => (key in params ? String(params[key]) : whole));
}
