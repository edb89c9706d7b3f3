/**
 * Stand-in for AdminForth's `@/utils` (contract §7): `callAdminForthApi({ path, method, body?,
 * headers?, silentError?, abortSignal? })` prefixes `/adminapi/v1`, sends JSON with
 * `x-adminforth-client-id` and `accept-language`, and returns the parsed JSON answer whatever its
 * status, or `null` on 401 (AdminForth then goes to the login page) or on a network error (after
 * an alert, unless `silentError`). `getCustomComponent({ file })` resolves a globally registered
 * component by the name the code injector gives it (`file` minus `@`, `.`, `/`).
 */
import { resolveComponent } from 'vue';
import { useAdminforth } from './adminforth';

export interface CallApiOptions {
  path: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  body?: unknown;
  headers?: Record<string, string>;
  silentError?: boolean;
  abortSignal?: AbortSignal;
}

/** Set by the page when a 401 sends the user to the login page (the stand-in has no router). */
export const unauthorized = { count: 0 };

export async function callApi({ path, method, body, headers, silentError = false, abortSignal }: CallApiOptions): Promise<any> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        'Content-Type': 'application/json',
        'accept-language': 'en',
        'x-adminforth-client-id': 'stand-in',
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: abortSignal,
    });
  } catch (error) {
    if ((error as Error)?.name === 'AbortError') return null;
    if (!silentError) useAdminforth().alert({ variant: 'danger', message: 'Network error, please check your Internet connection and try again' });
    return null;
  }
  if (response.status === 401) {
    unauthorized.count++;
    return null;
  }
  try {
    return await response.json();
  } catch (error) {
    if (!silentError) useAdminforth().alert({ variant: 'danger', message: 'Something went wrong, please try again later' });
    console.error(`error in callApi ${path}`, error);
    return undefined;
  }
}

export function callAdminForthApi(options: CallApiOptions): Promise<any> {
  return callApi({ ...options, path: `/adminapi/v1${options.path}` });
}

/** The component registered under `file` (see `componentsToExplicitRegister`). Call it while rendering. */
export function getCustomComponent({ file }: { file: string; meta?: any }) {
  const name = file.replace(/@/g, '').replace(/\./g, '').replace(/\//g, '');
  return resolveComponent(name);
}

/** The name `getCustomComponent` resolves for `file` (for registering components in tests and pages). */
export function componentNameOf(file: string): string {
  return file.replace(/[@./]/g, '');
}
