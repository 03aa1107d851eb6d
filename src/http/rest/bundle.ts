/**
 * batch and transaction Bundles. https://hl7.org/fhir/R4/http.html#transaction
 * A transaction runs inside one store transaction: all entries commit or none do. POST entries get their
 * server ids before anything is written, so `urn:uuid:` references between entries can be rewritten, and
 * conditional references (`Patient?identifier=…`) are resolved to the one resource they match.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { assertResource } from '../../fhir/structure.ts';
import { fail, OutcomeError } from '../../fhir/outcome.ts';
import { createPacer } from '../../fhir/work-budget.ts';
import type { FhirRequest, FhirResponse, RestContext } from '../fhir-request.ts';
import { statusOf } from '../status.ts';
import { conditionalQuery } from './write.ts';
import { conditionalSearch } from './conditional.ts';
import { collectConditionalReferences, rewriteReferences } from './references.ts';
import { entryRequest, responseEntry, locateError, methodOf, statusLine } from './bundle-entry.ts';

type Dispatch = (ctx: RestContext, req: FhirRequest) => Promise<FhirResponse>;

/** FHIR's processing order inside a transaction: deletes, creates, updates, then reads. */
const ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

interface Step {
  index: number;
  entry: BundleEntry;
  /** Server id chosen for a create. */
  id?: string;
  /** A conditional create that matched: nothing is written. */
  existing?: Resource;
}

export function createBundleHandler(dispatch: Dispatch) {
  return async (ctx: RestContext, req: FhirRequest): Promise<FhirResponse> => {
    // The Bundle's own structure only: each entry's resource is checked by the interaction or operation it goes
    // to, one at a time (checking a batch of 10,000 in one call took ~5 ms per entry before any entry ran).
    // Even so the shell costs ~25 µs per entry in one stretch (~250 ms at 10,000 entries): a large one is checked
    // in a validation worker, off the event loop (ADR 0066).
    const shell = bundleShell(req.body);
    const away = ctx.structureOffThread?.(shell, 'Bundle', ctx.budget);
    if (away) await away;
    else assertResource(shell, 'Bundle');
    const bundle = req.body as Bundle;
    if (bundle.type !== 'batch' && bundle.type !== 'transaction') {
      fail('invalid', {
        code: 'invalid',
        id: 'BUNDLE_TYPE_UNSUPPORTED',
        text: `POST to the base takes a batch or transaction Bundle, not "${bundle.type}"`,
        expression: 'Bundle.type',
      });
    }
    const entries = bundle.entry ?? [];
    entries.forEach(checkEntry);
    if (bundle.type === 'batch') return { status: 200, resource: await runBatch(ctx, entries, dispatch) };
    const result = await ctx.store.transaction((tx) => runTransaction({ ...ctx, store: tx }, entries, dispatch));
    return { status: 200, resource: result };
  };
}

/** The Bundle with each entry's resource left out (anything that is no Bundle is returned as it is). */
function bundleShell(body: unknown): unknown {
  const b = body as { resourceType?: unknown; entry?: unknown } | null;
  if (b === null || typeof b !== 'object' || b.resourceType !== 'Bundle' || !Array.isArray(b.entry)) return body;
  return {
    ...b,
    entry: b.entry.map((e: unknown) => {
      if (e === null || typeof e !== 'object' || Array.isArray(e)) return e;
      const { resource: _resource, ...rest } = e as Record<string, unknown>;
      return rest;
    }),
  };
}

function checkEntry(e: BundleEntry, i: number): void {
  const method = e.request?.method;
  if (!method || !e.request?.url) {
    fail('invalid', {
      code: 'required',
      id: 'BUNDLE_ENTRY_REQUEST_MISSING',
      text: 'Each entry needs request.method and request.url',
      expression: `Bundle.entry[${i}].request`,
    });
  }
  if ((method === 'POST' || method === 'PUT') && !e.resource) {
    fail('invalid', {
      code: 'required',
      id: 'BUNDLE_ENTRY_RESOURCE_MISSING',
      text: `A ${method} entry needs a resource`,
      expression: `Bundle.entry[${i}].resource`,
    });
  }
}

