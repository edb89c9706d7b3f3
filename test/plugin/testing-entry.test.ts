import { describe, expect, it } from 'vitest';
import { runHandler } from '@adminforth/background-jobs/testing';
import { UnrecoverableError } from '@adminforth/background-jobs';

describe('@adminforth/background-jobs/testing runHandler', () => {
  it('runs each task with the production context and returns final statuses and states', async () => {
    const results = await runHandler({
      parallelLimit: 2,
      handler: async ({ taskIndex, getTaskStateField, setTaskStateField, setJobStateField, getJobStateField }) => {
        const n = await getTaskStateField('n');
        if (n === 3) throw new Error('three is not allowed');
        await setTaskStateField({ doubled: n * 2 });
        await setJobStateField(`seen${taskIndex}`, true);
        expect(await getJobStateField(`seen${taskIndex}`)).toBe(true);
      },
    }, [1, 2, 3].map((n) => ({ state: { n } })), { jobState: { batch: 'x' } });
    expect(results).toEqual([
      { index: 0, status: 'DONE', state: { n: 1, doubled: 2 }, attempt: 1 },
      { index: 1, status: 'DONE', state: { n: 2, doubled: 4 }, attempt: 1 },
      { index: 2, status: 'FAILED', state: { n: 3, error: 'three is not allowed' }, attempt: 1, error: 'three is not allowed' },
    ]);
  });

  it('retries up to maxAttempts and stops at UnrecoverableError', async () => {
    const results = await runHandler({
      maxAttempts: 3, backoff: { baseMs: 1, jitter: 0 },
      handler: async ({ attempt, getState }) => {
        const { kind } = await getState();
        if (kind === 'flaky' && attempt < 2) throw new Error('try again');
        if (kind === 'fatal') throw new UnrecoverableError('give up');
      },
    }, [{ state: { kind: 'flaky' } }, { state: { kind: 'fatal' } }]);
    expect(results.map((r) => [r.status, r.attempt, r.error])).toEqual([['DONE', 2, undefined], ['FAILED', 1, 'give up']]);
  });

  it('times out a handler that ignores its signal', async () => {
    let sawAbort = false;
    const results = await runHandler({
      timeoutMs: 20,
      handler: ({ signal }) => new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => { sawAbort = true; });
        setTimeout(resolve, 200);
      }),
    }, [{ state: {} }]);
    expect(sawAbort).toBe(true);
    expect(results[0]).toMatchObject({ status: 'FAILED', error: 'Task 0 timed out after 20 ms' });
  });
});
