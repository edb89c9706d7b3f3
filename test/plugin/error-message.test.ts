/**
 * `errorMessage` (plugin/src/errors.ts) turns anything a handler may throw into a task's error
 * message: it never throws, and the message is readable and at most MAX_ERROR_MESSAGE_LENGTH
 * characters plus the note that says it was cut (issue 17).
 */
import { describe, expect, it } from 'vitest';
import { MAX_ERROR_MESSAGE_LENGTH, errorMessage } from '../../plugin/src/errors.js';
import { THROWN_VALUES } from './thrown-values.js';

describe('errorMessage', () => {
  it.each(THROWN_VALUES.map((v) => [v.name, v] as const))('%s', (_name, value) => {
    expect(errorMessage(value.make())).toBe(value.message);
  });

  it('keeps what it always gave for well-behaved values', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage(new Error())).toBe('Error');
    expect(errorMessage('not an error')).toBe('not an error');
    expect(errorMessage({ code: 42 })).toBe('{"code":42}');
    expect(errorMessage(undefined)).toBe('undefined');
  });

  it('lists at most 10 errors of an AggregateError, and nests them readably', () => {
    const many = new AggregateError(Array.from({ length: 12 }, (_, i) => new Error(`e${i}`)), '');
    expect(errorMessage(many)).toBe('AggregateError (12 errors: e0; e1; e2; e3; e4; e5; e6; e7; e8; e9; …)');
    const nested = new AggregateError([new AggregateError([null], 'inner')], 'outer');
    expect(errorMessage(nested)).toBe('outer (1 error: inner (1 error: null))');
    const unlisted = new AggregateError([], 'all failed');
    Object.defineProperty(unlisted, 'errors', { value: new Proxy([1], { get: () => { throw new Error('no list'); } }) });
    expect(errorMessage(unlisted)).toBe('all failed');
  });

  it('describes an Error whose message is not a string by that value', () => {
    const error = new Error('x');
    (error as unknown as { message: unknown }).message = { why: 'object' };
    expect(errorMessage(error)).toBe('{"why":"object"}');
  });

  it('never cuts a character in two', () => {
    const message = errorMessage(`${'a'.repeat(MAX_ERROR_MESSAGE_LENGTH - 1)}😀😀`);
    expect(message).toBe(`${'a'.repeat(MAX_ERROR_MESSAGE_LENGTH - 1)}… [cut: 10003 characters in all]`);
  });

  it('is bounded for a huge serialisable object', () => {
    const message = errorMessage({ list: Array.from({ length: 100_000 }, (_, i) => i) });
    expect(message.length).toBeLessThan(MAX_ERROR_MESSAGE_LENGTH + 50);
    expect(message).toMatch(/^\{"list":\[0,1,2,.*… \[cut: \d+ characters in all\]$/s);
  });
});
