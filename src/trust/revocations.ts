/**
 * Revocation data of other issuers, used by `$verify`:
 * - EU DCC revocation batches (https://github.com/eu-digital-green-certificates/dgc-overview, revocation spec):
 *   `{ country, expires, kid, hashType: UCI | COUNTRYCODEUCI | SIGNATURE, entries: [{ hash }] }`, the hash being
 *   the first 16 bytes of SHA-256 over the UCI, over country code + UCI, or over the signature (its `r` half for
 *   ECDSA), base64.
 * - SMART Health Card CRLs (https://spec.smarthealth.cards/#revocation): `{ kid, method: "rid", ctr, rids }`, a rid
 *   optionally suffixed `.<epoch seconds>` (cards issued before then are revoked); the issuer's `iss` is given by
 *   where the CRL came from (a file states it as `iss`).
 * Only data for kids the trust list trusts is taken (a batch for an unknown kid is refused, with a status entry).
 * Hashes are kept in sorted packed buffers (16 bytes an entry, binary search): a million entries cost ~16 MB.
 * A load that fails (garbage, truncated, over the cap, untrusted kid) keeps the last good state; the state is
 * written to `cacheFile` (atomic rename) and read back at start.
 */
import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { readTrustSource, type TrustSource } from './read-source.ts';
import type { TrustLogger } from './sync.ts';

export type DccHashType = 'UCI' | 'COUNTRYCODEUCI' | 'SIGNATURE';
const HASH_TYPES: readonly DccHashType[] = ['UCI', 'COUNTRYCODEUCI', 'SIGNATURE'];
const HASH_BYTES = 16;

export interface DccBatch {
  country: string;
  kid: string;
  hashType: DccHashType;
  expires: string;
  entries: { hash: string }[];
}

/** A checked batch with its hashes decoded into one buffer. */
export interface PackedDccBatch extends DccBatch {
  packed: Buffer;
}

export interface ShcCrl {
  iss: string;
  kid: string;
  method: 'rid';
  ctr: number;
  rids: string[];
}

export interface RevocationQuery {
  format: 'hcert' | 'shc' | string;
  issuer?: string;
  kid?: string;
  credentialId?: string;
  /** COSE signature bytes (HCERT SIGNATURE hash type). */
  signature?: Uint8Array;
  /** SHC `nbf` (for rids with a timestamp). */
  issuedAt?: Date;
}

/** true = revoked, false = on a fresh list and not revoked, string = skipped with that reason, undefined = no list. */
export type RevocationAnswer = boolean | string | undefined;

export interface RevocationProblem {
  source: string;
  message: string;
  at: string;
}

export interface RevocationStatus {
  dccKids: number;
  dccEntries: number;
  /** Memory the DCC hash sets hold. */
  dccBytes: number;
  shcCrls: number;
  loadedAt: string | undefined;
  problems: RevocationProblem[];
}

export class RevocationDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RevocationDataError';
  }
}

/**
 * A set of 16-byte hashes: one packed buffer ordered by each hash's first 4 bytes, plus those prefixes in a
 * Uint32Array searched by bisection; hashes sharing a prefix (rare) are compared in full. Building sorts native
 * 64-bit keys (prefix << 32 | index), never a comparator over a million Buffers.
 */
export class HashSet16 {
  readonly size: number;
  private readonly packed: Buffer;
  private readonly prefixes: Uint32Array;

  /** From a buffer of concatenated 16-byte hashes, in any order, duplicates allowed. */
  constructor(raw: Buffer) {
    const n = Math.floor(raw.length / HASH_BYTES);
    const keys = new BigUint64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (BigInt(raw.readUInt32BE(i * HASH_BYTES)) << 32n) | BigInt(i);
    keys.sort();
    const packed = Buffer.allocUnsafe(n * HASH_BYTES);
    const prefixes = new Uint32Array(n);
    let size = 0;
    let runStart = 0;
    for (let k = 0; k < n; k++) {
      const i = Number(keys[k]! & 0xffffffffn);
      const prefix = Number(keys[k]! >> 32n);
      if (size === 0 || prefixes[size - 1] !== prefix) runStart = size;
      let duplicate = false;
      for (let j = runStart; j < size && !duplicate; j++)
        duplicate =
          raw.compare(packed, j * HASH_BYTES, (j + 1) * HASH_BYTES, i * HASH_BYTES, (i + 1) * HASH_BYTES) === 0;
      if (duplicate) continue;
      raw.copy(packed, size * HASH_BYTES, i * HASH_BYTES, (i + 1) * HASH_BYTES);
      prefixes[size++] = prefix;
    }
    this.packed = packed.subarray(0, size * HASH_BYTES);
    this.prefixes = prefixes.subarray(0, size);
    this.size = size;
  }

