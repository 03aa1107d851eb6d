/**
 * `vhlink:/` Verifiable Health Link payloads (IHE ITI.VHL, ITI-YY3 "VHL Payload Construction"): the SMART Health
 * Link payload format ({url, key, exp?, flag?, label?, v?, extension?}), minified, base64url-encoded and prefixed
 * `vhlink:/`. Unlike a `shlink:/`, `url` is a FHIR search on List (`[base]/List?_id=…&code=folder&status=current&
 * patient.identifier=system|value[&_include=List:item]`), so the SHL 128-character cap on `url` does not apply.
 * The manifest URL helpers build and read that search (ITI-YY5 search parameters).
 * https://profiles.ihe.net/ITI/VHL/ITI-YY3.html · https://profiles.ihe.net/ITI/VHL/ITI-YY5.html
 */
import { FormatError } from '../errors.ts';
import { decodeBase64Url, encodeBase64Url, isJsonObject, parseJson } from '../json.ts';
import { isLoopbackHttpUrl } from '../loopback.ts';

export const VHLINK_PREFIX = 'vhlink:/';
/** A VHL sits in one QR code: far below this, but a cap keeps a hostile link from costing anything. */
const MAX_LINK_CHARS = 8 * 1024;
const MAX_URL_CHARS = 2048;

export interface VhlinkPayload {
  /** The manifest URL: a FHIR search on List naming the folder. */
  url: string;
  /** 32-byte AES key, base64url (43 characters): decrypts the documents (JWE dir + A256GCM). */
  key: string;
  exp?: number;
  /** L, P (U is refused: a VHL always goes through the manifest). */
  flag?: string;
  label?: string;
  v?: number;
  /** Present only with the OAuth with SSRAA Option: `{ fhirBaseUrl }`. */
  extension?: { fhirBaseUrl?: string; [k: string]: unknown };
}

function fail(message: string): never {
  throw new FormatError('SHLINK_INVALID', `VHL: ${message}`);
}

const httpsOrLoopback = (url: unknown): url is string =>
  typeof url === 'string' && (/^https:\/\//.test(url) || isLoopbackHttpUrl(url)) && URL.canParse(url);

/**
 * Throws SHLINK_INVALID unless the payload meets ITI-YY3/YY4's constraints.
 * @example checkVhlinkPayload({ url: 'https://s.example/fhir/List?_id=…', key, v: 1 }).url
 */
export function checkVhlinkPayload(value: unknown): VhlinkPayload {
  if (!isJsonObject(value)) fail('the payload is not a JSON object');
  const { url, key, exp, flag, label, v, extension } = value;
  if (!httpsOrLoopback(url) || url.length > MAX_URL_CHARS)
    fail(`url must be an https URL of at most ${MAX_URL_CHARS} characters`);
  if (typeof key !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(key) || decodeBase64Url(key).length !== 32)
    fail('key must be 32 bytes in base64url (43 characters)');
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp))) fail('exp must be a number of seconds');
  if (flag !== undefined && (typeof flag !== 'string' || !/^L?P?$/.test(flag)))
    fail('flag must be L, P or LP (alphabetical); U is not used with a VHL');
  if (label !== undefined && (typeof label !== 'string' || label.length > 80))
    fail('label must be text of at most 80 characters');
  if (v !== undefined && v !== 1) fail(`version ${String(v)} is not supported`);
  if (extension !== undefined) {
    if (!isJsonObject(extension)) fail('extension must be an object');
    if (extension.fhirBaseUrl !== undefined && !httpsOrLoopback(extension.fhirBaseUrl))
      fail('extension.fhirBaseUrl must be an https URL');
  }
  return value as unknown as VhlinkPayload;
}

/**
 * `vhlink:/` + base64url of the minified JSON payload.
 * @example encodeVhlink({ url, key, flag: 'P', v: 1 }) // 'vhlink:/eyJ1cmwiOi…'
 * @see https://profiles.ihe.net/ITI/VHL/ITI-YY3.html (VHL Payload Construction, step 5)
 */
export function encodeVhlink(payload: VhlinkPayload): string {
  checkVhlinkPayload(payload);
  return VHLINK_PREFIX + encodeBase64Url(new TextEncoder().encode(JSON.stringify(payload)));
}

