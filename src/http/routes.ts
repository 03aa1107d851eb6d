/**
 * The route table: every FHIR interaction the server answers, matched on path segments after the base.
 * The same table serves HTTP requests and batch/transaction entries, and feeds the CapabilityStatement.
 */
import { knownResourceType } from '../fhir/base-definitions.ts';
import { fail } from '../fhir/outcome.ts';
import { authorize, PUBLIC, writeLetter, type Need } from './authorize.ts';
import type { FhirMethod, FhirRequest, FhirResponse, RestContext } from './fhir-request.ts';
import {
  guardConditional,
  guardSecurityRecord,
  hideSecurityRecord,
  redactSecrets,
  withoutBulkRecords,
} from './security-records.ts';
import { audited } from './audit-route.ts';
import { history } from './rest/history.ts';
import { readResource, vreadResource } from './rest/read.ts';
import { searchType } from './rest/search.ts';
import { createResource, deleteResource, updateResource } from './rest/write.ts';
import { conditionalDeleteResource, conditionalUpdateResource } from './rest/conditional.ts';
import { conditionalPatchResource, patchResource } from './rest/patch.ts';

/** An `$operation` ($validate, $verify, issuance…), described by its OperationDefinition in profiles/. */
export interface OperationRoute {
  /** Without the `$`. */
  code: string;
  /** Canonical of its OperationDefinition, listed in the CapabilityStatement. */
  definition: string;
  levels: Array<'system' | 'type' | 'instance'>;
  /** Resource types for type/instance level; all when absent. */
  resourceTypes?: string[];
  methods: FhirMethod[];
  /**
   * The scope a caller needs (auth/operation-scopes.ts, or a resource scope such as `system/Provenance.rs`), or
   * `null` for an operation public on purpose ($verify). Left out, it is `system/$<code>`: an operation nobody
   * thought about is never open.
   */
  scope?: string | null;
  handle(ctx: RestContext, req: FhirRequest, target: { type?: string; id?: string }): Promise<FhirResponse>;
}

export type BundleHandler = (ctx: RestContext, req: FhirRequest) => Promise<FhirResponse>;

/** ITI-YY5: a List `_search` that is a VHL manifest request (http/vhl-manifest-search.ts). */
export interface ListSearchHook {
  matches(req: FhirRequest): boolean;
  handle(ctx: RestContext, req: FhirRequest): Promise<FhirResponse>;
}

export interface Router {
  handle(ctx: RestContext, req: FhirRequest): Promise<FhirResponse>;
  operations: readonly OperationRoute[];
}

