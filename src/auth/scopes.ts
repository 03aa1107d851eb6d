/**
 * SMART on FHIR scopes for backend services: `system/<Type|*>.<cruds>` (v2) and `system/<Type|*>.read|write|*` (v1,
 * mapped to `rs`, `cud` and `cruds`), plus operation scopes such as `system/Immunization.$issue-hcert` that are
 * granted only by their exact name: no wildcard reaches an operation that signs with the country's key or changes
 * what the server trusts. https://build.fhir.org/ig/HL7/smart-app-launch/scopes-and-launch-context.html
 */
export type Interaction = 'c' | 'r' | 'u' | 'd' | 's';

const ORDER: readonly Interaction[] = ['c', 'r', 'u', 'd', 's'];
const V1: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };
const RESOURCE_SCOPE = /^system\/(\*|[A-Z][A-Za-z]+)\.(\*|read|write|c?r?u?d?s?)$/;
// Operation codes are kebab-case here and camelCase in IGs (the DDCC IG's $generateHealthCertificate).
const OPERATION_SCOPE = /^system\/(?:(?:\*|[A-Z][A-Za-z]+)\.)?\$[A-Za-z][A-Za-z0-9-]*$/;

export interface ResourceGrant {
  /** A resource type, or `*` for all. */
  type: string;
  letters: ReadonlySet<Interaction>;
}

export interface ScopeSet {
  resources: readonly ResourceGrant[];
  /** Operation scopes, by exact name. */
  operations: ReadonlySet<string>;
}

/** A resource scope's type and letters (v1 names mapped to v2 letters), or undefined when it is not one. */
export function parseResourceScope(scope: string): ResourceGrant | undefined {
  const m = RESOURCE_SCOPE.exec(scope);
  if (!m || m[2] === '') return undefined;
  const letters = V1[m[2]!] ?? m[2]!;
  return { type: m[1]!, letters: new Set(letters.split('') as Interaction[]) };
}

export function isOperationScope(scope: string): boolean {
  return OPERATION_SCOPE.test(scope);
}

/**
 * Reads a space-separated scope string; scopes this server does not know (user/, patient/, launch…) are dropped.
 * @example parseScopes('system/Immunization.cruds system/*.read').resources.length // 2
 */
export function parseScopes(text: string | readonly string[]): ScopeSet {
  const list = typeof text === 'string' ? text.split(/\s+/).filter(Boolean) : text;
  const resources: ResourceGrant[] = [];
  const operations = new Set<string>();
  for (const s of list) {
    const r = parseResourceScope(s);
    if (r) resources.push(r);
    else if (isOperationScope(s)) operations.add(s);
  }
  return { resources, operations };
}

export function formatResourceScope(type: string, letters: Iterable<Interaction>): string {
  const set = new Set(letters);
  return `system/${type}.${ORDER.filter((l) => set.has(l)).join('')}`;
}

/** Types a `*` scope does not reach: the audit trail is read only with a scope that names it (system/AuditEvent.rs). */
const NAMED_ONLY = new Set(['AuditEvent']);

/** True when the set grants `letter` on `type`. */
export function allowsInteraction(set: ScopeSet, type: string, letter: Interaction): boolean {
  return set.resources.some(
    (g) => ((g.type === '*' && !NAMED_ONLY.has(type)) || g.type === type) && g.letters.has(letter),
  );
}

/**
 * True when the set grants a needed scope: a resource scope needs every one of its letters, an operation scope its
 * exact name.
 * @example allowsScope(parseScopes('system/*.cruds'), 'system/Provenance.rs') // true
 * @example allowsScope(parseScopes('system/*.cruds'), 'system/Immunization.$issue-hcert') // false
 */
export function allowsScope(set: ScopeSet, needed: string): boolean {
  const r = parseResourceScope(needed);
  if (r) return [...r.letters].every((l) => allowsInteraction(set, r.type, l));
  return set.operations.has(needed);
}

/**
 * What a client gets: each requested scope narrowed to what it is allowed (requested ∩ allowed), as v2 names.
 * @example grantScopes('system/*.cruds system/$install-package', ['system/Immunization.rs']) // ['system/Immunization.rs']
 */
export function grantScopes(requested: string, allowed: readonly string[]): string[] {
  const allow = parseScopes(allowed);
  const granted = new Set<string>();
  for (const s of requested.split(/\s+/).filter(Boolean)) {
    const r = parseResourceScope(s);
    if (!r) {
      if (isOperationScope(s) && allow.operations.has(s)) granted.add(s);
      continue;
    }
    const byType = new Map<string, Set<Interaction>>();
    for (const a of allow.resources) {
      if (a.type !== '*' && r.type !== '*' && a.type !== r.type) continue;
      // The narrower of the two types: `*` requested against an Immunization grant gives Immunization.
      const type = r.type === '*' ? a.type : r.type;
      const letters = [...r.letters].filter((l) => a.letters.has(l));
      if (letters.length === 0) continue;
      const into = byType.get(type) ?? new Set<Interaction>();
      letters.forEach((l) => into.add(l));
      byType.set(type, into);
    }
    for (const [type, letters] of byType) granted.add(formatResourceScope(type, letters));
  }
  return [...granted];
}
