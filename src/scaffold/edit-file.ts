/**
 * Runs edits (edits/*.ts) on one TypeScript file of the plan, in order, each on the result of
 * the previous; records the ones that must be done by hand; plans the new content.
 */
import { SourceFile } from './ast/source-file.js';
import type { EditOutcome } from './edits/edit-outcome.js';
import type { FilePlan } from './file-plan.js';

export type Edit = (file: SourceFile) => EditOutcome;

export function editFile(plan: FilePlan, file: string, edits: Edit[], unchangedNote = 'already set up'): void {
  const text = plan.read(file);
  if (text === null) throw new Error(`editFile: ${file} does not exist`);
  const source = new SourceFile(file, text);
  for (const edit of edits) {
    const outcome = edit(source);
    source.apply();
    if (outcome.status === 'manual') plan.manual({ file, reason: outcome.reason, code: outcome.code });
  }
  plan.edit(file, source.text, unchangedNote);
}
