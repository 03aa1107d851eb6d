/**
 * The audit trail of the FHIR router: which AuditEvent a request leaves, and when it is written. The store write of
 * a plain create, update, patch or delete (each transaction or batch entry too) commits in the same store write
 * as its AuditEvent; reads, searches, operations and refusals are queued (AuditLog.enqueue).
 */
import type { AuditAction, AuditFacts } from '../audit/audit-event.ts';
import { OutcomeError, messageIdOf } from '../fhir/outcome.ts';
import { type ResourceStore, withWrites } from '../storage/store.ts';
import type { FhirRequest, FhirResponse, RestContext } from './fhir-request.ts';
import { statusOf } from './status.ts';
import { isVhlManifestRequest, manifestAuditEntity } from './vhl-manifest-search.ts';

interface Shape {
  subtype: string;
  action: AuditAction;
  /** Its store writes carry their AuditEvent (committed with them). */
  transactional: boolean;
  /** Left out of the trail when it succeeds (public reads: the CapabilityStatement, $verify, $packages). */
  quietOnSuccess: boolean;
  entity?: string;
  /** The SHL/VHL `recipient` a manifest request declared. */
  recipient?: string;
}

/** Operations that sign, issue, revoke or install: action E, audited after they succeed. */
const PUBLIC_OPERATIONS = new Set(['verify', 'packages']);

function shapeOf(req: FhirRequest): Shape {
  const s = req.segments;
  const last = s[s.length - 1] ?? '';
  const entityOf = (n: number) => (s.length >= n ? `${s[0]}/${s[1]}` : undefined);
  if (last.startsWith('$')) {
    const code = last.slice(1);
    const entity = s.length === 3 ? `${s[0]}/${s[1]}` : undefined;
    return {
      subtype: last,
      // DELETE on an operation cancels what it started ($issue-hcert-bulk): a deletion, not an execution.
      action: req.method === 'GET' || code === 'validate' ? 'R' : req.method === 'DELETE' ? 'D' : 'E',
      transactional: false,
      quietOnSuccess: PUBLIC_OPERATIONS.has(code),
      ...(entity ? { entity } : {}),
    };
  }
  if (s.length === 0) return { subtype: 'batch', action: 'E', transactional: false, quietOnSuccess: true };
  if (s[0] === 'metadata') return { subtype: 'capabilities', action: 'R', transactional: false, quietOnSuccess: true };
  if (s[0] === '_history')
    return { subtype: 'history-system', action: 'R', transactional: false, quietOnSuccess: false };
  if (req.method === 'GET') {
    if (s.length === 1 || s[1] === '_search')
      return { subtype: 'search-type', action: 'R', transactional: false, quietOnSuccess: false };
    if (s[1] === '_history')
      return { subtype: 'history-type', action: 'R', transactional: false, quietOnSuccess: false };
    const entity = entityOf(2);
    return {
      subtype: s.length === 4 ? 'vread' : s.length === 3 ? 'history-instance' : 'read',
      action: 'R',
      transactional: false,
      quietOnSuccess: false,
      ...(entity ? { entity } : {}),
    };
  }
  if (s.length === 2 && s[1] === '_search') {
    // ITI-YY5: every manifest request, granted or refused, is logged under its own subtype, naming the folder
    // (by record id, never the folder id) and the recipient the receiver declared; the passcode never is.
    if (s[0] === 'List' && isVhlManifestRequest(req)) {
      const entity = manifestAuditEntity(req);
      const recipient = req.query.find(([k]) => k === 'recipient')?.[1];
      return {
        subtype: 'ITI-YY5',
        action: 'R',
        transactional: false,
        quietOnSuccess: false,
        ...(entity ? { entity } : {}),
        ...(recipient ? { recipient: recipient.slice(0, 256) } : {}),
      };
    }
    return { subtype: 'search-type', action: 'R', transactional: false, quietOnSuccess: false };
  }
  const write = {
    POST: ['create', 'C'],
    PUT: ['update', 'U'],
    PATCH: ['patch', 'U'],
    DELETE: ['delete', 'D'],
  } as const;
  const [subtype, action] = write[req.method as keyof typeof write] ?? ['update', 'U'];
  const entity = entityOf(2);
  return { subtype, action, transactional: true, quietOnSuccess: false, ...(entity ? { entity } : {}) };
}

