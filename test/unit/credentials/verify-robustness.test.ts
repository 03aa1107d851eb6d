/** verifyCredential never throws: random and mutated inputs always end in a verdict with named failure codes. */
import fc from 'fast-check';
import { issueHcert } from '../../../src/credentials/issue-hcert.ts';
import { issueShc } from '../../../src/credentials/issue-shc.ts';
import { issueShl } from '../../../src/credentials/issue-shl.ts';
import { verifyCredential } from '../../../src/credentials/verify.ts';
import { failuresOf, type FailureCode } from '../../../src/credentials/verdict.ts';
import { makeHarness, NOW, YEAR, type Harness } from './harness.ts';
import { covidImmunization, ipsDocument, patient } from './fixtures.ts';

const CODES: readonly FailureCode[] = [
  'not-a-credential',
  'decode-error',
  'signature-encoding',
  'signature-invalid',
  'key-unknown',
  'untrusted-chain',
  'expired',
  'not-yet-valid',
  'revoked',
  'payload-invalid',
  'profile-invalid',
];

let h: Harness;
let samples: string[];
beforeAll(async () => {
  h = await makeHarness();
  const hcert = await issueHcert(h.ctx, {
    patient: patient(),
    immunizations: [covidImmunization()],
    now: NOW,
    validitySeconds: YEAR,
    requester: 'fuzz',
    qrFormats: [],
  });
  const shc = await issueShc(h.ctx, {
    patient: patient(),
    immunizations: [covidImmunization()],
    credentialTypes: ['Immunization'],
    now: NOW,
    requester: 'fuzz',
  });
  const shl = await issueShl(h.ctx, h.shl, { bundle: ipsDocument(), now: NOW, requester: 'fuzz', qrFormats: [] });
  samples = [hcert.hc1, shc.verifiableCredential[0]!, shc.qr[0]![0]!, shl.link];
});

async function checkVerdict(text: string): Promise<void> {
  const v = await verifyCredential(text, { validationTime: NOW, trust: h.trust, validate: h.validate });
  expect(typeof v.valid).toBe('boolean');
  if (!v.valid) {
    const failures = failuresOf(v);
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) expect(CODES).toContain(f);
  }
}

describe('verifyCredential robustness', () => {
  test('when random text is verified, then a verdict comes back and nothing throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (text) => checkVerdict(text)),
      { numRuns: 300 },
    );
  });

  test('when valid credentials are mutated (truncated, a character changed, junk appended), then each mutation ends in a verdict', async () => {
    const mutation = fc.tuple(
      fc.nat({ max: 3 }),
      fc.nat(),
      fc.constantFrom('truncate', 'change', 'append'),
      fc.string({ minLength: 1, maxLength: 4 }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async ([which, at, kind, junk]) => {
        const text = samples[which]!;
        const i = at % text.length;
        const mutated =
          kind === 'truncate'
            ? text.slice(0, i)
            : kind === 'change'
              ? text.slice(0, i) + junk + text.slice(i + 1)
              : text + junk;
        await checkVerdict(mutated);
      }),
      { numRuns: 400 },
    );
  });
});
