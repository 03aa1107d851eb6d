/**
 * `$verify`: any credential — as text in a Parameters body, or as a picture of its QR code (a PNG/JPEG body, or the
 * `qrImage` attachment) — checked against the trust list or the keys the caller gives. 200 whenever the request
 * could be read, whatever the verdict; a picture without a readable QR code is a `decode-error` verdict. A signed
 * FHIR document Bundle (parameter `document`, or the bare Bundle as body) is checked as a document (ADR 0071).
 */
import { allowsInteraction } from '../../auth/scopes.ts';
import { verdictToParameters } from '../../credentials/verdict.ts';
import type { VhlFetcher } from '../../credentials/verify-options.ts';
import { unreadableQrVerdict, verifyCredential } from '../../credentials/verify.ts';
import { profileFor, verifySignedDocument } from '../../credentials/verify-document.ts';
import { fail } from '../../fhir/outcome.ts';
import { FormatError } from '../../formats/errors.ts';
import type { CredentialServices } from '../../services-credentials.ts';
import type { AuthContext } from '../authorize.ts';
import { createQrImageReader, type QrImageReader } from '../qr-image-reader.ts';
import type { OperationRoute } from '../routes.ts';
import { defineOperation } from './define.ts';
import { acceptedLanguages } from '../accept-headers.ts';
import { readVerifyRequest } from './verify-input.ts';
import type { OffThreadValidate } from './validate.ts';
import { toPlainJson } from '../../fhir/json.ts';

export function verifyOperation(
  credentials: CredentialServices,
  now: () => Date,
  readQrImage: QrImageReader = createQrImageReader(),
  offThread?: OffThreadValidate,
): OperationRoute {
  return defineOperation('verify', {
    scope: null,
    // A PNG/JPEG body is the credential's picture, not Parameters: read without it.
    readInput: false,
    handle: async (ctx, req, _target, _unread, read) => {
      const image = Buffer.isBuffer(req.body) ? req.body : undefined;
      const input = read(
        image ? { query: req.query, body: undefined } : { query: req.query, body: asParameters(req.body) },
      );
      const attachment = input.attachment('qrImage');
      const given = [input.has('credential'), Boolean(attachment || image), input.has('document')].filter(Boolean);
      if (given.length > 1)
        fail('invalid', {
          code: 'invalid',
          id: 'VERIFY_TWO_CREDENTIALS',
          text: 'Give one credential: as text, as a QR image, or as a signed document Bundle',
          expression: input.has('document') ? 'document' : 'qrImage',
        });
      if (input.has('document')) {
        const document = input.resource('document');
        if (document?.resourceType !== 'Bundle')
          fail('invalid', {
            code: 'invalid',
            id: 'VERIFY_DOCUMENT_NOT_BUNDLE',
            text: 'Parameter document must be a Bundle resource (a signed FHIR document)',
            expression: 'document',
          });
        const options = credentials.verifyOptions(readVerifyRequest(input, now(), '', { document: true }));
        // This route is public: a large document's profile check runs in a validation worker under the request's
        // work budget, as `$validate`'s does, so a 10,000-entry Bundle cannot hold the event loop.
        const profile = profileFor(document as unknown as Record<string, unknown>);
        const away = offThread?.resource(toPlainJson(document), { profile, budget: ctx.budget });
        if (away && options.validate) {
          const checked = await away;
          const inline = options.validate;
          options.validate = (r, p) => (r === document && p === profile ? checked : inline(r, p));
        }
        return { status: 200, resource: verdictToParameters(await verifySignedDocument(document, options)) };
      }
      const bytes = image ?? (attachment ? attachmentBytes(attachment.data) : undefined);
      let text: string | undefined;
      if (bytes) {
        try {
          text = await readQrImage(bytes, attachment?.contentType);
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
          return { status: 200, resource: verdictToParameters(unreadableQrVerdict(e.code, e.message)) };
        }
      }
      const request = readVerifyRequest(input, now(), text);
      const languages = acceptedLanguages(req.headers.acceptLanguage);
      if (languages.length > 0) request.languages = languages;
      const options = credentials.verifyOptions(request);
      // $verify is public, but a VHL folder is served only to authenticated receivers (ITI-YY5: system/List.s):
      // an anonymous caller gets the signature checks, not the documents.
      if (!mayReadFolders(ctx.auth)) options.fetchVhl = refuseFolders;
      const verdict = await verifyCredential(request.credential, options);
      return { status: 200, resource: verdictToParameters(verdict) };
    },
  });
}

/** A bare Bundle body stands for the `document` parameter; other bodies are read as they are. */
function asParameters(body: unknown): unknown {
  const resource = body as { resourceType?: unknown } | undefined;
  if (resource?.resourceType !== 'Bundle') return body;
  return { resourceType: 'Parameters', parameter: [{ name: 'document', resource }] };
}

function mayReadFolders(auth: AuthContext | undefined): boolean {
  return !auth || auth.kind === 'off' || (auth.kind === 'client' && allowsInteraction(auth.scopes, 'List', 's'));
}

const refuseFolders: VhlFetcher = async () => {
  throw new FormatError(
    'SHL_FETCH_REFUSED',
    'VHL: following a vhlink needs a token with system/List.s (ITI-YY5 receiver authentication)',
  );
};

function attachmentBytes(data: string | undefined): Buffer {
  if (!data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data.replace(/\s+/g, ''))) {
    fail('invalid', {
      code: 'value',
      id: 'VERIFY_IMAGE_DATA_INVALID',
      text: 'qrImage needs its picture as base64 in Attachment.data',
      expression: 'qrImage',
    });
  }
  return Buffer.from(data, 'base64');
}
