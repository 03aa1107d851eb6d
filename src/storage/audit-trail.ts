/**
 * The audit trail's storage shape, shared by the adapters. AuditEvents are append-only and searched by six
 * parameters only, so the adapters keep them out of the generic resource tables (no history, no index rows per
 * search parameter): one lean row per event holding its JSON and the searched columns, and one row per entity
 * reference. This module derives those columns and turns a `SearchQuery` on AuditEvent into plain conditions.
 * Search parameters: https://hl7.org/fhir/R4/auditevent.html#search
 */
import type { AuditEvent, Resource } from '@medplum/fhirtypes';
import {
  type AuditEntry,
  buildAuditEvent,
  CLIENT_REFERENCE_TYPE,
  isAuditFacts,
  outcomeOf,
  packAuditFacts,
  subtypeCodingOf,
  unpackAuditFacts,
} from '../audit/audit-event.ts';
import { fail } from '../fhir/outcome.ts';
import type { SearchQuery } from '../fhir/search/query.ts';

export const AUDIT_TYPE = 'AuditEvent';

/** A `Type/id` reference split for matching (`agent=Device/x`, `entity=x`). */
export interface RefKey {
  type: string;
  id: string;
}

/** One event as the adapters store it. */
export interface AuditRow {
  id: string;
  /** `recorded`, epoch milliseconds. */
  recorded: number;
  action: string;
  outcome: string;
  subtypeSystem: string;
  subtypeCode: string;
  agent: RefKey;
  entities: RefKey[];
  /** The event with id and meta, as JSON; or, for an adapter that numbers events itself, the packed facts. */
  json: string;
  /** The event as stored (rendered when asked: most writers never look at it). */
  stored: () => AuditEvent;
}

function refKey(reference: string | undefined): RefKey | undefined {
  if (!reference) return undefined;
  const m = /^([A-Za-z]+)\/([^/]+)$/.exec(reference);
  return m ? { type: m[1] as string, id: m[2] as string } : undefined;
}

/**
 * Derives the searched columns of an event. With an `id`, the stored JSON is the AuditEvent with id and meta;
 * without one (an adapter that numbers events itself, and stamps id and meta when it reads), the server's own
 * events are kept as their packed facts (rendered to an AuditEvent on read: `renderStoredAudit`), so the write
 * path neither builds nor serialises the whole event.
 */
export function auditRow(entry: AuditEntry, id: string | undefined, now: Date): AuditRow {
  if (id === undefined && isAuditFacts(entry)) {
    const subtype = subtypeCodingOf(entry.subtype);
    return {
      id: '',
      recorded: entry.recorded.getTime(),
      action: entry.action,
      outcome: outcomeOf(entry.status),
      subtypeSystem: subtype.system,
      subtypeCode: subtype.code,
      agent: entry.clientId ? { type: CLIENT_REFERENCE_TYPE, id: entry.clientId } : { type: '', id: '' },
      entities: (entry.entities ?? []).map(refKey).filter((k): k is RefKey => k !== undefined),
      json: packAuditFacts(entry),
      stored: () => buildAuditEvent(entry),
    };
  }
  const event = isAuditFacts(entry) ? buildAuditEvent(entry) : entry;
  // The events the server builds carry neither; copying (and `delete`, which slows serialisation) only when needed.
  const bare: AuditEvent = event.id === undefined && event.meta === undefined ? event : withoutIdAndMeta(event);
  const stored: AuditEvent = id === undefined ? bare : stamp(bare, id, now.getTime());
  const subtype = event.subtype?.[0];
  const entities = (event.entity ?? [])
    .map((e) => refKey(e.what?.reference))
    .filter((k): k is RefKey => k !== undefined);
  const recorded = Date.parse(event.recorded);
  return {
    id: id ?? '',
    recorded: Number.isFinite(recorded) ? recorded : now.getTime(),
    action: event.action ?? '',
    outcome: event.outcome ?? '',
    subtypeSystem: subtype?.system ?? '',
    subtypeCode: subtype?.code ?? '',
    agent: refKey(event.agent?.[0]?.who?.reference) ?? { type: '', id: '' },
    entities,
    json: JSON.stringify(stored),
    stored: () => stored,
  };
}

/** The AuditEvent a stored JSON holds: as stored, or rendered from packed facts. */
export function renderStoredAudit(parsed: unknown): AuditEvent {
  const facts = unpackAuditFacts(parsed);
  return facts ? buildAuditEvent(facts) : (parsed as AuditEvent);
}

function withoutIdAndMeta(event: AuditEvent): AuditEvent {
  const copy: AuditEvent = { ...event };
  delete copy.id;
  delete copy.meta;
  return copy;
}

/** The event as handed out: with its id, and meta (version 1, stored at `storedAt`). */
export function stamp(event: AuditEvent, id: string, storedAt: number): AuditEvent {
  return { ...event, id, meta: { versionId: '1', lastUpdated: new Date(storedAt).toISOString() } };
}

