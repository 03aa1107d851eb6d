/**
 * IHE ITI.VHL SSRAA receiver certificates (trust/receiver-chain.ts) against a trust list: issued by a CSCA of the list
 * and in date → accepted; the same CSCA's certificate that the list itself publishes as a DSC with a bad verdict
 * (here a country that is not its CSCA's, as a revoked or mis-issued DSC would be) → refused, although it chains;
 * a CSCA that has expired anchors nothing. (ITI-YY5 responder: "receiver certificates not expired or revoked".)
 */
import { checkReceiverChain } from '../../../src/trust/receiver-chain.ts';
import { buildTrustList } from '../../../src/trust/trust-list.ts';
import { days, makeCa, makeDsc, NOW, participantDocument } from './pki.ts';

const b64 = (der: Uint8Array) => Buffer.from(der).toString('base64');

test('when the receiver certificate chains to a listed CSCA and the list does not name it, then it is accepted with that participant', async () => {
  const ca = await makeCa('YY');
  const leaf = await makeDsc(ca);
  const list = buildTrustList({ documents: [participantDocument('DCC', 'YY', [ca], [])], now: NOW });
  expect(checkReceiverChain(list, [b64(leaf.der)], NOW)).toMatchObject({ ok: true, participant: 'YY' });
});

test('when the trust list publishes the receiver certificate as a DSC whose verdict is bad, then it is refused though it chains', async () => {
  const ca = await makeCa('YY');
  const misissued = await makeDsc(ca, { country: 'ZZ' });
  const list = buildTrustList({ documents: [participantDocument('DCC', 'YY', [ca], [misissued])], now: NOW });
  const entry = list.entries.find((e) => e.role === 'DSC')!;
  expect(list.verdictOf(entry, NOW).ok).toBe(false);
  expect(checkReceiverChain(list, [b64(misissued.der)], NOW)).toEqual({
    ok: false,
    reason: 'the client certificate is listed in the trust list as not valid (revoked or expired)',
  });
});

test('when the CSCA that issued the receiver certificate has expired, then nothing anchors it', async () => {
  const ca = await makeCa('YY', { notBefore: days(-800), notAfter: days(-1) });
  const leaf = await makeDsc(ca, { notBefore: days(-30), notAfter: days(30) });
  const list = buildTrustList({ documents: [participantDocument('DCC', 'YY', [ca], [])], now: NOW });
  expect(checkReceiverChain(list, [b64(leaf.der)], NOW)).toEqual({
    ok: false,
    reason: 'the client certificate does not chain to a trust anchor (CSCA) of the trust list',
  });
});

test.each([
  ['no certificate', [], 'x5c names no certificate'],
  ['bytes that are no certificate', ['AAAA'], 'the x5c certificate cannot be read'],
])('when x5c holds %s, then it is refused with a reason', async (_what, x5c, reason) => {
  const list = buildTrustList({ documents: [], now: NOW });
  expect(checkReceiverChain(list, x5c, NOW)).toEqual({ ok: false, reason });
});
