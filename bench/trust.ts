/**
 * bench:trust — a GDHCN-sized trust list: 10,000 DSCs across 200 countries.
 * Measures (1) load + chain validation of the downloaded JSON, (2) lookups by kid per second, and, in the same
 * run, (3) raw ES256 verifications per second as the reference. Generation time is reported on its own.
 * Ratio `lookup_vs_es256_verify` = lookups/s ÷ verifies/s (goal >= 20: the lookup never matters next to the
 * signature). Last line: one JSON object.
 */
import { generateKeyPairSync, sign, verify, type webcrypto } from 'node:crypto';
import { webCrypto, x509 } from '../src/trust/peculiar.ts';
import { createCsca, generateKeyPair } from '../src/trust/cert-factory.ts';
import { buildDidDocument } from '../src/trust/publish.ts';
import { buildTrustList } from '../src/trust/trust-list.ts';
import { HCERT_EKU, readCertificate } from '../src/trust/x509.ts';
import { signTrustList, verifyTrustListProof, type TrustAnchor } from '../src/trust/trustlist-proof.ts';
import { createRevocations, dccHash } from '../src/trust/revocations.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';

const COUNTRIES = 200;
const DSCS = 10_000;
const KEY_POOL = 16; // distinct certificates need not mean distinct keys; keeps generation bounded
const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
const REVOKED = 1_000_000;
setFlagsFromString('--expose-gc');
/** A full collection, so the memory figures count what is held, not garbage (the flag is set at run time). */
const gc = runInNewContext('gc') as () => void;

/** Every document of the list signed by a network anchor, then all proofs verified (JCS + ES256 each). */
async function proofFigures(documents: unknown[]): Promise<{ proofVerifyMs: number }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const anchor: TrustAnchor = { description: 'bench anchor', keys: [publicKey] };
  const signed = await Promise.all(
    documents.map((d) =>
      signTrustList(d as Record<string, unknown>, privateKey, {
        created: NOW,
        verificationMethod: 'did:web:tng.bench#anchor',
      }),
    ),
  );
  const parsed = JSON.parse(JSON.stringify(signed)) as unknown[];
  const t = performance.now();
  for (const d of parsed) await verifyTrustListProof(d, anchor);
  return { proofVerifyMs: performance.now() - t };
}

/** A 1,000,000-entry EU DCC UCI batch imported through the same code as a file source; $verify-shaped lookups. */
async function revocationFigures(): Promise<{
  importMs: number;
  lookups: number;
  setBytes: number;
  heapDeltaMb: number;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-revocation-'));
  try {
    const entries = new Array<{ hash: string }>(REVOKED);
    for (let i = 0; i < REVOKED; i++)
      entries[i] = { hash: dccHash('UCI', { uci: `URN:UVCI:01:XA:${i}` })!.toString('base64') };
    const file = join(dir, 'batch.json');
    writeFileSync(
      file,
      JSON.stringify({
        country: 'XA',
        kid: 'XPjhL9Znd1M=',
        hashType: 'UCI',
        expires: new Date(NOW.getTime() + DAY).toISOString(),
        entries,
      }),
    );
    entries.length = 0;
    gc();
    const heapBefore = process.memoryUsage();
    const revocations = createRevocations({
      dccSources: [{ file }],
      shcSources: [],
      fetch,
      maxBytes: 256 * 1024 * 1024,
      cacheFile: join(dir, 'cache.json'),
      now: () => NOW,
      trustsDccKid: () => true,
      trustsShcKey: () => false,
    });
    const t = performance.now();
    await revocations.refresh();
    const importMs = performance.now() - t;
    const status = revocations.status();
    if (status.dccEntries !== REVOKED || status.problems.length > 0)
      throw new Error(`import failed: ${JSON.stringify(status)}`);
    gc();
    const heapAfter = process.memoryUsage();
    const heapDeltaMb =
      (heapAfter.heapUsed + heapAfter.arrayBuffers - heapBefore.heapUsed - heapBefore.arrayBuffers) / 1e6;
    // Half the lookups hit (revoked ids), half miss (ids never revoked): hash + binary search, as $verify asks.
    const lookups = perSecond((i) => {
      const id = i % 2 === 0 ? `URN:UVCI:01:XA:${(i * 7919) % REVOKED}` : `URN:UVCI:01:XA:N${i}`;
      if (revocations.check({ format: 'hcert', issuer: 'XA', kid: 'XPjhL9Znd1M=', credentialId: id }) !== (i % 2 === 0))
        throw new Error('lookup wrong');
    }, 1500);
    return { importMs, lookups, setBytes: status.dccBytes, heapDeltaMb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
    const ca = await createCsca({
      country,
      keys: caKeys,
      notBefore: new Date(NOW.getTime() - 365 * DAY),
      notAfter: new Date(NOW.getTime() + 3650 * DAY),
    });
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
          extensions: [
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
            aki,
            new x509.ExtendedKeyUsageExtension(Object.values(HCERT_EKU)),
          ],
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
  console.log(
    `generated ${DSCS} DSCs / ${COUNTRIES} countries in ${generationMs.toFixed(0)} ms (${(text.length / 1e6).toFixed(1)} MB JSON)`,
  );

  const t1 = performance.now();
  const list = buildTrustList({ documents: JSON.parse(text), now: NOW });
  const loadMs = performance.now() - t1;
  const counts = list.counts();
  console.log(
    `load + chain validation: ${loadMs.toFixed(0)} ms; ${counts.dsc} DSCs, ${counts.validDsc} valid, ${counts.csca} CSCAs`,
  );

  const lookups = perSecond((i) => {
    const k = kids[i % kids.length]!;
    if (list.lookupByKid(k.kid, { country: k.country, asOf: NOW }).length === 0) throw new Error('lookup miss');
  }, 1500);

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.alloc(300, 7); // about the size of an HCERT Sig_structure
  const signature = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const verifies = perSecond(() => {
    if (!verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature))
      throw new Error('verify failed');
  }, 1500);
  console.log(`lookups/s ${lookups.toFixed(0)}; ES256 verifies/s ${verifies.toFixed(0)}`);
  const { proofVerifyMs } = await proofFigures(documents);
  console.log(`proofs of ${documents.length} documents (${DSCS} DSCs) verified in ${proofVerifyMs.toFixed(0)} ms`);
  const rev = await revocationFigures();
  console.log(
    `revocation: ${REVOKED} entries imported in ${rev.importMs.toFixed(0)} ms; ${rev.lookups.toFixed(0)} lookups/s; sets ${(rev.setBytes / 1e6).toFixed(1)} MB, heap delta ${rev.heapDeltaMb.toFixed(1)} MB`,
  );

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
        proof_verify_ms: Math.round(proofVerifyMs),
        revocation_entries: REVOKED,
        revocation_import_ms: Math.round(rev.importMs),
        revocation_lookups_per_s: Math.round(rev.lookups),
        revocation_set_bytes: rev.setBytes,
        revocation_heap_delta_mb: Math.round(rev.heapDeltaMb * 10) / 10,
      },
      ratios: {
        lookup_vs_es256_verify: Math.round((lookups / verifies) * 10) / 10,
        revocation_lookup_vs_es256_verify: Math.round((rev.lookups / verifies) * 10) / 10,
      },
    }),
  );
}

await main();