/** True for the resource type the adapters keep in the audit trail. */
export function isAuditEvent(resource: Pick<Resource, 'resourceType'> | string): boolean {
  return (typeof resource === 'string' ? resource : resource.resourceType) === AUDIT_TYPE;
}

/** A write the API never makes: AuditEvents are appended by the server only, never changed or removed. */
export function refuseAuditChange(): never {
  return fail('forbidden', {
    code: 'forbidden',
    id: 'AUDIT_APPEND_ONLY',
    text: 'AuditEvents are append-only: they cannot be updated or deleted',
  });
}

/** One AND-ed condition of an audit search; its values are OR-ed. */
export type AuditCondition =
  | { column: 'id' | 'action' | 'outcome'; values: string[] }
  | { column: 'subtype'; values: Array<{ system?: string; code: string }> }
  | { column: 'agent' | 'entity'; values: Array<{ type?: string; id: string }> }
  /** Half-open [low, high) ranges of `recorded`, OR-ed. */
  | { column: 'recorded'; values: Array<{ low?: number; high?: number }> };

export interface AuditSearch {
  conditions: AuditCondition[];
  /** Newest first when true (`_sort=-date`); otherwise in the order written. */
  descending: boolean;
  /** Sorted by `recorded` (`_sort=date`), else by write order. */
  byDate: boolean;
}

function unsupported(what: string): never {
  return fail('invalid', {
    code: 'not-supported',
    id: 'AUDIT_SEARCH_UNSUPPORTED',
    text: `AuditEvent search supports date, agent, entity, action, outcome, subtype and _id only (not ${what})`,
  });
}

/** The [low, high) range of `recorded` a date prefix selects (the searched instant has millisecond precision). */
function dateRange(prefix: string, low: number, high: number): Array<{ low?: number; high?: number }> {
  switch (prefix) {
    case 'eq':
    case 'ap':
      return [{ low, high }];
    case 'ne':
      return [{ high: low }, { low: high }];
    case 'gt':
    case 'sa':
      return [{ low: high }];
    case 'ge':
      return [{ low }];
    case 'lt':
    case 'eb':
      return [{ high: low }];
    case 'le':
      return [{ high }];
    default:
      return unsupported(`the date prefix ${prefix}`);
  }
}

/**
 * Translates a search on AuditEvent into conditions on the trail's columns; anything else is a 400 rather than a
 * filter silently dropped.
 */
export function auditSearchOf(query: SearchQuery): AuditSearch {
  if (query.include.length || query.revinclude.length) unsupported('_include / _revinclude');
  if (query.has?.length) unsupported('_has');
  const conditions: AuditCondition[] = [];
  for (const f of query.filters) {
    if (f.chain) unsupported(`the chain ${f.code}.`);
    // A reference's type modifier (`agent:Device=x`) is already applied to its values by the parser.
    if (f.modifier && !(f.type === 'reference' && f.modifier !== 'missing')) unsupported(`the modifier :${f.modifier}`);
    if (f.missing !== undefined) unsupported(':missing');
    switch (f.code) {
      case '_id':
      case 'action':
      case 'outcome': {
        const values = f.values.map((v) =>
          v.kind === 'token' && v.code !== undefined
            ? v.code
            : v.kind === 'string'
              ? v.value
              : unsupported(`a ${v.kind} value for ${f.code}`),
        );
        conditions.push({ column: f.code === '_id' ? 'id' : f.code, values });
        break;
      }
      case 'subtype':
        conditions.push({
          column: 'subtype',
          values: f.values.map((v) =>
            v.kind === 'token' && v.code !== undefined
              ? { ...(v.system ? { system: v.system } : {}), code: v.code }
              : unsupported(`a subtype without a code`),
          ),
        });
        break;
      case 'agent':
      case 'entity':
        conditions.push({
          column: f.code,
          values: f.values.map((v) =>
            v.kind === 'reference' && v.id !== undefined
              ? { ...(v.resourceType ? { type: v.resourceType } : {}), id: v.id }
              : unsupported(`a ${f.code} that is not a Type/id reference`),
          ),
        });
        break;
      case 'date':
        conditions.push({
          column: 'recorded',
          values: f.values.flatMap((v) =>
            v.kind === 'date' ? dateRange(v.prefix, v.low, v.high) : unsupported(`a ${v.kind} date`),
          ),
        });
        break;
      default:
        unsupported(f.code);
    }
  }
  const sort = query.sort[0];
  if (query.sort.length > 1 || (sort && sort.code !== 'date' && sort.code !== '_lastUpdated'))
    unsupported(`_sort=${query.sort.map((s) => s.code).join(',')}`);
  return { conditions, descending: sort?.descending ?? false, byDate: sort !== undefined };
}
