/** Shared builders for the formats tests: keys, a sample EU DCC, and assertions on typed errors. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { FormatError, type FormatErrorCode } from '../../../src/formats/errors.ts';
import { HCERT_KEY } from '../../../src/formats/hcert/claim-keys.ts';
import type { CwtClaimsInput } from '../../../src/formats/hcert/cwt.ts';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function ecKeyPair(curve: 'P-256' | 'P-384' = 'P-256'): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: curve });
}

export function rsaKeyPair(): KeyPair {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

export const SAMPLE_DCC = Object.freeze({
  ver: '1.3.0',
  nam: { fn: 'Musterfrau', fnt: 'MUSTERFRAU', gn: 'Erika', gnt: 'ERIKA' },
  dob: '1964-08-12',
  v: [
    {
      tg: '840539006',
      vp: '1119349007',
      mp: 'EU/1/20/1528',
      ma: 'ORG-100030215',
      dn: 2,
      sd: 2,
      dt: '2021-05-29',
      co: 'AT',
      is: 'Ministry of Health, Austria',
      ci: 'URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B',
    },
  ],
});

/** 2021-06-01T00:00:00Z */
export const IAT = 1_622_505_600;
export const KID = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);

export function sampleClaims(overrides: Partial<CwtClaimsInput> = {}): CwtClaimsInput {
  return {
    iss: 'AT',
    iat: IAT,
    exp: IAT + 365 * 86400,
    hcert: new Map<number, unknown>([[HCERT_KEY.euDcc, SAMPLE_DCC]]),
    ...overrides,
  };
}

export const AT_VALIDATION = { validationTime: new Date((IAT + 86400) * 1000) };

function check(err: unknown, code: FormatErrorCode, message: string | RegExp): void {
  expect(err).toBeInstanceOf(FormatError);
  expect((err as FormatError).code).toBe(code);
  if (typeof message === 'string') expect((err as FormatError).message).toBe(message);
  else expect((err as FormatError).message).toMatch(message);
}

/** Assert that fn throws a FormatError with this code and message. */
export function expectFormatError(fn: () => unknown, code: FormatErrorCode, message: string | RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeDefined();
  check(thrown, code, message);
}

/** Async twin of expectFormatError. */
export async function expectFormatErrorAsync(
  fn: () => Promise<unknown>,
  code: FormatErrorCode,
  message: string | RegExp,
): Promise<void> {
  let thrown: unknown;
  try {
    await fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeDefined();
  check(thrown, code, message);
}

/** For fuzzing: the call either returns or throws a FormatError; anything else (TypeError, RangeError…) fails. */
export function onlyFormatErrors(fn: () => unknown): FormatError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof FormatError)) throw new Error(`untyped error escaped: ${String(err)}`, { cause: err });
    return err;
  }
}

export async function onlyFormatErrorsAsync(fn: () => Promise<unknown>): Promise<FormatError | undefined> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof FormatError)) throw new Error(`untyped error escaped: ${String(err)}`, { cause: err });
    return err;
  }
}
