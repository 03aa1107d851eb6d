/**
 * `trust upload` / `trust revoke-upload`: publish or withdraw one of our certificates (a DSC, usually) at the trust
 * network gateway. The certificate's DER goes in a CMS SignedData signed with our upload (UP) key, sent over mutual
 * TLS with our TLS client certificate (smart.who.int/trust onboarding checklist, "Upload DSC Certificate").
 * Talks to the gateway only, never to a running server of ours.
 */
import { createPrivateKey } from 'node:crypto';
import { keyObjectSigner } from '../formats/signer.ts';
import { signCms } from '../trust/cms.ts';
import { TrustError } from '../trust/errors.ts';
import { revokeTrustedCertificate, uploadTrustedCertificate, type GatewayCall } from '../trust/tng-client.ts';
import { checkValidity, readCertificate } from '../trust/x509.ts';
import { CliUsageError } from './cli-usage-error.ts';
import { need, parse, readText } from './onboarding.ts';

const OPTIONS = {
  gateway: { type: 'string' },
  cert: { type: 'string' },
  'up-cert': { type: 'string' },
  'up-key': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'gateway-ca': { type: 'string' },
  domain: { type: 'string' },
  group: { type: 'string' },
  kid: { type: 'string' },
} as const;

async function prepare(args: string[]) {
  const v = parse(args, OPTIONS);
  const cert = readCertificate(await readText(need(v.cert, '--cert'), 'certificate'));
  const up = readCertificate(await readText(need(v['up-cert'], '--up-cert'), 'upload certificate'));
  const expired = checkValidity(up, new Date());
  if (expired.length > 0) throw new TrustError('CERT_REFUSED', `The upload certificate is ${expired[0]!.message}`);
  let signer;
  try {
    signer = keyObjectSigner(createPrivateKey(await readText(need(v['up-key'], '--up-key'), 'upload key')));
  } catch (e) {
    if (e instanceof TrustError || e instanceof CliUsageError) throw e;
    throw new TrustError('KEY_UNPARSEABLE', `The upload key cannot be used: ${(e as Error).message}`);
  }
  const cms = await signCms({ content: cert.der, signerCertificate: up.der, signer, signingTime: new Date() });
  const call: GatewayCall = {
    gatewayUrl: need(v.gateway, '--gateway'),
    tls: {
      certPem: await readText(need(v['tls-cert'], '--tls-cert'), 'TLS certificate'),
      keyPem: await readText(need(v['tls-key'], '--tls-key'), 'TLS key'),
      ...(v['gateway-ca'] ? { caPem: await readText(v['gateway-ca'], 'gateway CA') } : {}),
    },
  };
  return { v, cert, cms, call };
}

export async function trustUpload(args: string[], out: (s: string) => void): Promise<number> {
  const { v, cert, cms, call } = await prepare(args);
  const domain = (v.domain ?? 'DCC').toUpperCase();
  const group = (v.group ?? 'DSC').toUpperCase();
  await uploadTrustedCertificate({ ...call, cms, domain, group, ...(v.kid ? { kid: v.kid } : {}) });
  out(`Uploaded ${group} ${cert.kid} (${cert.country ?? '?'}) to ${call.gatewayUrl}, domain ${domain}\n`);
  return 0;
}

export async function trustRevokeUpload(args: string[], out: (s: string) => void): Promise<number> {
  const { cert, cms, call } = await prepare(args);
  await revokeTrustedCertificate({ ...call, cms });
  out(`Withdrew ${cert.kid} (${cert.country ?? '?'}) from ${call.gatewayUrl}\n`);
  return 0;
}
