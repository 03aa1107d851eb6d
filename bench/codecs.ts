/**
 * Codec throughput next to raw node:crypto ES256 on the same machine, in one run (< 60 s).
 * Ours: HCERT sign/verify (full HC1 pipeline), SHC sign/verify (full JWS pipeline), SHL file encrypt/decrypt.
 * Reference: crypto.sign / crypto.verify ES256 (ieee-p1363) over a message of the same size as the HCERT Sig_structure.
 * Also measured, for information only: the same signature with the bare KeyObject (DER, no options object). Node 24
 * spends ~45 µs per sign / ~30 µs per verify preparing a key passed inside `{ key, dsaEncoding }`; our codecs avoid
 * that (formats/es256.ts), so `ratios` can pass 1. `ratios_vs_bare_keyobject` shows the distance to the signature
 * itself. The ratios keep the reference it defines.
 * Last line: {"bench":"codecs","figures":{...},"ratios":{...},"ratios_vs_bare_keyobject":{...}}.
 */
import { generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { compactVerify, exportJWK } from 'jose';
import { HCERT_KEY } from '../src/formats/hcert/claim-keys.ts';
import { signHc1 } from '../src/formats/hcert/hc1.ts';
import { verifyHc1 } from '../src/formats/hcert/verify.ts';
import { signShc, verifyShc, type ShcPayload } from '../src/formats/shc/jws.ts';
import { shcKidFromJwk } from '../src/formats/shc/keys.ts';
import { decryptShlFile, encryptShlFile } from '../src/formats/shl/jwe.ts';

/** Rounds × cases × slice: each round gives every case one time slice, so load drift hits ours and the reference alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const SLICE_MS = Number(process.env.BENCH_SLICE_MS ?? 150);

type Op = () => unknown;

async function runSlice(op: Op, ms: number): Promise<{ n: number; ns: bigint }> {
  const start = process.hrtime.bigint();
  const budget = BigInt(ms * 1e6);
  let n = 0;
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 20; i++) await op();
    n += 20;
    elapsed = process.hrtime.bigint() - start;
  }
  return { n, ns: elapsed };
}

interface Measured {
  /** ops/s over all rounds. */
  rates: Record<string, number>;
  /** ops/s per round, so ratios can pair ours with the reference measured right next to it. */
  perRound: Record<string, number[]>;
}

async function measureAll(cases: Record<string, Op>): Promise<Measured> {
  const totals = Object.fromEntries(Object.keys(cases).map((k) => [k, { n: 0, ns: 0n }]));
  const perRound: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const op of Object.values(cases)) for (let i = 0; i < 200; i++) await op(); // warm-up: JIT, key caches
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, op] of Object.entries(cases)) {
      const { n, ns } = await runSlice(op, SLICE_MS);
      totals[name]!.n += n;
      totals[name]!.ns += ns;
      perRound[name]!.push(n / (Number(ns) / 1e9));
    }
  }
  const rates: Record<string, number> = {};
  for (const [name, t] of Object.entries(totals)) {
    rates[name] = Math.round(t.n / (Number(t.ns) / 1e9));
    console.log(`${name.padEnd(24)} ${String(rates[name]).padStart(8)} ops/s`);
  }
  return { rates, perRound };
}

/** Median over rounds of ours/reference: robust to load bursts from other processes on a shared machine. */
function medianRatio(m: Measured, ours: string, reference: string): number {
  const ratios = m.perRound[ours]!.map((rate, i) => rate / m.perRound[reference]![i]!).sort((a, b) => a - b);
  const mid = Math.floor(ratios.length / 2);
  const median = ratios.length % 2 === 1 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
  return Math.round(median * 100) / 100;
}

const dcc = {
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
};

function keyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

