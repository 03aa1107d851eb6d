/**
 * SHL manifest request and response shapes (the HTTP endpoints live in http/; these are the pure checks).
 * https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html#manifest-request
 */
import { FormatError } from '../errors.ts';
import { isJsonObject } from '../json.ts';
import { SHL_CONTENT_TYPES, type ShlContentType } from './jwe.ts';

export interface ManifestRequest {
  /** Who is asking (e.g. an organisation name); required. */
  recipient: string;
  passcode?: string;
  /** Largest `embedded` JWE the client accepts; larger files come as `location`. */
  embeddedLengthMax?: number;
}

export interface ManifestFile {
  contentType: ShlContentType;
  /** Compact JWE of the file, inline. */
  embedded?: string;
  /** Short-lived https URL that returns the JWE. */
  location?: string;
  lastUpdated?: string;
}

export interface ManifestResponse {
  files: ManifestFile[];
}

function fail(message: string): never {
  throw new FormatError('MANIFEST_INVALID', `SHL manifest: ${message}`);
}

/**
 * Check a manifest POST body. With `requirePasscode` (link flag P), a missing passcode is rejected.
 * @example parseManifestRequest({ recipient: 'Clinic A', passcode: '1234' }, { requirePasscode: true })
 * @see https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html#manifest-request
 */
export function parseManifestRequest(body: unknown, options: { requirePasscode?: boolean } = {}): ManifestRequest {
  if (!isJsonObject(body)) fail('the request body is not a JSON object');
  const { recipient, passcode, embeddedLengthMax } = body;
  if (typeof recipient !== 'string' || recipient.length === 0 || recipient.length > 1024)
    fail('recipient is required (text, at most 1024 characters)');
  if (passcode !== undefined && (typeof passcode !== 'string' || passcode.length > 1024)) fail('passcode must be text');
  if (options.requirePasscode === true && passcode === undefined) fail('this link needs a passcode');
  if (
    embeddedLengthMax !== undefined &&
    (typeof embeddedLengthMax !== 'number' || !Number.isInteger(embeddedLengthMax) || embeddedLengthMax < 0)
  ) {
    fail('embeddedLengthMax must be a non-negative integer');
  }
  const out: ManifestRequest = { recipient };
  if (passcode !== undefined) out.passcode = passcode as string;
  if (embeddedLengthMax !== undefined) out.embeddedLengthMax = embeddedLengthMax as number;
  return out;
}

function checkFile(file: unknown, index: number): ManifestFile {
  if (!isJsonObject(file)) fail(`files[${index}] is not an object`);
  if (!SHL_CONTENT_TYPES.includes(file.contentType as ShlContentType))
    fail(`files[${index}].contentType ${JSON.stringify(file.contentType)} is not an SHL content type`);
  const hasEmbedded = file.embedded !== undefined;
  const hasLocation = file.location !== undefined;
  if (hasEmbedded === hasLocation) fail(`files[${index}] needs exactly one of embedded or location`);
  if (hasEmbedded && (typeof file.embedded !== 'string' || file.embedded.split('.').length !== 5))
    fail(`files[${index}].embedded is not a compact JWE`);
  if (hasLocation && (typeof file.location !== 'string' || !/^https:\/\//.test(file.location)))
    fail(`files[${index}].location is not an https URL`);
  if (file.lastUpdated !== undefined && typeof file.lastUpdated !== 'string')
    fail(`files[${index}].lastUpdated must be an instant`);
  return file as unknown as ManifestFile;
}

/**
 * Check a manifest response (what the server sends, what a client receives).
 * @example parseManifestResponse({ files: [{ contentType: 'application/fhir+json', embedded: jwe }] })
 * @see https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html#manifest-response
 */
export function parseManifestResponse(body: unknown): ManifestResponse {
  if (!isJsonObject(body) || !Array.isArray(body.files)) fail('the response must be an object with a files array');
  if (body.files.length > 10_000) fail('too many files');
  return { ...body, files: body.files.map(checkFile) };
}

/**
 * Build a manifest response, embedding each JWE when it fits `embeddedLengthMax` and pointing to `location` otherwise.
 * @example buildManifestResponse([{ contentType, jwe, location }], request.embeddedLengthMax)
 */
export function buildManifestResponse(
  files: readonly { contentType: ShlContentType; jwe: string; location: string; lastUpdated?: string }[],
  embeddedLengthMax?: number,
): ManifestResponse {
  const out = files.map((f) => {
    const entry: ManifestFile = { contentType: f.contentType };
    if (embeddedLengthMax === undefined || f.jwe.length <= embeddedLengthMax) entry.embedded = f.jwe;
    else entry.location = f.location;
    if (f.lastUpdated !== undefined) entry.lastUpdated = f.lastUpdated;
    return entry;
  });
  return parseManifestResponse({ files: out });
}
