/**
 * Client of the trust network gateway's upload API (smart.who.int/trust OpenAPI, tag GDHCN):
 * - `POST /trustedCertificate`, `application/json` `{ cms, domain, group, kid?, properties }`: 201 created, 409 known;
 * - `DELETE /trustedCertificate`, `application/cms` (base64 of the CMS over the certificate's DER): 204 withdrawn.
 * Every call is mutual TLS with the participant's TLS client certificate. node:https, not fetch: the global fetch
 * offers no client certificate. Time-outs and a response cap keep a misbehaving gateway from hanging the CLI.
 */
import { request } from 'node:https';
import { TrustError } from './errors.ts';

export interface GatewayTls {
  /** PEM of the TLS client certificate (TNP_TLS) and its key. */
  certPem: string;
  keyPem: string;
  /** PEM of the CA(s) the gateway's server certificate must chain to; default the system store. */
  caPem?: string;
}

export interface GatewayCall {
  gatewayUrl: string;
  tls: GatewayTls;
  timeoutMs?: number;
}

export interface GatewayAnswer {
  status: number;
  body: string;
}

const MAX_ANSWER = 64 * 1024;

function send(call: GatewayCall, method: string, path: string, contentType: string, body: string) {
  const url = new URL(path, call.gatewayUrl.endsWith('/') ? call.gatewayUrl : `${call.gatewayUrl}/`);
  if (url.protocol !== 'https:')
    throw new TrustError('GATEWAY_UNREACHABLE', `The gateway URL must be https (mutual TLS): ${call.gatewayUrl}`);
  return new Promise<GatewayAnswer>((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        cert: call.tls.certPem,
        key: call.tls.keyPem,
        ...(call.tls.caPem ? { ca: call.tls.caPem } : {}),
        headers: { 'Content-Type': contentType, Accept: 'application/json', 'Content-Length': Buffer.byteLength(body) },
        timeout: call.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_ANSWER) chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${call.timeoutMs ?? 30_000} ms`)));
    req.on('error', (e) =>
      reject(new TrustError('GATEWAY_UNREACHABLE', `The gateway ${url.origin} cannot be reached: ${e.message}`)),
    );
    req.end(body);
  });
}

function refused(what: string, answer: GatewayAnswer): TrustError {
  const detail = answer.body.slice(0, 500).replace(/\s+/g, ' ').trim();
  return new TrustError(
    'GATEWAY_REFUSED',
    `The gateway refused the ${what}: HTTP ${answer.status}${detail ? ` ${detail}` : ''}`,
  );
}

/**
 * Publishes a certificate (a DSC, usually) to the gateway's trusted-certificate endpoint.
 * @param cms DER of the SignedData over the certificate, signed with the UP key (see `signCms`)
 */
export async function uploadTrustedCertificate(
  call: GatewayCall & { cms: Uint8Array; domain: string; group: string; kid?: string },
): Promise<GatewayAnswer> {
  const body = JSON.stringify({
    cms: Buffer.from(call.cms).toString('base64'),
    ...(call.kid ? { kid: call.kid } : {}),
    group: call.group,
    domain: call.domain,
    properties: {},
  });
  const answer = await send(call, 'POST', 'trustedCertificate', 'application/json', body);
  if (answer.status !== 201) throw refused('upload', answer);
  return answer;
}

/** Withdraws a certificate from the gateway: the CMS carries the certificate to delete. */
export async function revokeTrustedCertificate(call: GatewayCall & { cms: Uint8Array }): Promise<GatewayAnswer> {
  const answer = await send(
    call,
    'DELETE',
    'trustedCertificate',
    'application/cms',
    Buffer.from(call.cms).toString('base64'),
  );
  if (answer.status !== 204 && answer.status !== 200) throw refused('withdrawal', answer);
  return answer;
}