async function main(): Promise<void> {
  const { privateKey, publicKey } = keyPair();
  const kid = new Uint8Array(randomBytes(8));
  const iat = 1_700_000_000;
  const validationTime = new Date((iat + 3600) * 1000);
  const claims = { iss: 'XX', iat, exp: iat + 365 * 86400, hcert: new Map<number, unknown>([[HCERT_KEY.euDcc, dcc]]) };
  const signer = { privateKey, alg: 'ES256' as const, kid };
  const hc1 = signHc1(claims, signer);
  const candidates = [{ publicKey }];
  const lookup = async (): Promise<typeof candidates> => candidates;

  const jwk = await exportJWK(publicKey);
  const shcKid = await shcKidFromJwk(jwk);
  const bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      {
        fullUrl: 'resource:0',
        resource: {
          resourceType: 'Patient',
          name: [{ family: 'Anyperson', given: ['John'] }],
          birthDate: '1951-01-20',
        },
      },
    ],
  };
  const shcPayload: ShcPayload = {
    iss: 'https://issuer.example',
    nbf: iat,
    vc: {
      type: ['https://smarthealth.cards#health-card'],
      credentialSubject: { fhirVersion: '4.0.1', fhirBundle: bundle },
    },
  };
  const shcSigner = { privateKey, kid: shcKid };
  const jws = await signShc(shcPayload, shcSigner);
  const shcLookup = async (): Promise<typeof candidates> => candidates;

  const shlKey = new Uint8Array(randomBytes(32));
  const file = JSON.stringify(bundle);
  const jwe = await encryptShlFile(file, shlKey, { contentType: 'application/fhir+json' });

  const message = new Uint8Array(randomBytes(hc1.length));
  const rawSig = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const derSig = sign('sha256', message, privateKey);

  const measured = await measureAll({
    es256_sign_per_s: () => sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
    es256_verify_per_s: () => verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, rawSig),
    es256_sign_bare_keyobject_per_s: () => sign('sha256', message, privateKey),
    es256_verify_bare_keyobject_per_s: () => verify('sha256', message, publicKey, derSig),
    hcert_sign_per_s: () => signHc1(claims, signer),
    hcert_verify_per_s: async () => {
      if (!(await verifyHc1(hc1, lookup, { validationTime })).valid) throw new Error('HCERT did not verify');
    },
    shc_sign_per_s: () => signShc(shcPayload, shcSigner),
    shc_verify_per_s: async () => {
      if (!(await verifyShc(jws, shcLookup, { validationTime })).valid) throw new Error('SHC did not verify');
    },
    // what the SHC path would cost through jose/WebCrypto (why docs/decisions/0004 signs with node:crypto)
    jose_es256_verify_per_s: () => compactVerify(jws, publicKey, { algorithms: ['ES256'] }),
    shl_encrypt_per_s: () => encryptShlFile(file, shlKey, { contentType: 'application/fhir+json' }),
    shl_decrypt_per_s: () => decryptShlFile(jwe, shlKey),
  });
  const figures = measured.rates;
  const ratios = {
    hcert_verify_vs_es256_verify: medianRatio(measured, 'hcert_verify_per_s', 'es256_verify_per_s'),
    shc_verify_vs_es256_verify: medianRatio(measured, 'shc_verify_per_s', 'es256_verify_per_s'),
    hcert_sign_vs_es256_sign: medianRatio(measured, 'hcert_sign_per_s', 'es256_sign_per_s'),
    shc_sign_vs_es256_sign: medianRatio(measured, 'shc_sign_per_s', 'es256_sign_per_s'),
  };
  const ratiosVsBareKeyObject = {
    hcert_verify_vs_es256_verify: medianRatio(measured, 'hcert_verify_per_s', 'es256_verify_bare_keyobject_per_s'),
    shc_verify_vs_es256_verify: medianRatio(measured, 'shc_verify_per_s', 'es256_verify_bare_keyobject_per_s'),
    hcert_sign_vs_es256_sign: medianRatio(measured, 'hcert_sign_per_s', 'es256_sign_bare_keyobject_per_s'),
    shc_sign_vs_es256_sign: medianRatio(measured, 'shc_sign_per_s', 'es256_sign_bare_keyobject_per_s'),
  };
  console.log(JSON.stringify({ bench: 'codecs', figures, ratios, ratios_vs_bare_keyobject: ratiosVsBareKeyObject }));
}

await main();
