/**
 * Reading request bodies: JSON only (FHIR JSON or plain JSON), form bodies for `_search`, a size cap enforced
 * from Content-Length before reading and while streaming, XML refused with 415 without being parsed.
 */
import type { Request } from 'express';
import { parseStrictJson } from '../fhir/json.ts';
import { fail } from '../fhir/outcome.ts';

/** JSON bodies: FHIR resources and Parameters, and JSON Patch documents (PATCH). */
export const JSON_TYPES: ReadonlySet<string> = new Set([
  'application/fhir+json',
  'application/json',
  'application/json+fhir',
  'application/json-patch+json',
]);
export const FORM_TYPE = 'application/x-www-form-urlencoded';
/** Package archives ($install-package) and QR pictures ($verify). */
export const BINARY_TYPES: ReadonlySet<string> = new Set([
  'application/gzip',
  'application/x-gzip',
  'application/octet-stream',
  'application/tar+gzip',
  'image/png',
  'image/jpeg',
]);
/** The operations that take a binary body. */
export const BINARY_OPERATIONS = new Set(['$install-package', '$verify']);

/**
 * A `$validate` body larger than this (bytes) is parsed, validated and its outcome serialized in a validation worker
 * when one is ready. 64 KB (was 256 KB): a 93 KB body of nested extensions has ~2,100 elements, each an issue of the
 * outcome; parsed here, sent to a worker as an object and its 2,100 issues cloned back and serialized here, it held
 * the event loop ~20 ms (ADR 0066). Below 64 KB the round trip to a worker costs about what it saves.
 */
export const LARGE_BODY_BYTES = 64 * 1024;

/**
 * A large JSON body left as bytes by the HTTP shell, for an operation that has it parsed and checked in a worker
 * thread (`$validate`): parsing an 8 MB body holds the event loop ~100–250 ms, as long as validating it.
 * `parse()` is the fallback: the same checks as an ordinary body, here.
 */
export class DeferredJson {
  readonly bytes: Uint8Array;
  readonly #parse: () => unknown;
  constructor(bytes: Uint8Array, parse: () => unknown) {
    this.bytes = bytes;
    this.#parse = parse;
  }
  parse(): unknown {
    return this.#parse();
  }
}

export type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'form'; params: Array<[string, string]> }
  | { kind: 'binary'; bytes: Buffer };

export async function readBody(req: Request, maxBytes: number): Promise<Body> {
  const length = req.headers['content-length'];
  const declared = length === undefined ? undefined : Number(length);
  if (declared !== undefined && declared > maxBytes) tooLarge(maxBytes);
  const hasBody = (declared !== undefined && declared > 0) || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return { kind: 'none' };
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType.includes('xml')) {
    fail('unsupported-media-type', {
      code: 'not-supported',
      id: 'XML_NOT_SUPPORTED',
      text: 'This server speaks FHIR JSON only; send application/fhir+json',
    });
  }
  if (mediaType === FORM_TYPE) {
    return { kind: 'form', params: [...new URLSearchParams(decodeUtf8(await readBytes(req, maxBytes))).entries()] };
  }
  if (BINARY_TYPES.has(mediaType)) return { kind: 'binary', bytes: await readBytes(req, maxBytes) };
  if (!JSON_TYPES.has(mediaType)) {
    const shown = mediaType || '(none)';
    fail('unsupported-media-type', {
      code: 'not-supported',
      id: 'CONTENT_TYPE_UNSUPPORTED',
      text: `Content-Type ${shown} is not supported; send application/fhir+json`,
    });
  }
  return jsonBodyOf(await readBytes(req, maxBytes));
}

/** True when the request's declared type is a JSON one (its body, if any, is read as JSON). */
export function declaresJson(req: Request): boolean {
  return JSON_TYPES.has((req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase());
}

/** The body of a JSON request, checked and parsed (here or, for large bodies, in a validation worker). */
export function jsonBodyOf(bytes: Uint8Array): Body {
  const text = decodeUtf8(bytes);
  if (text.charCodeAt(0) === 0xfeff)
    fail('invalid', {
      code: 'structure',
      id: 'BODY_BOM',
      text: 'The body starts with a byte order mark; send JSON without one (RFC 8259 §8.1)',
    });
  if (text.trim() === '') return { kind: 'none' };
  return { kind: 'json', value: parseStrictJson(text) };
}

/**
 * A body of declared length read into shared memory, chunk by chunk as it arrives: a worker thread then reads the
 * same bytes without a copy (posting an 8 MB buffer copied it on the event loop, ~100 ms on a busy machine, and
 * joining the chunks at the end copied it once more).
 */
export async function readSharedBytes(req: Request, maxBytes: number, declared: number): Promise<Uint8Array> {
  if (declared > maxBytes) tooLarge(maxBytes);
  const bytes = new Uint8Array(new SharedArrayBuffer(declared));
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    // Node's parser never gives more than Content-Length; the check keeps a mistake from writing past the end.
    if (size + chunk.length > declared) tooLarge(declared);
    bytes.set(chunk, size);
    size += chunk.length;
  }
  return size === declared ? bytes : bytes.subarray(0, size);
}

/**
 * The body's bytes, refused past `maxBytes` while it streams. Listeners rather than `for await`: the async iterator
 * costs a promise and a few objects per chunk and per request, on every `$verify`. A body too large stops being
 * collected; the rest flows to nowhere while the 413 (with `Connection: close`) is sent, the socket kept for it.
 */
export function readBytes(req: Request, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: unknown): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', done);
      req.off('close', onClose);
      if (err === undefined) return resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        try {
          tooLarge(maxBytes);
        } catch (err) {
          done(err);
        }
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => done();
    // A request destroyed before its end (client gone) fails as the iterator did: with a premature-close error.
    const onClose = (): void =>
      done(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', done);
    req.on('close', onClose);
  });
}

/** One decoder for every body: a non-streaming decode() starts from a clean state each call. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    // TextDecoder reads no shared memory: a body read for a worker (readSharedBytes) is copied first.
    const own = bytes.buffer instanceof SharedArrayBuffer ? new Uint8Array(bytes) : bytes;
    return UTF8.decode(own);
  } catch {
    return fail('invalid', { code: 'structure', id: 'BODY_NOT_UTF8', text: 'The body is not valid UTF-8' });
  }
}

function tooLarge(maxBytes: number): never {
  return fail('too-large', {
    code: 'too-costly',
    id: 'BODY_TOO_LARGE',
    text: `The body is larger than the limit of ${maxBytes} bytes`,
  });
}