function caller(ctx: RestContext): { clientId?: string; address: string } {
  const a = ctx.auth;
  if (a?.kind === 'client') return { clientId: a.clientId, address: a.address };
  return { address: a?.address ?? 'internal' };
}

/** Resources a response names (the created/updated resource, or Location). */
function touched(res: FhirResponse, fallback: string | undefined): string[] {
  if (res.auditEntities) return res.auditEntities;
  const r = res.resource;
  if (r?.id && r.resourceType !== 'Bundle' && r.resourceType !== 'OperationOutcome' && r.resourceType !== 'Parameters')
    return [`${r.resourceType}/${r.id}`];
  // An operation that stored what it answers with (a DDCC document) names it in Location.
  const located = res.headers?.Location?.match(/\/([A-Z][A-Za-z]+\/[A-Za-z0-9.-]{1,64})$/)?.[1];
  if (located) return [located];
  return fallback ? [fallback] : [];
}

/** Builds the AuditEvent of a write, given what was written and the HTTP status it answers with. */
type WriteAudit = (entity: string, status: number) => AuditFacts;

/**
 * The store a write handler gets: each create, update and delete carries its AuditEvent into the store's own
 * write (the `audit` write option), so the resource and its audit entry commit in one job: no transaction held
 * open across event-loop turns, and concurrent writes still share commits. Nested in a transaction Bundle, the
 * writes (and their events) join the Bundle's transaction.
 */
function auditingStore(store: ResourceStore, record: WriteAudit): ResourceStore {
  return withWrites(store, {
    transaction: (work) => store.transaction((tx) => work(auditingStore(tx, record))),
    create: (resource, options) => store.create(resource, { ...options, audit: (w) => record(w.reference, 201) }),
    update: (resource, options) =>
      store.update(resource, { ...options, audit: (w) => record(w.reference, w.created ? 201 : 200) }),
    conditionalUpdate: (resource, query, options) =>
      store.conditionalUpdate(resource, query, {
        ...options,
        audit: (w) => record(w.reference, w.created ? 201 : 200),
      }),
    delete: (type, id, options) => store.delete(type, id, { ...options, audit: (w) => record(w.reference, 200) }),
  });
}

/** Runs `route` and leaves its AuditEvent. */
export async function audited(
  ctx: RestContext,
  req: FhirRequest,
  route: (ctx: RestContext, req: FhirRequest) => Promise<FhirResponse>,
): Promise<FhirResponse> {
  const audit = ctx.audit;
  if (!audit) return route(ctx, req);
  const shape = shapeOf(req);
  const who = caller(ctx);
  // The facts only: the store keeps them packed and renders the AuditEvent when it is read.
  const event = (status: number, entities: string[], detail?: string): AuditFacts => ({
    subtype: shape.subtype,
    action: shape.action,
    status,
    ...who,
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    entities,
    ...(detail ? { detail } : {}),
    ...(shape.recipient ? { recipient: shape.recipient } : {}),
    recorded: audit.now(),
  });
  try {
    if (shape.transactional) {
      let wrote = false;
      const store = auditingStore(ctx.store, (entity, status) => {
        wrote = true;
        return event(status, [entity]);
      });
      const res = await route({ ...ctx, store }, req);
      // A conditional create that matched, or an answer without a write: recorded like a read.
      if (!wrote) audit.log.enqueue(event(res.status, touched(res, shape.entity)));
      return res;
    }
    const res = await route(ctx, req);
    if (!shape.quietOnSuccess) audit.log.enqueue(event(res.status, touched(res, shape.entity)));
    return res;
  } catch (err) {
    if (err instanceof OutcomeError)
      audit.log.enqueue(event(statusOf(err.kind), shape.entity ? [shape.entity] : [], messageIdOf(err.outcome)));
    throw err;
  }
}
