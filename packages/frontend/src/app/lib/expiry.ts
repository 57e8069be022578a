/**
 * When signed media URLs stop working, read from the URLs themselves (no I/O, no DOM: the
 * frontend's tests import it in Node). Our own signed URLs carry `expires` (Unix seconds); S3's
 * presigned URLs carry `X-Amz-Date` (yyyymmddThhmmssZ) and `X-Amz-Expires` (seconds).
 */

/** The instant (ms since the epoch) a signed URL expires, or null when it does not say. */
export function urlExpiresAt(url: string): number | null {
  let params: URLSearchParams;
  try {
    params = new URL(url, 'http://localhost').searchParams;
  } catch {
    return null;
  }
  const expires = params.get('expires');
  if (expires !== null && /^\d+$/.test(expires)) return Number(expires) * 1000;
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(params.get('X-Amz-Date') ?? '');
  const seconds = params.get('X-Amz-Expires');
  if (date && seconds !== null && /^\d+$/.test(seconds)) {
    const [, y, mo, d, h, mi, s] = date.map(Number) as number[];
    return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s) + Number(seconds) * 1000;
  }
  return null;
}

/** The earliest expiry among `urls` (ms), or null when none says. */
export function earliestExpiry(urls: Iterable<string>): number | null {
  let first: number | null = null;
  for (const url of urls) {
    const at = urlExpiresAt(url);
    if (at !== null && (first === null || at < first)) first = at;
  }
  return first;
}

/**
 * Whether something fetched with URLs that expire at `expiresAt` is still good to use at `now`:
 * not within `marginMs` of the expiry (a sheet must still load after the check).
 */
export function stillValid(expiresAt: number | null, now: number, marginMs = 60_000): boolean {
  return expiresAt === null || now < expiresAt - marginMs;
}
