/**
 * `shlink:/` SMART Health Links: base64url JSON {url, key, exp?, flag?, label?, v?}, optionally after a viewer URL and `#`.
 * https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html#construct-a-smart-health-link-payload
 */
import { FormatError } from '../errors.ts';
import { isLoopbackHttpUrl } from '../loopback.ts';
import { decodeBase64Url, encodeBase64Url, isJsonObject, parseJson } from '../json.ts';

export const SHLINK_PREFIX = 'shlink:/';
const MAX_LINK_CHARS = 8 * 1024;

export interface ShlinkPayload {
  /** Manifest URL (or file URL with flag U); at most 128 characters. */
  url: string;
  /** 32-byte AES key, base64url (43 characters). */
  key: string;
  /** Expiry, seconds since the epoch. */
  exp?: number;
  /** Letters from L (long-term), P (passcode), U (direct file); P and U exclude each other. */
  flag?: string;
  /** Short description, at most 80 characters. */
  label?: string;
  v?: number;
}

function fail(message: string): never {
  throw new FormatError('SHLINK_INVALID', `SHL: ${message}`);
}

/**
 * Throws SHLINK_INVALID unless the payload meets the spec's constraints.
 * @example checkShlinkPayload(JSON.parse(text))
 */
export function checkShlinkPayload(value: unknown): ShlinkPayload {
  if (!isJsonObject(value)) fail('the payload is not a JSON object');
  const { url, key, exp, flag, label, v } = value;
  if (typeof url !== 'string' || !(/^https:\/\//.test(url) || isLoopbackHttpUrl(url)) || url.length > 128)
    fail('url must be an https URL of at most 128 characters');
  if (!URL.canParse(url)) fail('url is not a valid URL');
  if (typeof key !== 'string' || key.length !== 43 || decodeKeySafe(key) !== 32)
    fail('key must be 32 bytes in base64url (43 characters)');
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp))) fail('exp must be a number of seconds');
  if (flag !== undefined) {
    if (typeof flag !== 'string' || !/^[LPU]*$/.test(flag) || new Set(flag).size !== flag.length)
      fail('flag must be distinct letters from L, P, U');
    if (flag.includes('P') && flag.includes('U')) fail('flags P and U cannot be combined');
  }
  if (label !== undefined && (typeof label !== 'string' || label.length > 80))
    fail('label must be text of at most 80 characters');
  if (v !== undefined && v !== 1) fail(`version ${String(v)} is not supported`);
  return value as unknown as ShlinkPayload;
}

function decodeKeySafe(key: string): number {
  try {
    return decodeBase64Url(key).length;
  } catch {
    return -1;
  }
}

/**
 * Build the `shlink:/` URI, optionally behind a viewer URL (`https://viewer.example/#shlink:/…`).
 * @example encodeShlink({ url, key, flag: 'P', label: 'Summary' }, { viewerUrl: 'https://viewer.example/' })
 * @see https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html#construct-a-smart-health-link-payload
 */
export function encodeShlink(payload: ShlinkPayload, options: { viewerUrl?: string } = {}): string {
  checkShlinkPayload(payload);
  const link = SHLINK_PREFIX + encodeBase64Url(new TextEncoder().encode(JSON.stringify(payload)));
  return options.viewerUrl === undefined ? link : `${options.viewerUrl.replace(/#.*$/, '')}#${link}`;
}

/**
 * Parse a SMART Health Link, bare or viewer-prefixed. With `now`, an expired link fails with SHLINK_EXPIRED.
 * @example decodeShlink('https://viewer.example/#shlink:/eyJ1cmwiOi…').url
 * @see https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html#receiving-application-processes-a-smart-health-link
 */
export function decodeShlink(text: string, options: { now?: Date } = {}): ShlinkPayload {
  if (typeof text !== 'string' || text.length === 0)
    throw new FormatError('INPUT_INVALID', 'SHL: the link is empty or not text');
  if (text.length > MAX_LINK_CHARS)
    throw new FormatError(
      'INPUT_TOO_LARGE',
      `SHL: the link has ${text.length} characters, above the cap of ${MAX_LINK_CHARS}`,
    );
  const trimmed = text.trim();
  const at = trimmed.startsWith(SHLINK_PREFIX) ? 0 : trimmed.indexOf(`#${SHLINK_PREFIX}`) + 1;
  if (at === 0 && !trimmed.startsWith(SHLINK_PREFIX))
    throw new FormatError('PREFIX_MISSING', 'SHL: no "shlink:/" in the link', { offset: 0 });
  const body = trimmed.slice(at + SHLINK_PREFIX.length);
  const json = parseJson(
    decodeBase64Url(body, 'SHL payload'),
    { maxJsonBytes: MAX_LINK_CHARS, maxJsonDepth: 4 },
    'SHL payload',
  );
  const payload = checkShlinkPayload(json);
  if (options.now !== undefined && payload.exp !== undefined && options.now.getTime() / 1000 > payload.exp) {
    throw new FormatError('SHLINK_EXPIRED', `SHL: the link expired at ${new Date(payload.exp * 1000).toISOString()}`);
  }
  return payload;
}

/**
 * A fresh link key from caller-supplied randomness (randomness is a parameter, e.g. node:crypto randomBytes).
 * @example newShlinkKey(randomBytes) // 43-character base64url
 */
export function newShlinkKey(randomBytes: (size: number) => Uint8Array): string {
  const bytes = randomBytes(32);
  if (bytes.length !== 32) throw new FormatError('KEY_INVALID', 'SHL: the random source did not return 32 bytes');
  return encodeBase64Url(bytes);
}
