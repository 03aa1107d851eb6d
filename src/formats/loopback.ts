/**
 * The specs ask for https (SHL `url`, SHC `iss`). Plain http is let through for loopback hosts only, so that a
 * server started on a laptop (`npm start`, http://localhost:8080) can issue and verify its own credentials; no
 * wallet or verifier elsewhere could reach such a URL anyway.
 */
/** `http://` + a loopback host + an optional port, as a regular-expression source to build patterns from. */
export const LOOPBACK_HTTP_ORIGIN = String.raw`http:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?`;
const LOOPBACK_HTTP = new RegExp(`^${LOOPBACK_HTTP_ORIGIN}(\\/|$)`);

/** @example isLoopbackHttpUrl('http://localhost:8080/shl/x') // true */
export function isLoopbackHttpUrl(url: string): boolean {
  return LOOPBACK_HTTP.test(url);
}

/** https, or http on a loopback host. @example isHttpsOrLoopback('https://issuer.example') // true */
export function isHttpsOrLoopback(url: string): boolean {
  return /^https:\/\/\S+$/.test(url) || (isLoopbackHttpUrl(url) && !/\s/.test(url));
}
