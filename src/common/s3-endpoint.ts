/**
 * One spelling per S3 endpoint, for every comparison of endpoints (overlap checks, "is this the
 * repository", the local stack's credentials): scheme and host lower case, the scheme's default
 * port (80, 443) dropped, trailing slashes removed, localhost as 127.0.0.1. No endpoint (the
 * SDK's default, AWS) is "". A string that is no URL is only trimmed and lower-cased: equal
 * spellings still match, and the plan's schema refuses such endpoints anyway.
 */
export function canonicalEndpoint(endpoint: string | undefined): string {
  const raw = (endpoint ?? '').trim();
  if (!raw) return '';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return raw.replace(/\/+$/, '').toLowerCase();
  }
  // URL already lower-cases scheme and host and drops a port that is the scheme's default
  const host = u.hostname === 'localhost' ? '127.0.0.1' : u.hostname;
  const port = u.port ? `:${u.port}` : '';
  return `${u.protocol}//${host}${port}${u.pathname.replace(/\/+$/, '')}`;
}

export const sameEndpoint = (a: string | undefined, b: string | undefined): boolean => canonicalEndpoint(a) === canonicalEndpoint(b);
