/** The waiting kit itself (wait.ts): what it resolves with and what its failures say. */
import { describe, expect, it, vi } from 'vitest';
import { quietFor, until, untilStatus, untilValue } from './wait.js';

describe('wait.ts', () => {
  it('until resolves with the first truthy value', async () => {
    let n = 0;
    expect(await until('n to reach 3', () => (++n >= 3 ? { n } : undefined), { intervalMs: 1 })).toEqual({ n: 3 });
  });

  it('names what it waited for and the last error seen, which is the cause', async () => {
    const error = await until('the server to answer', () => { throw new Error('ECONNREFUSED'); }, { timeoutMs: 30, intervalMs: 5 })
      .catch((e: Error) => e);
    expect((error as Error).message).toMatch(/^timed out after 30 ms waiting for the server to answer \(last seen: error: ECONNREFUSED\)$/);
    expect(((error as Error).cause as Error).message).toBe('ECONNREFUSED');
  });

  it('untilStatus shows the job as last read; explain adds to the message', async () => {
    await expect(untilStatus('job 7', () => ({ status: 'IN_PROGRESS' }), ['DONE', 'FAILED'], { timeoutMs: 20, intervalMs: 5, explain: () => 'log: x' }))
      .rejects.toThrow('waiting for job 7 to be DONE or FAILED (last seen: {"status":"IN_PROGRESS"})\nlog: x');
  });

  it('gives up at once when giveUpIf has a reason', async () => {
    const started = Date.now();
    await expect(untilValue('output', () => '', Boolean, { timeoutMs: 10_000, giveUpIf: () => 'the app exited with code 1' }))
      .rejects.toThrow('gave up waiting for output: the app exited with code 1');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('keeps real time under fake timers', async () => {
    vi.useFakeTimers();
    try {
      let ready = false;
      globalThis.setTimeout(() => { ready = true; }, 1000);
      const waiting = until('ready', () => ready, { timeoutMs: 5000, intervalMs: 5 });
      vi.advanceTimersByTime(1000);
      expect(await waiting).toBe(true);
      await quietFor(5, 'nothing');
    } finally {
      vi.useRealTimers();
    }
  });
});
