/**
 * Errors that happen before a handler of the plugin runs, answered in the API's one error shape
 * (errors.ts) instead of Express's HTML page. The app's `express.json()` parses every body before
 * routing (contract §3.1), so malformed JSON or a body over its limit fails there, and Express 5
 * sends its default HTML error; an error thrown by an endpoint AdminForth authenticates (the
 * official plugin's four) ends there too. An error-handling middleware added while the plugin
 * registers its endpoints comes after the app's parser, and answers those errors for the plugin's
 * own paths only; other paths keep whatever the app does.
 */
import type { IHttpServer } from 'adminforth';
import { errorMessage } from '../errors.js';
import { ApiError, ERROR_STATUS, type ApiErrorBody } from './errors.js';

/** body-parser's error types (what `express.json()` sets on the error) and what they become. */
function toBodyError(error: any): ApiError {
  switch (error?.type) {
    case 'entity.parse.failed':
      return new ApiError('INVALID_INPUT', `The request body is not valid JSON (${errorMessage(error)}): send one JSON object.`);
    case 'entity.too.large':
      return new ApiError('BODY_TOO_LARGE', `The request body is larger than the app accepts (${errorMessage(error)}).`);
    default:
      return typeof error?.status === 'number' && error.status >= 400 && error.status < 500
        ? new ApiError('INVALID_INPUT', `The request body could not be read: ${errorMessage(error)}.`)
        : new ApiError('INTERNAL', 'Internal error (details are in the server log).');
  }
}

/**
 * Adds the middleware for paths under `/adminapi/v1` (after `baseUrl`) that `isPluginPath`
 * accepts. Does nothing on a server without an Express app (it is set by `serve()` before
 * AdminForth calls `setupEndpoints`).
 */
export function registerBodyErrorHandler(server: IHttpServer, baseUrl: string, isPluginPath: (path: string) => boolean): void {
  const app = (server as { expressApp?: { use(handler: (...args: any[]) => void): void } }).expressApp;
  if (!app || typeof app.use !== 'function') return;
  const prefix = `${baseUrl.replace(/\/+$/, '')}/adminapi/v1`;
  app.use((error: unknown, req: any, res: any, next: (error?: unknown) => void) => {
    const path: string = String(req.path ?? req.url ?? '');
    if (res.headersSent || !path.startsWith(`${prefix}/`) || !isPluginPath(path.slice(prefix.length))) {
      next(error);
      return;
    }
    const answer = toBodyError(error);
    if (answer.code === 'INTERNAL') console.error(`background-jobs: ${req.method} ${path}: ${(error as Error)?.stack ?? errorMessage(error)}`);
    const body: ApiErrorBody = { error: { code: answer.code, message: answer.message } };
    res.status(ERROR_STATUS[answer.code]).json(body);
  });
}
