/**
 * Reads the raw trust list from a URL (injected fetch) or a file, never holding more than `maxBytes`:
 * the length header is checked first and the body is streamed and cut off at the cap.
 */
import { readFile, stat } from 'node:fs/promises';
import { TrustError } from './errors.ts';

export type TrustSource = { url: string } | { file: string };

export const describeSource = (s: TrustSource): string => ('url' in s ? s.url : `file:${s.file}`);

function tooLarge(maxBytes: number): TrustError {
  return new TrustError('TRUSTLIST_TOO_LARGE', `Trust list exceeds the ${maxBytes}-byte cap`);
}

/**
 * A response body read to its end, or `tooLarge()` thrown (and the stream cancelled) once it passes `maxBytes`:
 * what a remote source says about its length is not trusted. Shared with the SHL manifest fetch.
 * @example const bytes = await readCapped(res.body, 5 << 20, () => new Error('too large'))
 */
export async function readCapped(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** How a caller of `fetchCappedText` names its failures (each source has its own error class and codes). */
export interface CappedFetchOptions {
  fetch: typeof fetch;
  maxBytes: number;
  timeoutMs: number;
  accept: string;
  /** `error` refuses a redirect instead of following it. */
  redirect?: 'error' | 'follow';
  failed: (reason: string) => Error;
  tooLarge: () => Error;
}

/**
 * The text at an operator-configured URL, never holding more than `maxBytes`: a declared length over the cap is
 * refused before reading, and the body is cut off at the cap. Shared by the trust list and the business rules.
 */
export async function fetchCappedText(url: string, o: CappedFetchOptions): Promise<string> {
  let res: Response;
  try {
    res = await o.fetch(url, {
      headers: { accept: o.accept },
      ...(o.redirect ? { redirect: o.redirect } : {}),
      signal: AbortSignal.timeout(o.timeoutMs),
    });
  } catch (e) {
    throw o.failed((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw o.failed(`HTTP ${res.status}`);
  }
  if (Number(res.headers.get('content-length') ?? NaN) > o.maxBytes) {
    await res.body?.cancel();
    throw o.tooLarge();
  }
  return res.body ? (await readCapped(res.body, o.maxBytes, o.tooLarge)).toString('utf8') : '';
}

const fetchText = (url: string, fetchFn: typeof fetch, maxBytes: number, timeoutMs: number): Promise<string> =>
  fetchCappedText(url, {
    fetch: fetchFn,
    maxBytes,
    timeoutMs,
    accept: 'application/did+json, application/json',
    failed: (reason) => new TrustError('TRUSTLIST_FETCH_FAILED', `Trust list download failed: ${reason}`),
    tooLarge: () => tooLarge(maxBytes),
  });

async function fileText(file: string, maxBytes: number): Promise<string> {
  try {
    if ((await stat(file)).size > maxBytes) throw tooLarge(maxBytes);
    return await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof TrustError) throw e;
    throw new TrustError(
      'TRUSTLIST_FETCH_FAILED',
      `Trust list file cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/** Reads and JSON-parses the source. Throws TrustError FETCH_FAILED, TOO_LARGE or MALFORMED. */
export async function readTrustSource(
  source: TrustSource,
  options: { fetch: typeof fetch; maxBytes: number; timeoutMs: number },
): Promise<unknown> {
  const text =
    'url' in source
      ? await fetchText(source.url, options.fetch, options.maxBytes, options.timeoutMs)
      : await fileText(source.file, options.maxBytes);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new TrustError('TRUSTLIST_MALFORMED', `Trust list is not JSON: ${(e as Error).message}`);
  }
}