/**
 * Parse a `vhlink:/`. With `now`, an expired payload fails with SHLINK_EXPIRED.
 * @example decodeVhlink('vhlink:/eyJ1cmwiOi…').url // 'https://s.example/fhir/List?_id=…'
 * @see https://profiles.ihe.net/ITI/VHL/ITI-YY4.html (steps 8 and 9)
 */
export function decodeVhlink(text: string, options: { now?: Date } = {}): VhlinkPayload {
  if (typeof text !== 'string' || text.length === 0)
    throw new FormatError('INPUT_INVALID', 'VHL: the link is empty or not text');
  if (text.length > MAX_LINK_CHARS)
    throw new FormatError('INPUT_TOO_LARGE', `VHL: the link has ${text.length} characters, above ${MAX_LINK_CHARS}`);
  const trimmed = text.trim();
  if (!trimmed.startsWith(VHLINK_PREFIX))
    throw new FormatError('PREFIX_MISSING', 'VHL: no "vhlink:/" prefix', { offset: 0 });
  const json = parseJson(
    decodeBase64Url(trimmed.slice(VHLINK_PREFIX.length), 'VHL payload'),
    { maxJsonBytes: MAX_LINK_CHARS, maxJsonDepth: 4 },
    'VHL payload',
  );
  const payload = checkVhlinkPayload(json);
  if (options.now !== undefined && payload.exp !== undefined && options.now.getTime() / 1000 > payload.exp)
    throw new FormatError('SHLINK_EXPIRED', `VHL: the link expired at ${new Date(payload.exp * 1000).toISOString()}`);
  return payload;
}

/** The search parameters of a VHL manifest URL (ITI-YY5 Table "FHIR Search Parameters"). */
export interface VhlManifestQuery {
  /** FHIR base: the URL up to `/List`. */
  base: string;
  folderId: string;
  code: string;
  status: string;
  /** `system|value`, exactly as the holder gave it at ITI-YY3. */
  patientIdentifier: string;
  /** `_include=List:item` present (Include DocumentReference Option). */
  include: boolean;
}

/**
 * The manifest URL of a folder.
 * @example buildVhlManifestUrl({ base: 'https://s.example/fhir', folderId, patientIdentifier: 'urn:oid:1.2|P1', include: true })
 * // 'https://s.example/fhir/List?_id=…&code=folder&status=current&patient.identifier=urn%3Aoid%3A1.2%7CP1&_include=List%3Aitem'
 */
export function buildVhlManifestUrl(q: Omit<VhlManifestQuery, 'code' | 'status'>): string {
  const params = new URLSearchParams([
    ['_id', q.folderId],
    ['code', 'folder'],
    ['status', 'current'],
    ['patient.identifier', q.patientIdentifier],
  ]);
  if (q.include) params.append('_include', 'List:item');
  return `${q.base.replace(/\/+$/, '')}/List?${params.toString()}`;
}

/**
 * Read a manifest URL back into its search parameters; throws SHLINK_INVALID when one the profile requires
 * (`_id`, `code`, `status`, `patient.identifier`) is missing or repeated, or the path is not `…/List` or `…/List/_search`.
 * @example parseVhlManifestUrl(payload.url).folderId
 */
export function parseVhlManifestUrl(url: string): VhlManifestQuery {
  if (!URL.canParse(url)) fail('the manifest URL does not parse');
  const u = new URL(url);
  const m = /^(.*)\/List(\/_search)?\/?$/.exec(u.pathname);
  if (!m) fail('the manifest URL is not a search on List');
  const one = (name: string): string => {
    const all = u.searchParams.getAll(name);
    if (all.length !== 1 || all[0] === '') fail(`the manifest URL needs exactly one ${name}`);
    return all[0] as string;
  };
  const include = u.searchParams.getAll('_include');
  if (include.some((i) => i !== 'List:item')) fail('_include may only be List:item');
  return {
    base: `${u.origin}${m[1]}`,
    folderId: one('_id'),
    code: one('code'),
    status: one('status'),
    patientIdentifier: one('patient.identifier'),
    include: include.length > 0,
  };
}
