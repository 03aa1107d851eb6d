/**
 * The EU DCC test vectors of ../shared/corpus (kind hcert) and how a `$verify` verdict is compared with them: shared by
 * the service-level run (test/unit/credentials/eu-dcc-vectors.test.ts) and the HTTP run (eu-dcc-http.test.ts), so
 * both count agreement the same way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClock } from '../../src/formats/clock.ts';

export interface EuDccVector {
  id: string;
  qr: string;
  certificateDerBase64: string;
  validationClock: string;
  expect: Record<string, boolean | undefined>;
}

/** A named check of a verdict, as `verifyCredential` returns it or as read back from the `$verify` Parameters. */
export interface CheckOutcome {
  name: string;
  status: string;
}

const CORPUS = join(process.cwd(), '..', 'shared', 'corpus');
const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as {
  files: { kind: string; file: string }[];
};

export const EU_DCC_VECTORS: readonly EuDccVector[] = manifest.files
  .filter((f) => f.kind === 'hcert')
  .flatMap((f) => (JSON.parse(readFileSync(join(CORPUS, f.file), 'utf8')) as { cases: EuDccVector[] }).cases);

/**
 * Vector expectation → the checks of our verdict that decide it. `keyUsage` is not compared: with caller-given
 * certificates no EKU policy is applied.
 */
export const EXPECTATION_CHECKS: Readonly<Record<string, readonly string[]>> = {
  unprefix: ['unprefix'],
  base45Decode: ['base45'],
  decompress: ['decompress'],
  coseDecode: ['cbor', 'cose'],
  verify: ['signature'],
  notExpired: ['not-expired'],
  schemaValid: ['payload-schema'],
  validJson: ['payload-schema'],
  validObject: ['payload-schema'],
};

const WRONG_CURVE_REASON =
  'protected header says alg -7 (ES256) but the DSC is a P-384 key with a 96-byte signature; ES256 is ECDSA P-256 ' +
  '(RFC 9053 §2.1; HCERT spec §3.3.2 allows ES256 and PS256 only), so we answer signature-invalid where the vector ' +
  'expects a valid signature (test/vectors/hcert-eu-dcc.test.ts proves the signature is valid maths with that key)';

/** Vectors we conclude are wrong upstream, each with its reason: the only ones allowed to disagree. */
export const EXPLAINED_DISAGREEMENTS: Readonly<Record<string, string>> = {
  'ES:2DCode:raw:401': WRONG_CURVE_REASON,
  'ES:2DCode:raw:402': WRONG_CURVE_REASON,
  'ES:2DCode:raw:403': WRONG_CURVE_REASON,
};

/**
 * The vector's clock as an instant. Six vectors (GE, VA) give a local time without offset; it is read as UTC, so the
 * verdict does not depend on the machine's time zone.
 */
export function validationTimeOf(v: EuDccVector): Date {
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(v.validationClock);
  const c = parseClock(zoned ? v.validationClock : `${v.validationClock}Z`);
  if (!c.ok) throw new Error(`vector ${v.id}: ${c.message}`);
  return c.date;
}

/** Each stated expectation the verdict does not meet, as `expectation→check=status`; empty when they agree. */
export function disagreements(v: EuDccVector, checks: readonly CheckOutcome[]): string[] {
  const out: string[] = [];
  for (const [name, expected] of Object.entries(v.expect)) {
    const decidedBy = EXPECTATION_CHECKS[name];
    if (expected === undefined || !decidedBy) continue;
    for (const check of decidedBy) {
      const status = checks.find((c) => c.name === check)?.status;
      if (status !== (expected ? 'pass' : 'fail')) out.push(`${name}→${check}=${status}`);
    }
  }
  return out;
}

/**
 * How many vectors must agree, computed from the corpus: every vector but the explained disagreements present in it.
 * A corpus that grows raises the figure; it is never a number written in a test.
 */
export const EXPECTED_AGREEMENT = EU_DCC_VECTORS.filter((v) => !(v.id in EXPLAINED_DISAGREEMENTS)).length;
