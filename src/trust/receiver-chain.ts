/**
 * IHE ITI.VHL, OAuth with SSRAA Option: a VHL Receiver authenticates to our token endpoint with a JWT client
 * assertion whose `x5c` names its certificate, and the certificate must chain to a trust anchor of the trust
 * community — here a Country Signing CA (CSCA) of the GDHCN trust list we already hold. No pre-registration: the
 * trust list is the registry. Checked: the leaf is in date, has no unknown critical extension, is issued (signature
 * and names) by a CSCA whose own verdict is good now, and is not a trust-list DSC whose verdict is bad (revoked or
 * removed from the list on the next sync). https://profiles.ihe.net/ITI/VHL/ITI-YY5.html
 */
import { hash } from 'node:crypto';
import type { TrustList } from './trust-list.ts';
import { checkCriticalExtensions, checkIssuedBy, checkValidity, oneLine, readCertificate } from './x509.ts';

export type ReceiverCheck =
  | { ok: true; participant: string; fingerprint: string; subject: string }
  | { ok: false; reason: string };

/**
 * @example checkReceiverChain(trust.list(), [leafDerBase64], new Date()) // { ok: true, participant: 'XX', … }
 */
export function checkReceiverChain(list: TrustList, x5c: readonly string[], at: Date): ReceiverCheck {
  if (x5c.length === 0 || typeof x5c[0] !== 'string') return { ok: false, reason: 'x5c names no certificate' };
  let leaf: ReturnType<typeof readCertificate>;
  try {
    leaf = readCertificate(Buffer.from(x5c[0], 'base64'));
  } catch {
    return { ok: false, reason: 'the x5c certificate cannot be read' };
  }
  const own = [...checkValidity(leaf, at), ...checkCriticalExtensions(leaf)];
  if (own.length > 0) return { ok: false, reason: `the client certificate is not usable: ${own[0]!.message}` };
  const fingerprint = hash('sha256', leaf.der, 'hex');
  const listed = list.entries.find((e) => e.role === 'DSC' && e.certificate.fingerprint === fingerprint);
  if (listed && !list.verdictOf(listed, at).ok)
    return {
      ok: false,
      reason: 'the client certificate is listed in the trust list as not valid (revoked or expired)',
    };
  const anchor = list.entries.find(
    (e) => e.role === 'CSCA' && list.verdictOf(e, at).ok && checkIssuedBy(leaf, e.certificate).length === 0,
  );
  if (!anchor)
    return { ok: false, reason: 'the client certificate does not chain to a trust anchor (CSCA) of the trust list' };
  return {
    ok: true,
    participant: anchor.participant ?? anchor.country ?? oneLine(anchor.certificate.subject),
    fingerprint,
    subject: oneLine(leaf.subject),
  };
}
