/**
 * Names the scaffold derives from what the user typed: a handler name `send-emails`,
 * `sendEmails` or `send_emails` is stored as `send_emails` (the docs' `example_job_handler`
 * style), lives in `jobs/send-emails.ts`, is imported as `sendEmailsHandler`, its component
 * is `custom/SendEmailsTasks.vue`, and its start route `POST <baseUrl>/api/jobs/send-emails/start`
 * lives in `jobs/send-emails-route.ts`, exporting `createSendEmailsHandlerRoute`.
 */
import { UsageError } from '../errors.js';

export interface HandlerNames {
  /** `jobHandlerName`, stored in the job row: `send_emails`. */
  jobHandlerName: string;
  /** Module file name without extension: `send-emails`. */
  fileBase: string;
  /** Exported identifier of the handler definition: `sendEmailsHandler`. */
  identifier: string;
  /** Vue component file name without extension: `SendEmailsTasks`. */
  componentName: string;
  /** Human title: `Send emails`. */
  title: string;
  /**
   * Factory of the start route, `create` + the identifier + `Route`: `createSendEmailsHandlerRoute`.
   * The identifier always ends in `Handler`, so it never clashes with init's `createExampleJobRoute`.
   */
  routeFactory: string;
  /** Path of the start route after the admin's base URL: `/api/jobs/send-emails/start`. */
  startPath: string;
}

const NAME_RULE = 'start with a letter and use only letters, digits, "-" and "_" (at most 64 characters)';

/** Splits `sendEmails`, `send-emails`, `send_emails`, `SendEmails2` into lower-case words. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1 $2')
    .split(/[-_\s]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
}

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** Validates a handler name and derives the file, identifier and component names from it. */
export function handlerNames(name: string, what = 'handler name'): HandlerNames {
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name) || /[-_]{2}|[-_]$/.test(name)) {
    throw new UsageError(`Invalid ${what} "${name}": it must ${NAME_RULE}, e.g. send-emails.`);
  }
  const parts = words(name);
  const camel = parts[0] + parts.slice(1).map(capitalize).join('');
  const pascal = parts.map(capitalize).join('');
  const identifier = camel.endsWith('Handler') ? camel : `${camel}Handler`;
  return {
    jobHandlerName: parts.join('_'),
    fileBase: parts.join('-'),
    identifier,
    componentName: `${pascal.replace(/Handler$/, '') || pascal}Tasks`,
    title: capitalize(parts.join(' ')),
    routeFactory: `create${capitalize(identifier)}Route`,
    startPath: `/api/jobs/${parts.join('-')}/start`,
  };
}

/** A table name, resource id or data source id: a plain SQL-safe identifier. */
export function checkIdentifier(value: string, flag: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(value)) {
    throw new UsageError(`Invalid ${flag} "${value}": use letters, digits and "_", starting with a letter or "_" (at most 63 characters).`);
  }
  return value;
}
