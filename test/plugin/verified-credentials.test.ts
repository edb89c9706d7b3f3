/**
 * The short memory of verified login cookies (http/authenticate.ts): how long an entry lives, with
 * the clock passed in.
 */
import { describe, expect, it } from 'vitest';
import { VerifiedCredentials, type Caller } from '../../plugin/src/http/authenticate.js';

const caller: Caller = { adminUser: { pk: '1', username: 'adminforth' }, via: 'cookie' };

describe('VerifiedCredentials', () => {
  it('keeps a verified cookie for ttlMs, never past its own expiry', () => {
    const cache = new VerifiedCredentials(2000);
    cache.set('cookie:a', caller, 1000, null);
    expect(cache.get('cookie:a', 2999)).toBe(caller);
    expect(cache.get('cookie:a', 3000)).toBeNull();
    expect(cache.get('cookie:a', 1500)).toBeNull();

    cache.set('cookie:b', caller, 1000, 1500);
    expect(cache.get('cookie:b', 1499)).toBe(caller);
    expect(cache.get('cookie:b', 1500)).toBeNull();
    expect(cache.get('cookie:unknown', 1000)).toBeNull();
  });

  it('keeps nothing with ttlMs 0 (userRecheckMs: 0 checks every request)', () => {
    const cache = new VerifiedCredentials(0);
    cache.set('cookie:a', caller, 1000, null);
    expect(cache.get('cookie:a', 1000)).toBeNull();
  });
});
