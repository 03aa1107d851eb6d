/**
 * The SMART Health Link endpoints a recipient's app calls, outside the FHIR API: `POST /shl/{linkId}` (manifest,
 * with recipient and passcode), `GET /shl/{linkId}?recipient=…` (flag U: the encrypted file itself) and
 * `GET /shl/{linkId}/file/{ticket}` (a short-lived file location). Open to any origin (CORS): viewers are web apps.
 * A wrong passcode is 401 with `remainingAttempts`, as the spec asks.
 * https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html
 */
import type { Express, NextFunction, Request, Response } from 'express';
import {
  answerManifest,
  readDirectFile,
  readShlFile,
  ShlPasscodeError,
  type ShlContext,
} from '../credentials/shl-links.ts';
import { fail } from '../fhir/outcome.ts';
import { FormatError } from '../formats/errors.ts';
import { parseManifestRequest } from '../formats/shl/manifest.ts';
import { readBody } from './body.ts';

/** Manifest requests are tiny; anything bigger is not one. */
const MAX_MANIFEST_REQUEST = 16 * 1024;
const LINK_ID = /^[A-Za-z0-9_-]{43,128}$/;

export function mountShlEndpoints(app: Express, shl: ShlContext, now: () => Date): void {
  const cors = (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'no-store');
    next();
  };
  app.options('/shl/{*rest}', cors, (_req, res) => {
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
    res.status(204).end();
  });
  app.post('/shl/:linkId', cors, async (req, res) => {
    const linkId = linkIdOf(req);
    const body = await readBody(req, MAX_MANIFEST_REQUEST);
    let request;
    try {
      request = parseManifestRequest(body.kind === 'json' ? body.value : undefined);
    } catch (e) {
      if (e instanceof FormatError)
        fail('invalid', { code: 'invalid', id: 'SHL_MANIFEST_REQUEST_INVALID', text: e.message });
      throw e;
    }
    try {
      res.json(await answerManifest(shl, linkId, request, now()));
    } catch (e) {
      if (!(e instanceof ShlPasscodeError)) throw e;
      res.status(401).json({ remainingAttempts: e.remainingAttempts, error: e.message });
    }
  });
  app.get('/shl/:linkId', cors, async (req, res) => {
    if (typeof req.query.recipient !== 'string' || req.query.recipient === '') {
      fail('invalid', {
        code: 'required',
        id: 'SHL_RECIPIENT_MISSING',
        text: 'A direct file request names its recipient: ?recipient=…',
      });
    }
    res.type('application/jose').send(await readDirectFile(shl, linkIdOf(req), now()));
  });
  app.get('/shl/:linkId/file/:ticket', cors, async (req, res) => {
    res.type('application/jose').send(await readShlFile(shl, linkIdOf(req), String(req.params.ticket), now()));
  });
}

function linkIdOf(req: Request): string {
  const id = String(req.params.linkId);
  if (!LINK_ID.test(id))
    fail('not-found', { code: 'not-found', id: 'SHL_NOT_FOUND', text: 'No SMART Health Link here' });
  return id;
}