export function createRouter(options: {
  operations: OperationRoute[];
  bundle: BundleHandler;
  metadata: () => FhirResponse;
  vhlManifest?: ListSearchHook;
}): Router {
  const { operations, bundle, metadata, vhlManifest } = options;
  const route = async (ctx: RestContext, req: FhirRequest): Promise<FhirResponse> => {
    const s = req.segments;
    const last = s[s.length - 1] ?? '';
    const need = (n: Need) => authorize(ctx.auth, n);
    const on = (type: string, letter: 'c' | 'r' | 'u' | 'd' | 's') => need({ kind: 'interaction', type, letter });
    if (last.startsWith('$')) return runOperation(ctx, req, operations);
    // The Bundle itself needs a caller; each entry is then checked as the request it is.
    if (s.length === 0) return only(req, ['POST'], () => (bundleNeedsCaller(ctx), bundle(ctx, req)));
    if (s.length === 1 && s[0] === 'metadata') return only(req, ['GET'], async () => (need(PUBLIC), metadata()));
    // System history spans every type, the audit trail included: it needs both a `*` read and the AuditEvent one.
    if (s.length === 1 && s[0] === '_history')
      return only(req, ['GET'], () => (on('*', 'r'), on('AuditEvent', 'r'), history(ctx, req)));
    const type = s[0];
    assertType(type);
    if (s.length === 1) {
      if (req.method === 'GET') return (on(type, 's'), searchType(ctx, req, type));
      if (req.method === 'PUT')
        return (on(type, 'u'), on(type, 'c'), guardConditional(req, type), conditionalUpdateResource(ctx, req, type));
      if (req.method === 'DELETE')
        return (on(type, 'd'), guardConditional(req, type), conditionalDeleteResource(ctx, req, type));
      if (req.method === 'PATCH')
        return (on(type, 'u'), guardConditional(req, type), conditionalPatchResource(ctx, req, type));
      return only(
        req,
        ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
        () => (
          on(type, 'c'),
          guardSecurityRecord(req, type),
          createResource(ctx, req, type, req.presetId ? { id: req.presetId } : undefined)
        ),
      );
    }
    if (s.length === 2 && s[1] === '_search')
      return only(req, ['POST'], () =>
        type === 'List' && vhlManifest?.matches(req)
          ? (on(type, 's'), vhlManifest.handle(ctx, req))
          : (on(type, 's'), searchType(ctx, req, type)),
      );
    if (s.length === 2 && s[1] === '_history')
      return only(req, ['GET'], () => (on(type, 'r'), history(ctx, req, type)));
    const id = s[1];
    if (s.length === 2) {
      if (req.method === 'GET') return (on(type, 'r'), hideSecurityRecord(type, id), readResource(ctx, req, type, id));
      if (req.method === 'PUT')
        return (on(type, writeLetter('PUT')), guardSecurityRecord(req, type, id), updateResource(ctx, req, type, id));
      if (req.method === 'PATCH')
        return (on(type, 'u'), guardSecurityRecord(req, type, id), patchResource(ctx, req, type, id));
      return only(
        req,
        ['GET', 'PUT', 'PATCH', 'DELETE'],
        () => (on(type, 'd'), guardSecurityRecord(req, type, id), deleteResource(ctx, req, type, id)),
      );
    }
    if (s.length === 3 && s[2] === '_history')
      return only(req, ['GET'], () => (on(type, 'r'), hideSecurityRecord(type, id), history(ctx, req, type, id)));
    if (s.length === 4 && s[2] === '_history')
      return only(
        req,
        ['GET'],
        () => (on(type, 'r'), hideSecurityRecord(type, id), vreadResource(ctx, type, id, s[3])),
      );
    return fail('not-found', { code: 'not-found', id: 'PATH_UNKNOWN', text: `No FHIR interaction at /${s.join('/')}` });
  };
  const handle = async (ctx: RestContext, req: FhirRequest): Promise<FhirResponse> =>
    withoutBulkRecords(redactSecrets(await audited(ctx, req, route)));
  return { handle, operations };
}

/** A batch or transaction is no anonymous request, whatever its entries are. */
function bundleNeedsCaller(ctx: RestContext): void {
  if (ctx.auth?.kind === 'anonymous') {
    fail('unauthorized', {
      code: 'login',
      id: 'AUTH_TOKEN_MISSING',
      text: 'A batch or transaction needs a bearer token; each entry needs the scope of its interaction',
    });
  }
}

function assertType(type: string): void {
  if (!knownResourceType(type)) {
    fail('not-found', {
      code: 'not-supported',
      id: 'RESOURCE_TYPE_UNKNOWN',
      text: `"${type}" is not an R4 resource type this server knows`,
    });
  }
}

async function only(req: FhirRequest, methods: FhirMethod[], run: () => Promise<FhirResponse>): Promise<FhirResponse> {
  if (!methods.includes(req.method)) {
    fail('not-allowed', {
      code: 'not-supported',
      id: 'METHOD_NOT_ALLOWED',
      text: `${req.method} is not allowed here; allowed: ${methods.join(', ')}`,
    });
  }
  return run();
}

async function runOperation(
  ctx: RestContext,
  req: FhirRequest,
  operations: readonly OperationRoute[],
): Promise<FhirResponse> {
  const s = req.segments;
  const code = s[s.length - 1].slice(1);
  const level = s.length === 1 ? 'system' : s.length === 2 ? 'type' : s.length === 3 ? 'instance' : undefined;
  const type = s.length >= 2 ? s[0] : undefined;
  if (type) assertType(type);
  const op = operations.find(
    (o) =>
      o.code === code &&
      level &&
      o.levels.includes(level) &&
      (!type || !o.resourceTypes || o.resourceTypes.includes(type)),
  );
  if (!op || !level) {
    return fail('not-found', {
      code: 'not-supported',
      id: 'OPERATION_UNKNOWN',
      text: `Operation $${code} is not supported at /${s.join('/')}`,
    });
  }
  const scope = op.scope === undefined ? `system/$${op.code}` : op.scope;
  return only(req, op.methods, () => {
    authorize(ctx.auth, scope === null ? PUBLIC : { kind: 'scope', scope });
    return op.handle(ctx, req, { type, id: level === 'instance' ? s[1] : undefined });
  });
}
