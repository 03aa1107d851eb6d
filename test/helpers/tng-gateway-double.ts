/**
 * TEST DOUBLE of the WHO trust network gateway's upload API, on 127.0.0.1 with its own self-signed server
 * certificate. Like the real gateway it requires a TLS client certificate from its list of onboarded participants,
 * checks the CMS signature against the participant's onboarded upload certificate and the uploaded DSC against the
 * participant's onboarded SCA. Paths and content types follow the gateway's OpenAPI (smart.who.int/trust/openapi):
 * POST /trustedCertificate (application/json { cms, domain, group }), DELETE /trustedCertificate (application/cms).
 * `trustList()` gives what the gateway would publish from that state: a DID trust list (v2) of the onboarded SCAs
 * and the uploaded DSCs, signed with the network's anchor key (the test serves it to the syncing side).
 */
import type { KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { generateKeyPair, privateKeyToPem } from '../../src/trust/cert-factory.ts';
import { verifyCms } from '../../src/trust/cms.ts';
import { buildDidDocument } from '../../src/trust/publish.ts';
import { signTrustList } from '../../src/trust/trustlist-proof.ts';
import { webCrypto, x509 } from '../../src/trust/peculiar.ts';
import { checkIssuedBy, readCertificate, toPem } from '../../src/trust/x509.ts';

export interface OnboardedParticipant {
  country: string;
  tlsCertPem: string;
  upCertPem: string;
  scaCertPem: string;
}

export interface StoredCertificate {
  country: string;
  domain: string;
  group: string;
  kid: string;
  der: Buffer;
}

export interface TngGatewayDouble {
  url: string;
  /** PEM of the double's server certificate: the client's `--gateway-ca`. */
  serverCertPem: string;
  stored: StoredCertificate[];
  /** Every request seen, with the answer given. */
  log: { method: string; path: string; status: number; reason?: string }[];
  /** The signed DID trust list of this moment: every onboarded SCA, then the stored DSCs of `domain` (x5c = [dsc, sca]). */
  trustList(options: TrustListOptions): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface TrustListOptions {
  did: string;
  /** The network's anchor key; the syncing side holds its public half (TRUSTLIST_ANCHOR). */
  anchorKey: KeyObject;
  created: Date;
  verificationMethod: string;
  /** Default DCC. */
  domain?: string;
}

async function serverCertificate() {
  const keys = await generateKeyPair('ES256');
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: 'C=XX, CN=127.0.0.1',
      keys,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }])],
    },
    webCrypto,
  );
  return { certPem: toPem(new Uint8Array(cert.rawData)), keyPem: await privateKeyToPem(keys.privateKey) };
}

async function readBody(req: import('node:http').IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startTngGatewayDouble(participants: OnboardedParticipant[]): Promise<TngGatewayDouble> {
  const { certPem, keyPem } = await serverCertificate();
  const stored: StoredCertificate[] = [];
  const log: TngGatewayDouble['log'] = [];
  const byTls = new Map(participants.map((p) => [readCertificate(p.tlsCertPem).fingerprint, p]));

  /** Checks the CMS and the certificate it carries; returns the answer's status and reason when refused. */
  function check(p: OnboardedParticipant, cmsBase64: string) {
    let verified;
    try {
      verified = verifyCms(Buffer.from(cmsBase64, 'base64'));
    } catch (e) {
      return { status: 400, reason: (e as Error).message };
    }
    if (!verified.signerCertificate.equals(readCertificate(p.upCertPem).der))
      return { status: 401, reason: 'CMS not signed by the onboarded upload certificate' };
    const cert = readCertificate(verified.content);
    if (cert.country !== p.country) return { status: 400, reason: `country ${cert.country} is not ${p.country}` };
    if (checkIssuedBy(cert, readCertificate(p.scaCertPem)).length > 0)
      return { status: 400, reason: 'certificate not issued by the onboarded SCA' };
    return { cert };
  }

  const server: Server = createServer(
    {
      key: keyPem,
      cert: certPem,
      ca: participants.map((p) => p.tlsCertPem),
      requestCert: true,
      rejectUnauthorized: true,
    },
    async (req, res) => {
      const answer = (status: number, reason?: string) => {
        log.push({ method: req.method ?? '', path: req.url ?? '', status, ...(reason ? { reason } : {}) });
        res
          .writeHead(status, { 'Content-Type': 'application/json' })
          .end(reason ? JSON.stringify({ message: reason }) : '');
      };
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      const participant = byTls.get(peer.fingerprint256?.replace(/:/g, '').toLowerCase() ?? '');
      if (!participant) return answer(401, 'client certificate not onboarded');
      const body = await readBody(req);
      const type = req.headers['content-type'] ?? '';
      if (req.url !== '/trustedCertificate') return answer(404);
      if (req.method === 'POST' && type.startsWith('application/json')) {
        const upload = JSON.parse(body) as { cms: string; domain?: string; group?: string };
        const result = check(participant, upload.cms);
        if (!result.cert) return answer(result.status, result.reason);
        if (stored.some((s) => s.der.equals(result.cert.der))) return answer(409, 'certificate already exists');
        stored.push({
          country: participant.country,
          domain: upload.domain ?? 'DCC',
          group: upload.group ?? 'DSC',
          kid: result.cert.kid,
          der: result.cert.der,
        });
        return answer(201);
      }
      if (req.method === 'DELETE' && type.startsWith('application/cms')) {
        const result = check(participant, body);
        if (!result.cert) return answer(result.status, result.reason);
        const at = stored.findIndex((s) => s.der.equals(result.cert.der));
        if (at < 0) return answer(400, 'certificate not found');
        stored.splice(at, 1);
        return answer(204);
      }
      return answer(400, `unsupported ${req.method} with ${type}`);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    serverCertPem: certPem,
    stored,
    log,
    trustList: async (options) => {
      const sca = new Map(participants.map((p) => [p.country, readCertificate(p.scaCertPem).der]));
      const dscs = stored.filter((s) => s.group === 'DSC' && s.domain === (options.domain ?? 'DCC'));
      const list = buildDidDocument(options.did, [
        ...[...sca.values()].map((der) => ({ der })),
        ...dscs.map((s) => ({ der: s.der, chain: [sca.get(s.country)!] })),
      ]);
      return signTrustList(list as unknown as Record<string, unknown>, options.anchorKey, options);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
