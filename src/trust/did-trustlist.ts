/**
 * Reads GDHCN trust-list DID documents (DID Trustlist v2, https://smart.who.int/trust/concepts_did_gdhcn.html)
 * into flat entries. Shape: `{ id, controller, verificationMethod: [{ id: "<did>#<kid>", type: "JsonWebKey2020",
 * controller, publicKeyJwk: { kty, kid, x5c: [cert, ...chain], crv/x/y | n/e } }], proof }`.
 * Ids look like `did:web:<host>:v2:trustlist:<domain>:<participant>:<usage>`, `-` being a wildcard level.
 * Reference-type lists (`verificationMethod` holding DID strings) carry no key material: counted, not resolved.
 */
import { TrustError } from './errors.ts';

export interface DidVerificationMethod {
  id: string;
  type: string;
  controller: string;
  publicKeyJwk: Record<string, unknown> & { kty: string; kid?: string; x5c?: string[] };
}

export interface DidDocument {
  '@context'?: string[];
  id: string;
  controller?: string;
  verificationMethod: (DidVerificationMethod | string)[];
  proof?: Record<string, unknown>;
}

export interface RawTrustEntry {
  /** Absolute verification method id, e.g. `did:web:…:DCC:XXA#XPjhL9Znd1M=`. */
  didUrl: string;
  documentId: string;
  /** `publicKeyJwk.kid` as published (may differ from the kid we compute). */
  declaredKid: string | undefined;
  /** Base64 DER certificates: [0] is the entry's own certificate, the rest its claimed chain. */
  x5c: string[];
  domain: string | undefined;
  participant: string | undefined;
  usage: string | undefined;
}

export interface ParsedDidTrustList {
  entries: RawTrustEntry[];
  /** Verification methods that were DID references (reference-type list). */
  references: string[];
  /** Entries skipped with the reason (no x5c, wrong type…). */
  skipped: { didUrl: string; reason: string }[];
}

interface PathLevels {
  domain: string | undefined;
  participant: string | undefined;
  usage: string | undefined;
}

/** Domain / participant / usage levels of a v2 trustlist DID (`-` = any). */
export function trustListLevels(did: string): PathLevels {
  const parts = did.split('#')[0]!.split(':');
  const at = parts.findIndex((p) => p === 'trustlist' || p === 'trustlist-ref');
  const level = (i: number): string | undefined => {
    const v = at >= 0 ? parts[at + i] : undefined;
    return v && v !== '-' ? decodeURIComponent(v) : undefined;
  };
  return { domain: level(1), participant: level(2), usage: level(3) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asDocuments(input: unknown): DidDocument[] {
  const list = Array.isArray(input) ? input : [input];
  if (list.length === 0) return [];
  for (const [i, doc] of list.entries()) {
    if (!isObject(doc) || typeof doc.id !== 'string' || !Array.isArray(doc.verificationMethod)) {
      throw new TrustError(
        'TRUSTLIST_MALFORMED',
        `Trust list document ${i} is not a DID document (needs id and verificationMethod[])`,
      );
    }
  }
  return list as DidDocument[];
}

function readMethod(doc: DidDocument, vm: DidVerificationMethod, out: ParsedDidTrustList): void {
  const didUrl = vm.id.startsWith('#') ? doc.id + vm.id : vm.id;
  const jwk = vm.publicKeyJwk;
  if (!isObject(jwk)) {
    out.skipped.push({ didUrl, reason: 'no publicKeyJwk' });
    return;
  }
  const x5c = jwk.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0 || !x5c.every((c) => typeof c === 'string')) {
    out.skipped.push({ didUrl, reason: 'publicKeyJwk has no x5c certificate' });
    return;
  }
  const levels = trustListLevels(typeof vm.controller === 'string' ? vm.controller : doc.id);
  const fromId = trustListLevels(didUrl);
  out.entries.push({
    didUrl,
    documentId: doc.id,
    declaredKid: typeof jwk.kid === 'string' ? jwk.kid : undefined,
    x5c,
    domain: levels.domain ?? fromId.domain,
    participant: levels.participant ?? fromId.participant,
    usage: levels.usage ?? fromId.usage,
  });
}

/**
 * Flattens one DID document or an array of them into entries. Throws TrustError TRUSTLIST_MALFORMED when the
 * input is not DID-document shaped.
 */
export function parseDidTrustList(input: unknown): ParsedDidTrustList {
  const out: ParsedDidTrustList = { entries: [], references: [], skipped: [] };
  for (const doc of asDocuments(input)) {
    for (const vm of doc.verificationMethod) {
      if (typeof vm === 'string') out.references.push(vm);
      else if (isObject(vm) && typeof vm.id === 'string') readMethod(doc, vm, out);
      else out.skipped.push({ didUrl: doc.id, reason: 'verificationMethod without id' });
    }
  }
  return out;
}

/**
 * The 8 kid bytes a published `kid` stands for: plain base64 of 8 bytes (spec example), or base64 of that
 * base64 text (tng-cdn-dev v2.0.0 files). Returns the standard base64 form, or undefined when neither.
 */
export function normaliseDeclaredKid(kid: string): string | undefined {
  const once = decodeBase64(kid);
  if (once?.length === 8) return once.toString('base64');
  if (once) {
    const twice = decodeBase64(once.toString('latin1'));
    if (twice?.length === 8) return twice.toString('base64');
  }
  return undefined;
}

function decodeBase64(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) return undefined;
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
