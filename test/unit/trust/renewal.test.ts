import { renewalStatus } from '../../../src/trust/renewal.ts';
import { makeKeys } from '../credentials/harness.ts';
import type { IssuerKeySet } from '../../../src/trust/issuer-keys.ts';

const DAY = 86_400_000;
let keys: IssuerKeySet;
beforeAll(async () => {
  keys = await makeKeys('XA');
});

describe('renewalStatus', () => {
  test('when our DSC ends beyond the margin, then nothing is due and signing is covered', () => {
    const end = keys.dscs[0]!.certificate.notAfter.getTime();
    expect(renewalStatus(keys, new Date(end - 90 * DAY), 60 * DAY)).toEqual({ marginDays: 60, due: [], covered: true });
  });

  test('when our DSC ends within the margin, then it is due with the days left, and not covered', () => {
    const dsc = keys.dscs[0]!;
    const status = renewalStatus(keys, new Date(dsc.certificate.notAfter.getTime() - 10 * DAY - 1000), 60 * DAY);
    expect(status).toEqual({
      marginDays: 60,
      covered: false,
      due: [{ kid: dsc.kid, notAfter: dsc.certificate.notAfter.toISOString(), daysLeft: 10, state: 'renew' }],
    });
  });

  test('when a newer DSC is added while the old one nears its end, then the old is due but signing stays covered', () => {
    const old = keys.dscs[0]!;
    const renewed = {
      ...old,
      kid: 'NEWKIDAAAAA=',
      certificate: { ...old.certificate, notAfter: new Date(old.certificate.notAfter.getTime() + 365 * DAY) },
    };
    const status = renewalStatus(
      { dscs: [old, renewed] },
      new Date(old.certificate.notAfter.getTime() - 5 * DAY),
      60 * DAY,
    );
    expect(status.covered).toBe(true);
    expect(status.due.map((d) => d.kid)).toEqual([old.kid]);
  });

  test('when our DSC has ended, then it is reported expired', () => {
    const dsc = keys.dscs[0]!;
    expect(renewalStatus(keys, new Date(dsc.certificate.notAfter.getTime() + DAY), 60 * DAY).due[0]).toMatchObject({
      state: 'expired',
      daysLeft: -1,
    });
  });
});
