/**
 * Cookie header parsing, deliberately as naive as AdminForth's (contract §3.3,
 * `servers/express.ts:48-59`): pairs are split on `'; '` (semicolon + space) and each pair on its
 * first `=`. A client that joins cookies with a bare `;` is not understood, exactly as in
 * AdminForth, so a non-browser client must send `Cookie: adminforth_<slug>_jwt=<jwt>`.
 */
export interface ParsedCookie {
  key: string;
  value: string;
}

/** Parses a `Cookie` request header into the `{ key, value }[]` shape handlers receive (§3.1). */
export function parseCookies(header: string | string[] | undefined): ParsedCookie[] {
  if (!header) return [];
  const text = Array.isArray(header) ? header.join('; ') : header;
  return text
    .split('; ')
    .filter((part) => part.length > 0)
    .map((part) => {
      const eq = part.indexOf('=');
      // Splitting on the first `=` only is our one kindness: a JWT has no `=`, so this never
      // changes what the auth cookie reads as.
      return eq === -1 ? { key: part, value: '' } : { key: part.slice(0, eq), value: part.slice(eq + 1) };
    });
}

/** The value of the first cookie named `name`, or undefined. */
export function findCookie(cookies: ParsedCookie[], name: string): string | undefined {
  return cookies.find((c) => c.key === name)?.value;
}
