/**
 * The distinct credentials bench:e2e verifies: a CSCA with several DSCs (written as PEM files the server loads as
 * its issuer keys, so TRUST_SELF puts every DSC in its trust list) and thousands of HC1s signed before the run, each
 * with its own holder name, certificate id (in the DDCC:VS and the EU DCC it carries) and issue time, spread over the
 * DSCs. No cache keyed by the credential can stand in for verification when every request carries a different one
 * (issue 18).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tag } from 'cbor-x';
import { encodeCbor } from '../src/formats/cbor.ts';
import { COSE_SIGN1_TAG, HCERT_KEY } from '../src/formats/hcert/claim-keys.ts';
import { encodeCwtClaims, type HcertPayloads } from '../src/formats/hcert/cwt.ts';
import { encodeHc1, signHc1 } from '../src/formats/hcert/hc1.ts';
import { decodeHc1 } from '../src/formats/hcert/verify.ts';
import { kidFromCertificate } from '../src/formats/hcert/kid.ts';
import { createCsca, createDsc, generateKeyPair, privateKeyToPem } from '../src/trust/cert-factory.ts';
import { toPem } from '../src/trust/x509.ts';

const DAY = 86_400_000;

export interface BenchDsc {
  privateKey: KeyObject;
  kid: Uint8Array;
}

export interface BenchKeys {
  /** Config overrides naming the files. */
  config: { issuerCscaCert: string; issuerDscCerts: string[]; issuerDscKeys: string[] };
  dscs: BenchDsc[];
}

/** A CSCA of `country` and `count` DSCs (ES256), written into `dir`. */
export async function writeBenchKeys(dir: string, count: number, country = 'XX'): Promise<BenchKeys> {
  const now = Date.now();
  const cscaKeys = await generateKeyPair();
  const notBefore = new Date(now - 2 * DAY);
  const csca = await createCsca({
    country,
    commonName: `Bench CSCA ${country}`,
    keys: cscaKeys,
    notBefore,
    notAfter: new Date(now + 3650 * DAY),
  });
  const cscaPath = join(dir, 'bench-csca.crt.pem');
  writeFileSync(cscaPath, toPem(csca));
  const config = { issuerCscaCert: cscaPath, issuerDscCerts: [] as string[], issuerDscKeys: [] as string[] };
  const dscs: BenchDsc[] = [];
  for (let i = 0; i < count; i++) {
    const keys = await generateKeyPair();
    const der = await createDsc({
      country,
      commonName: `Bench DSC ${i + 1}`,
      issuerCert: csca,
      issuerPrivateKey: cscaKeys.privateKey,
      publicKey: keys.publicKey,
      // Distinct starts: the newest signs the server's own issuance, every one verifies.
      notBefore: new Date(now - DAY - i * 60_000),
      notAfter: new Date(now + 365 * DAY),
    });
    const keyPem = await privateKeyToPem(keys.privateKey);
    const certPath = join(dir, `bench-dsc-${i + 1}.crt.pem`);
    const keyPath = join(dir, `bench-dsc-${i + 1}.key.pem`);
    writeFileSync(certPath, toPem(der));
    writeFileSync(keyPath, keyPem, { mode: 0o600 });
    config.issuerDscCerts.push(certPath);
    config.issuerDscKeys.push(keyPath);
    dscs.push({ privateKey: createPrivateKey(keyPem), kid: kidFromCertificate(der) });
  }
  return { config, dscs };
}

interface DdccVs {
  name?: string;
  certificate?: { hcid?: { value?: string } };
  [k: string]: unknown;
}

function firstVs(payloads: { ddccVs?: unknown }): DdccVs | undefined {
  return (Array.isArray(payloads.ddccVs) ? payloads.ddccVs[0] : payloads.ddccVs) as DdccVs | undefined;
}

/**
 * The credential with another holder name under its original signature, kid and protected header: what a forger
 * who changed the content would hand over. `$verify` must answer `signature-invalid` for it.
 */
export function tamperHc1(hc1: string, name = 'Tampered Holder'): string {
  const { sign1, claims, payloads } = decodeHc1(hc1);
  const vs = firstVs(payloads);
  if (!vs) throw new Error('the HC1 carries no DDCC:VS payload');
  const hcert = new Map(claims.hcert);
  hcert.set(HCERT_KEY.ddccVs, [{ ...vs, name }]);
  const changed = encodeCwtClaims({ ...claims, hcert });
  const cose = new Tag([sign1.protectedBytes, new Map(), changed, sign1.signature], COSE_SIGN1_TAG);
  return encodeHc1(encodeCbor(cose));
}

/** `i` in letters only (A, B, …, Z, BA, …): EU DCC transliterated names allow A–Z and `<`, no digits. */
function letters(i: number): string {
  let out = '';
  do {
    out = String.fromCharCode(65 + (i % 26)) + out;
    i = Math.floor(i / 26);
  } while (i > 0);
  return out;
}

interface EuDcc {
  nam?: { fn?: string; fnt?: string };
  v?: { ci?: string }[];
  [k: string]: unknown;
}

/**
 * Every payload of `payloads` (the DDCC:VS and, when the template has it, the EU DCC the server writes beside it)
 * with the holder's family name and the certificate id of credential `tag`; other sub-claims as they were.
 */
function withHolder(hcert: ReadonlyMap<number, unknown>, payloads: HcertPayloads, tag: string): Map<number, unknown> {
  const out = new Map(hcert);
  const vs = firstVs(payloads);
  const id = `URN:UVCI:01:XX:BENCH${tag}`;
  if (vs) {
    const copy: DdccVs = structuredClone(vs);
    copy.name = `Bench ${tag}`;
    if (copy.certificate?.hcid) copy.certificate.hcid.value = id;
    out.set(HCERT_KEY.ddccVs, [copy]);
  }
  if (payloads.euDcc) {
    const dcc = structuredClone(payloads.euDcc) as EuDcc;
    if (dcc.nam) dcc.nam = { ...dcc.nam, fn: tag, fnt: tag };
    if (dcc.v?.[0]) dcc.v[0].ci = id;
    out.set(HCERT_KEY.euDcc, dcc);
  }
  return out;
}

/**
 * `count` HC1s made from `template` (an HC1 the server issued): each with another holder name and certificate id (in
 * every payload it carries) and issue time, signed by DSC `i % dscs.length`.
 */
export function distinctHc1s(template: string, dscs: readonly BenchDsc[], count: number): string[] {
  const { claims, payloads } = decodeHc1(template);
  if (!firstVs(payloads)) throw new Error('the template HC1 carries no DDCC:VS payload');
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const dsc = dscs[i % dscs.length]!;
    const iat = (claims.iat ?? Math.floor(Date.now() / 1000)) - (i % 3600);
    out.push(
      signHc1(
        {
          ...(claims.iss ? { iss: claims.iss } : {}),
          iat,
          ...(claims.exp !== undefined ? { exp: claims.exp } : {}),
          hcert: withHolder(claims.hcert, payloads, letters(i)),
        },
        { privateKey: dsc.privateKey, alg: 'ES256', kid: dsc.kid },
      ),
    );
  }
  return out;
}
