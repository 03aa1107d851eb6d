/**
 * The trust list as a pure, immutable model: CSCAs (anchors) and DSCs with a verdict each, indexed for lookup
 * by HCERT kid, by SHC issuer + kid, and by DID URL. Building it validates every DSC's chain to a CSCA of the
 * same country, matching by authority/subject key identifier first and by country + issuer name otherwise
 * (never by trying every CSCA). Expired entries stay in the list, flagged.
 * Sources: https://smart.who.int/trust/concepts_did_gdhcn.html, HCERT spec §5 (certificate governance).
 */
import type { KeyObject } from 'node:crypto';
import { normaliseDeclaredKid, parseDidTrustList, type RawTrustEntry } from './did-trustlist.ts';
import type { ShcIssuer, ShcKey } from './shc-directory.ts';
import { TrustError } from './errors.ts';
import {
  checkAnchor,
  checkCriticalExtensions,
  checkIssuedBy,
  checkKeyStrength,
  checkSigningUsage,
  checkValidity,
  hcertTypesOf,
  readCertificate,
  type CertificateFacts,
  type CertificateProblem,
  type HcertCertificateType,
} from './x509.ts';

export type TrustReasonCode =
  | 'chain'
  | 'signature'
  | 'country-mismatch'
  | 'participant-mismatch'
  | 'usage'
  | 'validity'
  | 'key-usage'
  | 'weak-key'
  | 'unparseable'
  | 'critical-extension'
  | 'anchor';

export interface TrustReason {
  readonly code: TrustReasonCode;
  readonly message: string;
}

export interface TrustEntry {
  readonly role: 'CSCA' | 'DSC';
  /** HCERT kid computed from the DER (standard base64). */
  readonly kid: string;
  /** Kids as published in `publicKeyJwk.kid`, when they differ from `kid` (a warning, and indexed too). */
  readonly declaredKids: readonly string[];
  readonly didUrls: readonly string[];
  readonly domains: readonly string[];
  /** Usages the trust-list paths publish it for (SCA, DSC, UP, TLS, DECA, DESC); empty when no path says. */
  readonly usages: readonly string[];
  readonly participant: string | undefined;
  readonly country: string | undefined;
  readonly certificate: CertificateFacts;
  readonly publicKey: KeyObject;
  /** The CSCA this DSC chains to; undefined for CSCAs and unchained DSCs. */
  readonly anchor: TrustEntry | undefined;
  /** Time-independent problems (chain, signature, country, usage, key strength). */
  readonly staticReasons: readonly TrustReason[];
  readonly warnings: readonly string[];
  /** HCERT types this DSC may sign (from EKU); undefined = unrestricted. */
  readonly hcertTypes: readonly HcertCertificateType[] | undefined;
}

export interface TrustVerdict {
  readonly ok: boolean;
  readonly reasons: readonly TrustReason[];
}

export interface KeyCandidate {
  readonly entry: TrustEntry;
  readonly verdict: TrustVerdict;
}

export interface TrustListInput {
  /** DID documents (one or an array) as published by the GDHCN, plus any merged local ones. */
  documents: unknown;
  /** SHC issuers (VCI directory, our own keys…). */
  shcIssuers?: readonly ShcIssuer[];
  /** The evaluation time of the stored verdicts. */
  now: Date;
  /** TRUSTLIST_DOMAINS: only entries of these domains (or of no domain, like our own) are kept; empty = all. */
  domains?: readonly string[];
}

export interface TrustListCounts {
  csca: number;
  dsc: number;
  validDsc: number;
  invalid: number;
  shcKeys: number;
  byCountry: Record<string, { csca: number; dsc: number }>;
  byDomain: Record<string, number>;
}

export interface CertificateDetail {
  role: 'CSCA' | 'DSC';
  kid: string;
  country: string | undefined;
  participant: string | undefined;
  domains: readonly string[];
  usages: readonly string[];
  subject: string;
  notBefore: string;
  notAfter: string;
  anchorKid: string | undefined;
  ok: boolean;
  reasons: readonly TrustReason[];
  warnings: readonly string[];
  didUrls: readonly string[];
}

export interface TrustList {
  readonly builtAt: Date;
  readonly entries: readonly TrustEntry[];
  /** Entries that could not be read at all. */
  readonly rejected: readonly { didUrl: string; reason: TrustReason }[];
  /** Every DSC indexed under `kid` (and declared kids), filtered by issuer country when given. */
  lookupByKid(kid: string | Uint8Array, options?: { country?: string; asOf?: Date }): KeyCandidate[];
  lookupShc(iss: string, kid: string): ShcKey | undefined;
  /** Every trusted SMART Health Card issuer key. */
  shcKeys(): ShcKey[];
  lookupByDidUrl(didUrl: string, options?: { asOf?: Date }): KeyCandidate | undefined;
  verdictOf(entry: TrustEntry, asOf?: Date): TrustVerdict;
  counts(): TrustListCounts;
  details(): CertificateDetail[];
}