  /** From a list of hashes (each at least 16 bytes; the first 16 count). */
  static of(hashes: readonly Uint8Array[]): HashSet16 {
    return new HashSet16(Buffer.concat(hashes.map((h) => h.subarray(0, HASH_BYTES))));
  }

  has(hash: Uint8Array): boolean {
    const prefix = ((hash[0]! << 24) | (hash[1]! << 16) | (hash[2]! << 8) | hash[3]!) >>> 0;
    const prefixes = this.prefixes;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (prefixes[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.size && prefixes[i] === prefix; i++) {
      if (this.packed.compare(hash, 0, HASH_BYTES, i * HASH_BYTES, (i + 1) * HASH_BYTES) === 0) return true;
    }
    return false;
  }

  get bytes(): number {
    return this.packed.length + this.prefixes.byteLength;
  }

  toBase64(): string {
    return this.packed.toString('base64');
  }
}

const sha16 = (data: string | Uint8Array): Buffer => hash('sha256', data, 'buffer').subarray(0, HASH_BYTES);

/** The hash of one credential for one hash type (`signature` ECDSA raw r||s: only r is hashed). */
export function dccHash(
  type: DccHashType,
  input: { uci?: string; country?: string; signature?: Uint8Array },
): Buffer | undefined {
  if (type === 'UCI') return input.uci ? sha16(input.uci) : undefined;
  if (type === 'COUNTRYCODEUCI')
    return input.uci && input.country ? sha16(input.country.toUpperCase() + input.uci) : undefined;
  const sig = input.signature;
  if (!sig) return undefined;
  return sha16([64, 96, 132].includes(sig.length) ? sig.subarray(0, sig.length / 2) : sig);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks one batch's shape. Throws RevocationDataError naming the first problem. */
export function parseDccBatch(v: unknown): PackedDccBatch {
  if (!isObject(v)) throw new RevocationDataError('DCC revocation batch is not an object');
  if (typeof v.country !== 'string' || !/^[A-Z]{2}$/.test(v.country))
    throw new RevocationDataError('DCC revocation batch: country is not a 2-letter code');
  if (typeof v.kid !== 'string' || v.kid.length === 0 || v.kid.length > 64)
    throw new RevocationDataError('DCC revocation batch: kid is missing');
  if (!HASH_TYPES.includes(v.hashType as DccHashType))
    throw new RevocationDataError(
      `DCC revocation batch: hashType ${JSON.stringify(v.hashType)} is not UCI, COUNTRYCODEUCI or SIGNATURE`,
    );
  if (typeof v.expires !== 'string' || Number.isNaN(Date.parse(v.expires)))
    throw new RevocationDataError('DCC revocation batch: expires is not a date');
  if (!Array.isArray(v.entries)) throw new RevocationDataError('DCC revocation batch: entries is not an array');
  const entries = v.entries as unknown[];
  const packed = Buffer.allocUnsafe(entries.length * HASH_BYTES);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as { hash?: unknown } | null;
    // base64 of 16 bytes or more (a full SHA-256 is cut to its first 16, as the spec truncates)
    const h = typeof e === 'object' && e !== null ? e.hash : undefined;
    if (typeof h !== 'string' || h.length < 22 || packed.write(h, i * HASH_BYTES, HASH_BYTES, 'base64') < HASH_BYTES) {
      throw new RevocationDataError(`DCC revocation batch: entry ${i} has no 16-byte base64 hash`);
    }
  }
  return { ...(v as unknown as DccBatch), packed };
}

/** Checks one SHC CRL's shape. */
export function parseShcCrl(v: unknown, iss?: string): ShcCrl {
  if (!isObject(v)) throw new RevocationDataError('SHC CRL is not an object');
  const issuer = iss ?? v.iss;
  if (typeof issuer !== 'string' || !URL.canParse(issuer))
    throw new RevocationDataError('SHC CRL: iss is missing (a CRL file states the issuer it came from)');
  if (typeof v.kid !== 'string' || v.kid.length === 0) throw new RevocationDataError('SHC CRL: kid is missing');
  if (v.method !== 'rid') throw new RevocationDataError(`SHC CRL: method ${JSON.stringify(v.method)} is not rid`);
  if (!Number.isInteger(v.ctr) || (v.ctr as number) < 1)
    throw new RevocationDataError('SHC CRL: ctr is not a positive integer');
  if (!Array.isArray(v.rids) || !v.rids.every((r) => typeof r === 'string' && /^[\w-]{1,64}(\.\d{1,12})?$/.test(r))) {
    throw new RevocationDataError('SHC CRL: rids is not an array of rid strings');
  }
  return { iss: issuer.replace(/\/+$/, ''), kid: v.kid, method: 'rid', ctr: v.ctr as number, rids: v.rids as string[] };
}

interface DccKidState {
  country: string;
  expires: Date;
  sets: Partial<Record<DccHashType, HashSet16>>;
  /** The same sets as pairs, for the lookup loop. */
  pairs: [DccHashType, HashSet16][];
}

interface ShcCrlState {
  ctr: number;
  /** rid → revoked-before epoch seconds (Infinity = all). */
  rids: Map<string, number>;
}

export interface RevocationsOptions {
  /** EU DCC batch sources (file or URL; each a batch or an array of batches). */
  dccSources: readonly TrustSource[];
  /** SHC CRL sources (each a CRL with `iss`, or an array of them). */
  shcSources: readonly TrustSource[];
  fetch: typeof fetch;
  maxBytes: number;
  timeoutMs?: number;
  cacheFile: string;
  now: () => Date;
  logger?: TrustLogger;
  /** Is this DSC kid (base64) of this country in the trust list? */
  trustsDccKid: (kid: string, country: string) => boolean;
  /** Is this SHC issuer key trusted? */
  trustsShcKey: (iss: string, kid: string) => boolean;
  /**
   * Trusted SHC keys whose CRL is fetched from the issuer itself, `<iss>/.well-known/crl/<kid>.json` (SMART Health
   * Cards spec, "Revocation"): keys declaring `crlVersion`. Read at each refresh, after the trust list's.
   */
  shcCrlKeys?: () => readonly { iss: string; kid: string }[];
}

export interface Revocations {
  refresh(): Promise<void>;
  check(query: RevocationQuery): RevocationAnswer;
  status(): RevocationStatus;
}

interface CacheShape {
  version: 1;
  loadedAt: string;
  dcc: { kid: string; country: string; expires: string; sets: Partial<Record<DccHashType, string>> }[];
  shc: { iss: string; kid: string; ctr: number; rids: string[] }[];
}

const describe = (s: TrustSource): string => ('url' in s ? s.url : `file:${s.file}`);

/**
 * Creates the imported-revocation store: reads the cache at once, `refresh()` reloads every source.
 * @example const r = createRevocations({ dccSources: [{ file: 'batch.json' }], shcSources: [], … }); await r.refresh(); r.check({ format: 'hcert', … })
 */
export function createRevocations(options: RevocationsOptions): Revocations {
  let dcc = new Map<string, DccKidState>();
  let shc = new Map<string, ShcCrlState>();
  let loadedAt: Date | undefined;
  let problems: RevocationProblem[] = [];

  const problem = (source: string, message: string): void => {
    problems.push({ source, message, at: options.now().toISOString() });
    options.logger?.error({ source }, `revocation data refused, keeping the last good state: ${message}`);
  };

  const toCache = (): CacheShape => ({
    version: 1,
    loadedAt: (loadedAt ?? options.now()).toISOString(),
    dcc: [...dcc.entries()].map(([kid, s]) => ({
      kid,
      country: s.country,
      expires: s.expires.toISOString(),
      sets: Object.fromEntries(Object.entries(s.sets).map(([t, set]) => [t, set.toBase64()])),
    })),
    shc: [...shc.entries()].map(([key, s]) => {
      const [iss, kid] = key.split('\n') as [string, string];
      return { iss, kid, ctr: s.ctr, rids: [...s.rids].map(([r, t]) => (t === Infinity ? r : `${r}.${t}`)) };
    }),
  });

  try {
    const cached = JSON.parse(readFileSync(options.cacheFile, 'utf8')) as CacheShape;
    for (const d of cached.dcc) {
      const sets: DccKidState['sets'] = {};
      for (const [t, b64] of Object.entries(d.sets)) sets[t as DccHashType] = new HashSet16(Buffer.from(b64, 'base64'));
      dcc.set(d.kid, kidState(d.country, new Date(d.expires), sets));
    }
    for (const c of cached.shc) shc.set(`${c.iss}\n${c.kid}`, ridMap(c.rids, c.ctr));
    loadedAt = new Date(cached.loadedAt);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      problem(`file:${options.cacheFile}`, `revocation cache unreadable: ${(e as Error).message}`);
  }

  async function loadDcc(
    source: TrustSource,
    into: Map<string, { country: string; expires: Date; hashes: Map<DccHashType, Buffer[]> }>,
  ): Promise<void> {
    const json = await readTrustSource(source, {
      fetch: options.fetch,
      maxBytes: options.maxBytes,
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    const batches = (Array.isArray(json) ? json : [json]).map(parseDccBatch);
    for (const b of batches) {
      if (!options.trustsDccKid(b.kid, b.country))
        throw new RevocationDataError(
          `DCC revocation batch for kid ${b.kid} of ${b.country}: no such DSC in the trust list`,
        );
    }
    for (const b of batches) {
      const slot = into.get(b.kid) ?? { country: b.country, expires: new Date(b.expires), hashes: new Map() };
      const expires = new Date(b.expires);
      if (expires < slot.expires) slot.expires = expires;
      slot.hashes.set(b.hashType, [...(slot.hashes.get(b.hashType) ?? []), b.packed]);
      into.set(b.kid, slot);
    }
  }

  async function loadShc(
    source: TrustSource,
    into: Map<string, ShcCrlState>,
    expected?: { iss: string; kid: string },
  ): Promise<void> {
    const json = await readTrustSource(source, {
      fetch: options.fetch,
      maxBytes: options.maxBytes,
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    // An issuer's own CRL names no iss: it is the issuer we asked, and it must be for the kid we asked.
    const crls = expected
      ? [parseShcCrl(json, expected.iss)]
      : (Array.isArray(json) ? json : [json]).map((c) => parseShcCrl(c));
    if (expected && crls[0]!.kid !== expected.kid)
      throw new RevocationDataError(`SHC CRL: asked for kid ${expected.kid}, got kid ${crls[0]!.kid}`);
    for (const c of crls) {
      if (!options.trustsShcKey(c.iss, c.kid))
        throw new RevocationDataError(`SHC CRL for ${c.iss} kid ${c.kid}: that key is not trusted`);
      const key = `${c.iss}\n${c.kid}`;
      const held = shc.get(key);
      if (held && c.ctr < held.ctr)
        throw new RevocationDataError(
          `SHC CRL for ${c.iss} kid ${c.kid}: ctr ${c.ctr} is older than the ${held.ctr} held`,
        );
      into.set(key, ridMap(c.rids, c.ctr));
    }
  }

  let inFlight: Promise<void> | undefined;
  async function refreshOnce(): Promise<void> {
    problems = [];
    const nextDcc = new Map<string, DccKidState>(dcc);
    type Staged = Map<string, { country: string; expires: Date; hashes: Map<DccHashType, Buffer[]> }>;
    const combined: Staged = new Map();
    for (const source of options.dccSources) {
      const staged: Staged = new Map();
      try {
        await loadDcc(source, staged);
      } catch (e) {
        problem(describe(source), (e as Error).message);
        continue;
      }
      for (const [kid, s] of staged) {
        const into = combined.get(kid) ?? { country: s.country, expires: s.expires, hashes: new Map() };
        if (s.expires < into.expires) into.expires = s.expires;
        for (const [t, list] of s.hashes) into.hashes.set(t, [...(into.hashes.get(t) ?? []), ...list]);
        combined.set(kid, into);
      }
    }
    for (const [kid, s] of combined) {
      const sets: DccKidState['sets'] = {};
      for (const [t, list] of s.hashes) sets[t] = new HashSet16(Buffer.concat(list));
      nextDcc.set(kid, kidState(s.country, s.expires, sets));
    }
    const nextShc = new Map<string, ShcCrlState>(shc);
    for (const source of options.shcSources) {
      const staged = new Map<string, ShcCrlState>();
      try {
        await loadShc(source, staged);
      } catch (e) {
        problem(describe(source), (e as Error).message);
        continue;
      }
      for (const [k, v] of staged) nextShc.set(k, v);
    }
    for (const key of options.shcCrlKeys?.() ?? []) {
      const url = `${key.iss.replace(/\/+$/, '')}/.well-known/crl/${encodeURIComponent(key.kid)}.json`;
      const staged = new Map<string, ShcCrlState>();
      try {
        if (!url.startsWith('https://')) throw new RevocationDataError('an issuer CRL is fetched over https only');
        await loadShc({ url }, staged, key);
      } catch (e) {
        problem(url, (e as Error).message);
        continue;
      }
      for (const [k, v] of staged) nextShc.set(k, v);
    }
    dcc = nextDcc;
    shc = nextShc;
    loadedAt = options.now();
    const tmp = `${options.cacheFile}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(toCache()));
      await rename(tmp, options.cacheFile);
    } catch (e) {
      options.logger?.warn({ cacheFile: options.cacheFile }, `revocation cache not written: ${(e as Error).message}`);
    }
  }

  return {
    refresh() {
      inFlight ??= refreshOnce().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },

    check(q) {
      if (!q.kid) return undefined;
      if (q.format === 'shc') {
        const crl = q.issuer ? shc.get(`${q.issuer.replace(/\/+$/, '')}\n${q.kid}`) : undefined;
        if (!crl) return undefined;
        if (!q.credentialId) return `SHC ${q.issuer} kid ${q.kid} publishes a CRL but the card carries no rid`;
        const before = crl.rids.get(q.credentialId);
        if (before === undefined) return false;
        return before === Infinity || q.issuedAt === undefined || q.issuedAt.getTime() / 1000 < before;
      }
      const state = dcc.get(q.kid);
      if (!state) return undefined;
      if (state.expires < options.now())
        return `The revocation list of kid ${q.kid} expired at ${state.expires.toISOString()}`;
      const input = { uci: q.credentialId, country: q.issuer ?? state.country, signature: q.signature };
      for (const [type, set] of state.pairs) {
        const h = dccHash(type, input);
        if (h && set.has(h)) return true;
      }
      return false;
    },

    status() {
      let entries = 0;
      let bytes = 0;
      for (const s of dcc.values()) {
        for (const [, set] of s.pairs) {
          entries += set.size;
          bytes += set.bytes;
        }
      }
      return {
        dccKids: dcc.size,
        dccEntries: entries,
        dccBytes: bytes,
        shcCrls: shc.size,
        loadedAt: loadedAt?.toISOString(),
        problems,
      };
    },
  };
}

function kidState(country: string, expires: Date, sets: DccKidState['sets']): DccKidState {
  return { country, expires, sets, pairs: Object.entries(sets) as [DccHashType, HashSet16][] };
}

function ridMap(rids: readonly string[], ctr: number): ShcCrlState {
  const map = new Map<string, number>();
  for (const r of rids) {
    const [rid, ts] = r.split('.');
    map.set(rid!, ts === undefined ? Infinity : Number(ts));
  }
  return { ctr, rids: map };
}