async function runBatch(ctx: RestContext, entries: BundleEntry[], dispatch: Dispatch): Promise<Bundle> {
  const out: BundleEntry[] = [];
  const pace = createPacer(ctx.budget);
  for (const entry of entries) {
    try {
      // Inside the try: past the budget, each remaining entry gets its own refusal, as a batch promises.
      await pace();
      out.push(responseEntry(ctx, await dispatch(ctx, entryRequest(ctx, entry))));
    } catch (err) {
      if (!(err instanceof OutcomeError)) throw err;
      out.push({ response: { status: statusLine(statusOf(err.kind)), outcome: err.outcome } });
    }
  }
  // identifier and timestamp: what a DDCC Submit Health Event Response needs, and harmless to any other batch.
  return {
    resourceType: 'Bundle',
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${randomUUID()}` },
    type: 'batch-response',
    timestamp: (ctx.now?.() ?? new Date()).toISOString(),
    entry: out,
  };
}

async function runTransaction(ctx: RestContext, entries: BundleEntry[], dispatch: Dispatch): Promise<Bundle> {
  const steps: Step[] = entries.map((entry, index) => ({ index, entry }));
  const ids = new Map<string, string>();
  // The store is held for the whole transaction (nothing interleaves with it), but the event loop is given back
  // between steps: reads, /healthz and other requests' parsing go on meanwhile.
  const pace = createPacer(ctx.budget);
  for (const step of steps) {
    await pace();
    await planCreate(ctx, step, ids);
  }
  for (const [criteria, where] of collectConditionalReferences(entries)) {
    // A conditional reference with the same search as a conditional create/update of this transaction points at it.
    const planned = ids.get(criteriaKey(criteria));
    ids.set(criteria, planned ?? (await resolveConditional(ctx, criteria, where)));
  }
  for (const step of steps) {
    if (step.entry.resource) step.entry = { ...step.entry, resource: rewriteReferences(step.entry.resource, ids) };
  }
  steps.sort((a, b) => ORDER[methodOf(a.entry)] - ORDER[methodOf(b.entry)] || a.index - b.index);
  const responses: BundleEntry[] = new Array(entries.length);
  for (const step of steps) {
    await pace();
    try {
      responses[step.index] = await runStep(ctx, step, dispatch);
    } catch (err) {
      throw locateError(err, step.index);
    }
  }
  return { resourceType: 'Bundle', type: 'transaction-response', entry: responses };
}

async function runStep(ctx: RestContext, step: Step, dispatch: Dispatch): Promise<BundleEntry> {
  if (step.existing) return responseEntry(ctx, { status: 200, resource: step.existing });
  const req = entryRequest(ctx, step.entry);
  if (step.id) {
    // The If-None-Exist check already ran inside this transaction (planCreate), which the store serialises.
    // Through the router like every entry, so the create is authorized, guarded and audited too.
    const plain = { ...req, presetId: step.id, headers: { ...req.headers, ifNoneExist: undefined } };
    return responseEntry(ctx, await dispatch(ctx, plain));
  }
  return responseEntry(ctx, await dispatch(ctx, req));
}

/** Chooses ids for creates (or finds the resource an If-None-Exist matches) and records where each fullUrl points. */
async function planCreate(ctx: RestContext, step: Step, ids: Map<string, string>): Promise<void> {
  const { entry, index } = step;
  const url = entry.request?.url ?? '';
  const type = entry.resource?.resourceType;
  if (methodOf(entry) === 'PUT' && url.includes('?')) return planConditionalUpdate(ctx, step, ids);
  if (methodOf(entry) === 'PUT' && entry.fullUrl) ids.set(entry.fullUrl, url.split('?')[0]);
  if (methodOf(entry) !== 'POST' || !type || url.replace(/^\/+/, '').split('?')[0] !== type) return;
  if (entry.request?.ifNoneExist) {
    const query = conditionalQuery(type, entry.request.ifNoneExist, `Bundle.entry[${index}].request.ifNoneExist`);
    const found = await ctx.store.search({ ...query, count: 2, offset: 0 });
    if (found.resources.length > 1) {
      fail('precondition-failed', {
        code: 'duplicate',
        id: 'CONDITIONAL_CREATE_AMBIGUOUS',
        text: `If-None-Exist "${entry.request.ifNoneExist}" matched more than one resource`,
        expression: `Bundle.entry[${index}].request.ifNoneExist`,
      });
    }
    step.existing = found.resources[0];
  }
  step.id = step.existing ? undefined : randomUUID();
  if (entry.fullUrl) ids.set(entry.fullUrl, `${type}/${step.existing?.id ?? step.id}`);
  if (entry.request?.ifNoneExist)
    ids.set(criteriaKey(`${type}?${entry.request.ifNoneExist}`), `${type}/${step.existing?.id ?? step.id}`);
}

async function resolveConditional(ctx: RestContext, criteria: string, where: string): Promise<string> {
  const [type, search] = [criteria.slice(0, criteria.indexOf('?')), criteria.slice(criteria.indexOf('?') + 1)];
  const found = await ctx.store.search({ ...conditionalQuery(type, search, where), count: 2, offset: 0 });
  if (found.resources.length !== 1) {
    const n = found.resources.length === 0 ? 'no resource' : 'more than one resource';
    fail('precondition-failed', {
      code: 'not-found',
      id: 'CONDITIONAL_REFERENCE_UNRESOLVED',
      text: `The conditional reference "${criteria}" matched ${n}`,
      expression: where,
    });
  }
  return `${type}/${found.resources[0].id}`;
}

/**
 * A conditional update's target is decided before anything is written, so that `urn:uuid:` references to its
 * fullUrl point at the resource it will write: the one match, or a new id the update then creates.
 */
async function planConditionalUpdate(ctx: RestContext, step: Step, ids: Map<string, string>): Promise<void> {
  const { entry, index } = step;
  const url = (entry.request?.url ?? '').replace(/^\/+/, '');
  const type = url.slice(0, url.indexOf('?'));
  const where = `Bundle.entry[${index}].request.url`;
  const query = await conditionalSearch(
    ctx,
    type,
    [...new URLSearchParams(url.slice(url.indexOf('?') + 1)).entries()],
    where,
  );
  const found = await ctx.store.search({ ...query, count: 2, offset: 0 });
  if (found.resources.length > 1) {
    fail('precondition-failed', {
      code: 'multiple-matches',
      id: 'STORE_CONDITIONAL_UPDATE_MULTIPLE',
      text: `The conditional update "${url}" matched more than one resource`,
      expression: where,
    });
  }
  const id = found.resources[0]?.id ?? (entry.resource?.id || randomUUID());
  if (entry.resource) step.entry = { ...entry, resource: { ...entry.resource, id } };
  if (entry.fullUrl) ids.set(entry.fullUrl, `${type}/${id}`);
  ids.set(criteriaKey(url), `${type}/${id}`);
}

/** `Type?a=b` in one spelling (percent-encoding and parameter order aside), to compare conditional searches. */
function criteriaKey(criteria: string): string {
  const q = criteria.indexOf('?');
  const params = [...new URLSearchParams(criteria.slice(q + 1).replace(/^\?/, '')).entries()].sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return `${criteria.slice(0, q).replace(/^\/+/, '')}?${new URLSearchParams(params).toString()}`;
}