const FOREIGN_KEYS = { minRsaBits: 2048, curves: ['P-256', 'P-384', 'P-521'] };

const reason = (code: TrustReasonCode, p: CertificateProblem | string): TrustReason => ({
  code,
  message: typeof p === 'string' ? p : p.message,
});

function kidKey(kid: string | Uint8Array): string {
  if (typeof kid !== 'string') return Buffer.from(kid).toString('base64');
  return Buffer.from(kid.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('base64');
}

interface Draft {
  raw: RawTrustEntry[];
  cert: CertificateFacts;
}

/** Reads every entry's certificate; identical certificates published in several documents merge. */
function readEntries(raws: RawTrustEntry[], rejected: TrustList['rejected'][number][]): Map<string, Draft> {
  const byFingerprint = new Map<string, Draft>();
  for (const raw of raws) {
    let cert: CertificateFacts;
    try {
      cert = readCertificate(raw.x5c[0]!);
    } catch (e) {
      rejected.push({ didUrl: raw.didUrl, reason: reason('unparseable', (e as Error).message) });
      continue;
    }
    const seen = byFingerprint.get(cert.fingerprint);
    if (seen) seen.raw.push(raw);
    else byFingerprint.set(cert.fingerprint, { raw: [raw], cert });
  }
  return byFingerprint;
}

function isAnchor(d: Draft): boolean {
  return d.cert.isCa || d.raw.some((r) => r.usage === 'SCA' || r.usage === 'CSCA');
}

function unique<T>(xs: (T | undefined)[]): T[] {
  return [...new Set(xs.filter((x): x is T => x !== undefined))];
}

function makeEntry(d: Draft, role: 'CSCA' | 'DSC', anchor: TrustEntry | undefined, reasons: TrustReason[]): TrustEntry {
  const declared = unique(
    d.raw.map((r) => (r.declaredKid ? (normaliseDeclaredKid(r.declaredKid) ?? r.declaredKid) : undefined)),
  ).filter((k) => k !== d.cert.kid);
  return {
    role,
    kid: d.cert.kid,
    declaredKids: declared,
    didUrls: unique(d.raw.map((r) => r.didUrl)),
    domains: unique(d.raw.map((r) => r.domain)),
    usages: unique(d.raw.map((r) => r.usage?.toUpperCase())),
    participant: d.raw.find((r) => r.participant)?.participant,
    country: d.cert.country,
    certificate: d.cert,
    publicKey: d.cert.publicKey,
    anchor,
    staticReasons: reasons,
    warnings: declared.map((k) => `published kid ${k} differs from the computed kid ${d.cert.kid}`),
    hcertTypes: role === 'DSC' ? hcertTypesOf(d.cert) : undefined,
  };
}

function anchorReasons(d: Draft): TrustReason[] {
  return [
    ...checkAnchor(d.cert).map((p) => reason(p.code === 'signature' ? 'signature' : 'anchor', p)),
    ...checkCriticalExtensions(d.cert).map((p) => reason('critical-extension', p)),
  ];
}

interface AnchorIndex {
  bySki: Map<string, TrustEntry[]>;
  byCountry: Map<string, TrustEntry[]>;
}

function indexAnchors(anchors: TrustEntry[]): AnchorIndex {
  const idx: AnchorIndex = { bySki: new Map(), byCountry: new Map() };
  const push = (m: Map<string, TrustEntry[]>, k: string | undefined, e: TrustEntry) => {
    if (k !== undefined) m.set(k, [...(m.get(k) ?? []), e]);
  };
  for (const a of anchors) {
    push(idx.bySki, a.certificate.subjectKeyId, a);
    push(idx.byCountry, a.country, a);
  }
  return idx;
}

/** Finds the CSCA that issued `dsc`: AKI → SKI first, then same country + issuer name. */
function chainDsc(dsc: CertificateFacts, idx: AnchorIndex): { anchor?: TrustEntry; reasons: TrustReason[] } {
  const byKeyId = dsc.authorityKeyId ? (idx.bySki.get(dsc.authorityKeyId) ?? []) : [];
  // Name matching is the fallback only where key identifiers cannot decide: a DSC without AKI, or CSCAs without SKI.
  const byName = (idx.byCountry.get(dsc.country ?? '') ?? []).filter(
    (a) => a.certificate.subject === dsc.issuer && (!dsc.authorityKeyId || !a.certificate.subjectKeyId),
  );
  const candidates = byKeyId.length > 0 ? byKeyId : byName;
  if (candidates.length === 0) {
    const how = dsc.authorityKeyId
      ? `key identifier ${dsc.authorityKeyId}`
      : `country ${dsc.country ?? '?'} and issuer name`;
    return { reasons: [reason('chain', `no CSCA in the trust list matches ${how}`)] };
  }
  let last: CertificateProblem[] = [];
  for (const anchor of candidates) {
    last = checkIssuedBy(dsc, anchor.certificate);
    if (last.length > 0) continue;
    const reasons: TrustReason[] = [];
    if (anchor.country !== dsc.country) {
      reasons.push(
        reason(
          'country-mismatch',
          `DSC country ${dsc.country ?? '?'} differs from its CSCA's country ${anchor.country ?? '?'}`,
        ),
      );
    }
    if (anchor.staticReasons.length > 0) reasons.push(reason('anchor', `CSCA ${anchor.kid} is not a valid anchor`));
    return { anchor, reasons };
  }
  return { reasons: last.map((p) => reason(p.code === 'signature' ? 'signature' : 'chain', p)) };
}

/** Usage levels a signer may be published under: DSC, or none said (embedded participant lists). */
function usageReasons(d: Draft): TrustReason[] {
  const usages = unique(d.raw.map((r) => r.usage?.toUpperCase()));
  if (usages.length === 0 || usages.includes('DSC')) return [];
  return [reason('usage', `published for usage ${usages.join(', ')}, not DSC: it verifies no credential`)];
}

/** A DSC chains to an SCA of its own participant (when both paths name one). */
function participantReasons(d: Draft, anchor: TrustEntry | undefined): TrustReason[] {
  const own = d.raw.find((r) => r.participant)?.participant;
  if (!anchor || !own || !anchor.participant || anchor.participant === own) return [];
  return [
    reason('participant-mismatch', `DSC of participant ${own} chains to the SCA of participant ${anchor.participant}`),
  ];
}

function dscReasons(d: Draft, chainReasons: TrustReason[]): TrustReason[] {
  return [
    ...chainReasons,
    ...usageReasons(d),
    ...checkSigningUsage(d.cert)
      .filter((p) => p.code === 'key-usage')
      .map((p) => reason('key-usage', p)),
    ...checkKeyStrength(d.cert, FOREIGN_KEYS).map((p) => reason('weak-key', p)),
    ...checkCriticalExtensions(d.cert).map((p) => reason('critical-extension', p)),
  ];
}

function verdictOf(entry: TrustEntry, asOf: Date): TrustVerdict {
  const reasons = [...entry.staticReasons, ...checkValidity(entry.certificate, asOf).map((p) => reason('validity', p))];
  if (entry.anchor) {
    for (const p of checkValidity(entry.anchor.certificate, asOf))
      reasons.push(reason('validity', `CSCA ${entry.anchor.kid} ${p.message}`));
  }
  return { ok: reasons.length === 0, reasons };
}

/**
 * Builds the model from DID documents. Throws TrustError TRUSTLIST_MALFORMED when the input is not DID shaped;
 * individual bad certificates do not throw, they are reported in `rejected` or in their verdict.
 * @example buildTrustList({ documents: JSON.parse(didJson), now: new Date() }).lookupByKid(kid, { country: 'XA' })
 * @see https://smart.who.int/trust/concepts_did_gdhcn.html
 */
export function buildTrustList(input: TrustListInput): TrustList {
  const parsed = parseDidTrustList(input.documents);
  const rejected: TrustList['rejected'][number][] = parsed.skipped.map((s) => ({
    didUrl: s.didUrl,
    reason: reason('unparseable', s.reason),
  }));
  const selected = (input.domains ?? []).map((x) => x.toUpperCase());
  const kept =
    selected.length === 0
      ? parsed.entries
      : parsed.entries.filter((r) => r.domain === undefined || selected.includes(r.domain.toUpperCase()));
  const drafts = [...readEntries(kept, rejected).values()];
  const anchors = drafts.filter(isAnchor).map((d) => makeEntry(d, 'CSCA', undefined, anchorReasons(d)));
  const idx = indexAnchors(anchors);
  const dscs = drafts
    .filter((d) => !isAnchor(d))
    .map((d) => {
      const chain = chainDsc(d.cert, idx);
      return makeEntry(d, 'DSC', chain.anchor, [
        ...dscReasons(d, chain.reasons),
        ...participantReasons(d, chain.anchor),
      ]);
    });
  return createTrustList([...anchors, ...dscs], rejected, input.shcIssuers ?? [], input.now);
}

function createTrustList(
  entries: TrustEntry[],
  rejected: TrustList['rejected'],
  shcIssuers: readonly ShcIssuer[],
  builtAt: Date,
): TrustList {
  const byKid = new Map<string, TrustEntry[]>();
  const byDid = new Map<string, TrustEntry>();
  for (const e of entries) {
    if (e.role === 'DSC') {
      for (const k of [e.kid, ...e.declaredKids]) byKid.set(k, [...(byKid.get(k) ?? []), e]);
    }
    for (const url of e.didUrls) byDid.set(url, e);
  }
  const shc = new Map<string, Map<string, ShcKey>>();
  for (const issuer of shcIssuers) {
    const keys = shc.get(issuer.iss) ?? new Map<string, ShcKey>();
    for (const key of issuer.keys) keys.set(key.kid, key);
    shc.set(issuer.iss, keys);
  }
  const list: TrustList = {
    builtAt,
    entries,
    rejected,
    lookupByKid(kid, options = {}) {
      const country = options.country?.toUpperCase();
      const found = byKid.get(kidKey(kid)) ?? [];
      return found
        .filter((e) => country === undefined || e.country === country)
        .map((entry) => ({ entry, verdict: verdictOf(entry, options.asOf ?? builtAt) }));
    },
    lookupShc: (iss, kid) => shc.get(iss.replace(/\/+$/, ''))?.get(kid),
    shcKeys: () => [...shc.values()].flatMap((keys) => [...keys.values()]),
    lookupByDidUrl(didUrl, options = {}) {
      const entry = byDid.get(didUrl) ?? byDid.get(safeDecode(didUrl));
      return entry ? { entry, verdict: verdictOf(entry, options.asOf ?? builtAt) } : undefined;
    },
    verdictOf: (entry, asOf = builtAt) => verdictOf(entry, asOf),
    counts: () => countEntries(list, shc),
    details: () => entries.map((e) => detailOf(e, verdictOf(e, builtAt))),
  };
  return list;
}

/**
 * Trust-list domains a credential may be verified in: HCERTs (EU DCC, DDCC:VS, DDCC:TR) in DCC or DDCC, ICVP
 * certificates in ICVP (or DCC, where the network publishes them together). Undefined: no domain rule.
 */
export function credentialDomains(kind: 'hcert' | 'icvp' | 'shc' | 'ips'): readonly string[] | undefined {
  if (kind === 'hcert') return ['DCC', 'DDCC'];
  if (kind === 'icvp') return ['ICVP', 'DCC'];
  if (kind === 'ips') return ['IPS-PILGRIMAGE', 'PH4H'];
  return undefined;
}

/** A message when `entry` is published only for domains outside `allowed`; undefined when it may verify. */
export function domainProblem(entry: TrustEntry, allowed: readonly string[] | undefined): string | undefined {
  if (!allowed || entry.domains.length === 0) return undefined;
  if (entry.domains.some((d) => allowed.includes(d.toUpperCase()))) return undefined;
  return `DSC ${entry.kid} is published for domain ${entry.domains.join(', ')}, not for ${allowed.join(' or ')}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function countEntries(list: TrustList, shc: Map<string, Map<string, ShcKey>>): TrustListCounts {
  const counts: TrustListCounts = { csca: 0, dsc: 0, validDsc: 0, invalid: 0, shcKeys: 0, byCountry: {}, byDomain: {} };
  for (const e of list.entries) {
    const ok = list.verdictOf(e).ok;
    const c = (counts.byCountry[e.country ?? '??'] ??= { csca: 0, dsc: 0 });
    if (e.role === 'CSCA') {
      counts.csca++;
      c.csca++;
    } else {
      counts.dsc++;
      c.dsc++;
      if (ok) counts.validDsc++;
    }
    if (!ok) counts.invalid++;
    for (const d of e.domains.length > 0 ? e.domains : ['-']) counts.byDomain[d] = (counts.byDomain[d] ?? 0) + 1;
  }
  for (const keys of shc.values()) counts.shcKeys += keys.size;
  return counts;
}

function detailOf(e: TrustEntry, v: TrustVerdict): CertificateDetail {
  return {
    role: e.role,
    kid: e.kid,
    country: e.country,
    participant: e.participant,
    domains: e.domains,
    usages: e.usages,
    subject: e.certificate.subject.split('\n').join(', '),
    notBefore: e.certificate.notBefore.toISOString(),
    notAfter: e.certificate.notAfter.toISOString(),
    anchorKid: e.anchor?.kid,
    ok: v.ok,
    reasons: v.reasons,
    warnings: e.warnings,
    didUrls: e.didUrls,
  };
}

/** Guard used by sync: a list with no DSC and no SHC key cannot verify anything. */
export function assertNotEmpty(list: TrustList): void {
  const c = list.counts();
  if (c.dsc === 0 && c.csca === 0 && c.shcKeys === 0)
    throw new TrustError('TRUSTLIST_EMPTY', 'Trust list contains no certificates');
}
