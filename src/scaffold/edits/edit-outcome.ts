/**
 * What an edit of a user's file did. Every edit checks before it inserts, so running a command
 * twice finds everything `present` the second time; a shape it cannot edit safely is `manual`,
 * with the exact code for the user to add.
 */
export type EditOutcome =
  | { status: 'added' }
  | { status: 'present' }
  | { status: 'manual'; reason: string; code: string };

export const ADDED: EditOutcome = { status: 'added' };
export const PRESENT: EditOutcome = { status: 'present' };

export function manual(reason: string, code: string): EditOutcome {
  return { status: 'manual', reason, code };
}
