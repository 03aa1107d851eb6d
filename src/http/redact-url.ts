/**
 * What the request log may show of a URL: secrets are replaced by `REDACTED` before the line is written. Query
 * parameters are redacted by name (passcodes, keys, tokens, tickets), and the SMART Health Link paths lose their link
 * id and file ticket, which are bearer secrets (whoever has the manifest URL may ask for the file).
 */
const SECRET_PARAMS = new Set([
  'passcode',
  'key',
  'token',
  'access_token',
  'ticket',
  'client_secret',
  'password',
  'shlink',
  'credential',
]);
const SHL_PATH = /^\/shl\/[^/?#]+(\/file\/[^/?#]+)?/;

/**
 * The URL with secret query values and SHL path secrets replaced.
 * @example redactUrl('/shl/abc/file/t?passcode=1234&x=1') // '/shl/REDACTED/file/REDACTED?passcode=REDACTED&x=1'
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  let path = q < 0 ? url : url.slice(0, q);
  path = path.replace(SHL_PATH, (_m, file: string | undefined) => `/shl/REDACTED${file ? '/file/REDACTED' : ''}`);
  if (q < 0) return path;
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // an undecodable name is kept as written
      }
      return SECRET_PARAMS.has(name.toLowerCase()) && eq >= 0 ? `${rawName}=REDACTED` : pair;
    });
  return `${path}?${parts.join('&')}`;
}
