/**
 * bench:trust — a GDHCN-sized trust list: 10,000 DSCs across 200 countries.
 * Measures (1) load + chain validation of the downloaded JSON, (2) lookups by kid per second, and, in the same
 * run, (3) raw ES256 verifications per second as the reference. Generation time is reported on its own.
 * Ratio `lookup_vs_es256_verify` = lookups/s ÷ verifies/s (goal >= 20: the lookup never matters next to the
 * signature). Last line: one JSON object.
 */
import { generateKeyPairSync, sign, verify, webcrypto } from 'node:crypto';
import { webCrypto, x509 } from '../src/trust/peculiar.ts';
import { createCsca, generateKeyPair } from '../src/trust/cert-factory.ts';
import { buildDidDocument } from '../src/trust/publish.ts';
import { buildTrustList } from '../src/trust/trust-list.ts';
import { HCERT_EKU, readCertificate } from '../src/trust/x509.ts';

const COUNTRIES = 200;
const DSCS = 10_000;
const KEY_POOL = 16; // distinct certificates need not mean distinct keys; keeps generation bounded
const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

function countryCode(i: number): string {
  return String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26)); // AA, AB, … (fake codes)
}

async function generate(): Promise<{ documents: unknown[]; kids: { kid: string; country: string }[] }> {
  const pool = await Promise.all(Array.from({ length: KEY_POOL }, () => generateKeyPair()));
  const documents: unknown[] = [];
  const kids: { kid: string; country: string }[] = [];
  const perCountry = DSCS / COUNTRIES;
  for (let c = 0; c < COUNTRIES; c++) {
    const country = countryCode(c);
    const caKeys = await generateKeyPair();
    const ca = await createCsca({ country, keys: caKeys, notBefore: new Date(NOW.getTime() - 365 * DAY), notAfter: new Date(NOW.getTime() + 3650 * DAY) });
    const issuer = new x509.X509Certificate(ca);
    const aki = await x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey, false, webCrypto);
    const entries: { der: Uint8Array; chain: Uint8Array[] }[] = [];
    for (let d = 0; d < perCountry; d++) {
      const keys = pool[(c * perCountry + d) % KEY_POOL]!;
      const cert = await x509.X509CertificateGenerator.create(
        {
          subject: [{ C: [country] }, { CN: [`DSC ${country} ${d}`] }],
          issuer: issuer.subjectName,
          publicKey: keys.publicKey,
          signingKey: caKeys.privateKey,
          serialNumber: (c * perCountry + d + 1).toString(16).padStart(8, '0'),
          notBefore: new Date(NOW.getTime() - (d % 300) * DAY),
          notAfter: new Date(NOW.getTime() + (365 - (d % 300)) * DAY),
          signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
          extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true), aki, new x509.ExtendedKeyUsageExtension(Object.values(HCERT_EKU))],
        },
        webCrypto,
      );
      const der = new Uint8Array(cert.rawData);
      entries.push({ der, chain: [ca] });
      kids.push({ kid: readCertificate(der).kid, country });
    }
    documents.push(buildDidDocument(`did:web:tng.bench:v2:trustlist:DCC:X${country}`, [{ der: ca }, ...entries]));
  }
  return { documents, kids };
}

function perSecond(fn: (i: number) => void, minMs: number): number {
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let k = 0; k < 256; k++) fn(n++);
    elapsed = performance.now() - start;
  }
  return (n / elapsed) * 1000;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const { documents, kids } = await generate();
  const text = JSON.stringify(documents);
  const generationMs = performance.now() - t0;
  console.log(`generated ${DSCS} DSCs / ${COUNTRIES} countries in ${generationMs.toFixed(0)} ms (${(text.length / 1e6).toFixed(1)} MB JSON)`);

  const t1 = performance.now();
  const list = buildTrustList({ documents: JSON.parse(text), now: NOW });
  const loadMs = performance.now() - t1;
  const counts = list.counts();
  console.log(`load + chain validation: ${loadMs.toFixed(0)} ms; ${counts.dsc} DSCs, ${counts.validDsc} valid, ${counts.csca} CSCAs`);

  const lookups = perSecond((i) => {
    const k = kids[i % kids.length]!;
    if (list.lookupByKid(k.kid, { country: k.country, asOf: NOW }).length === 0) throw new Error('lookup miss');
  }, 1500);

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.alloc(300, 7); // about the size of an HCERT Sig_structure
  const signature = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const verifies = perSecond(() => {
    if (!verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)) throw new Error('verify failed');
  }, 1500);
  console.log(`lookups/s ${lookups.toFixed(0)}; ES256 verifies/s ${verifies.toFixed(0)}`);

  console.log(
    JSON.stringify({
      bench: 'trust',
      figures: {
        countries: COUNTRIES,
        dscs: counts.dsc,
        valid_dscs: counts.validDsc,
        trust_list_bytes: text.length,
        generation_ms: Math.round(generationMs),
        load_and_chain_validation_ms: Math.round(loadMs),
        lookups_per_s: Math.round(lookups),
        es256_verifies_per_s: Math.round(verifies),
      },
      ratios: { lookup_vs_es256_verify: Math.round((lookups / verifies) * 10) / 10 },
    }),
  );
}

await main();
