/**
 * What the `schedules` commands share: an app whose plugin predates schedules has no
 * `schedules/*` routes, which says "upgrade", not "no such thing".
 */
import { NotFoundError } from '../errors.js';
import { MissingRouteError } from './http-client.js';
import type { Session } from './session.js';

export async function withSchedules<T>(session: Session, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof MissingRouteError)) throw error;
    throw new NotFoundError(`The background-jobs plugin on ${session.target.url} has no schedules API (${error.message}): upgrade @adminforth/background-jobs to a version with plugin.registerSchedule.`, { cause: error });
  }
}
