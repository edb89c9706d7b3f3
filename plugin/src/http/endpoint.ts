/**
 * How an endpoint of the plugin's own API is registered: `noAuth` in AdminForth's terms, then, per
 * request, authentication (cookie or bearer token) → body size and zod schema → handler; every
 * failure answers the one error shape with its HTTP status (errors.ts). A request without valid
 * credentials answers before the body is looked at, as AdminForth's own auth does (contract §3.1):
 * 401 `text/html` `Unauthorized by AdminForth`.
 */
import type { IHttpServer, IAdminForthEndpointHandlerInput } from 'adminforth';
import type { z } from 'zod';
import { errorMessage } from '../errors.js';
import { ApiError, toApiError } from './errors.js';
import { authenticate, UNAUTHORIZED_TEXT, type Caller } from './authenticate.js';
import type { ApiContext } from './context.js';
import { parseBody } from './validation.js';

export interface ApiRequest<T> {
  body: T;
  caller: Caller;
  /** Aborts when the client goes away (long-polls stop waiting). */
  abortSignal: AbortSignal;
}

export interface ApiEndpoint<S extends z.ZodType> {
  /** Full path after `/adminapi/v1`, e.g. `/plugin/<id>/jobs/list`. */
  path: string;
  schema: S;
  /** `cookie`: a login session only (minting tokens); default `any`: cookie or bearer token. */
  auth?: 'any' | 'cookie';
  description: string;
  handler(request: ApiRequest<z.infer<S>>): Promise<unknown>;
}

export function registerApiEndpoint<S extends z.ZodType>(server: IHttpServer, ctx: ApiContext, endpoint: ApiEndpoint<S>): void {
  server.endpoint({
    method: 'POST',
    path: endpoint.path,
    noAuth: true,
    description: endpoint.description,
    handler: async (input: IAdminForthEndpointHandlerInput) => {
      let caller: Caller | null;
      try {
        caller = await authenticate(ctx.plugin.adminforth, ctx.tokens, input, ctx.verified);
      } catch (error) {
        return answerError(input, toApiError(error));
      }
      if (!caller) {
        input.response.setStatus(401, UNAUTHORIZED_TEXT);
        return null;
      }
      try {
        if (endpoint.auth === 'cookie' && caller.via !== 'cookie') {
          throw new ApiError('FORBIDDEN', 'This endpoint needs a login session (the AdminForth cookie), not a personal token: log in to mint tokens.');
        }
        const body = parseBody(endpoint.schema, input.body);
        return await endpoint.handler({ body, caller, abortSignal: input.abortSignal });
      } catch (error) {
        return answerError(input, toApiError(error));
      }
    },
  });
}

function answerError(input: IAdminForthEndpointHandlerInput, error: ApiError): unknown {
  if (error.code === 'INTERNAL') {
    console.error(`background-jobs: ${input.requestUrl}: ${errorMessage(error)}`);
    error = new ApiError('INTERNAL', 'Internal error in the background-jobs plugin; the server log has the details.');
  }
  input.response.setStatus(error.status);
  return error.toBody();
}
