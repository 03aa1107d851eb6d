/**
 * One AuditEvent per access, shaped as IHE BALP's basic audit patterns (RESTful interaction, authentication): who
 * (the client, or the address of an anonymous caller), what (the resources and the interaction or operation), the
 * outcome, when, and the request id. https://profiles.ihe.net/ITI/BALP/ https://hl7.org/fhir/R4/auditevent.html
 */
import type { AuditEvent, AuditEventEntity } from '@medplum/fhirtypes';

/** Clients are named as `Device/<client id>`, so `AuditEvent?agent=Device/his-1` finds what a client did. */
export const CLIENT_REFERENCE_TYPE = 'Device';
export const CLIENT_ID_SYSTEM = 'https://gdhcn-gateway.org/fhir/NamingSystem/client-id';
export const AUDIT_SUBTYPE_SYSTEM = 'https://gdhcn-gateway.org/fhir/CodeSystem/audit-subtype';
const REST_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';

export type AuditAction = 'C' | 'R' | 'U' | 'D' | 'E';

export interface AuditFacts {
  /** A FHIR restful-interaction code (`create`, `read`, `search-type`…) or an operation / event name (`$issue-hcert`, `token`). */
  subtype: string;
  action: AuditAction;
  /** HTTP status of the answer. */
  status: number;
  clientId?: string;
  address: string;
  requestId?: string;
  /** `Type/id` references of what was touched. */
  entities?: readonly string[];
  /** A short reason for a failure (message id or OAuth error). */
  detail?: string;
  recorded: Date;
  /** The recipient a SHL/VHL manifest request declared (IHE ITI.VHL asks it to be logged). */
  recipient?: string;
  /** `rest` (default) or `login` for token grants. */
  kind?: 'rest' | 'login';
}

const INTERACTIONS = new Set([
  'read',
  'vread',
  'update',
  'patch',
  'delete',
  'history-instance',
  'history-type',
  'history-system',
  'create',
  'search-type',
  'search-system',
  'batch',
  'transaction',
  'capabilities',
]);

/** What the audit trail is given: an AuditEvent, or the facts of one (the server's own events; see packAuditFacts). */
export type AuditEntry = AuditEvent | AuditFacts;

export const isAuditFacts = (e: AuditEntry): e is AuditFacts => !('resourceType' in e);

/** `0` success, `4` minor failure (refused, invalid), `8` serious failure (server error). */
export function outcomeOf(status: number): '0' | '4' | '8' {
  return status < 400 ? '0' : status < 500 ? '4' : '8';
}

/** The coding of an event's subtype: a restful-interaction code, or one of ours. */
export function subtypeCodingOf(subtype: string): { system: string; code: string } {
  return INTERACTIONS.has(subtype)
    ? { system: REST_INTERACTION, code: subtype }
    : { system: AUDIT_SUBTYPE_SYSTEM, code: subtype };
}

/**
 * The stored form of the facts: a short JSON object (about 150 bytes, against about 900 for the AuditEvent it
 * renders to), written with the access it records; `unpackAuditFacts` + `buildAuditEvent` give the AuditEvent back
 * when it is read. The `$f` member marks the form (an AuditEvent always has `resourceType` instead).
 */
export function packAuditFacts(f: AuditFacts): string {
  return JSON.stringify({
    $f: 1,
    s: f.subtype,
    a: f.action,
    h: f.status,
    c: f.clientId,
    n: f.address,
    q: f.requestId,
    e: f.entities?.length ? f.entities : undefined,
    d: f.detail,
    t: f.recorded.getTime(),
    k: f.kind,
    r: f.recipient,
  });
}

/** The facts of a packed entry, or undefined when `json` holds something else (an AuditEvent). */
export function unpackAuditFacts(value: unknown): AuditFacts | undefined {
  const p = value as {
    $f?: number;
    s: string;
    a: AuditAction;
    h: number;
    c?: string;
    n: string;
    q?: string;
    e?: string[];
    d?: string;
    t: number;
    k?: 'rest' | 'login';
    r?: string;
  };
  if (p?.$f !== 1) return undefined;
  return {
    subtype: p.s,
    action: p.a,
    status: p.h,
    address: p.n,
    recorded: new Date(p.t),
    ...(p.c !== undefined ? { clientId: p.c } : {}),
    ...(p.q !== undefined ? { requestId: p.q } : {}),
    ...(p.e !== undefined ? { entities: p.e } : {}),
    ...(p.d !== undefined ? { detail: p.d } : {}),
    ...(p.k !== undefined ? { kind: p.k } : {}),
    ...(p.r !== undefined ? { recipient: p.r } : {}),
  };
}

/**
 * @example buildAuditEvent({ subtype: 'create', action: 'C', status: 201, clientId: 'his-1', address: '10.0.0.5', entities: ['Immunization/1'], recorded: now })
 */
export function buildAuditEvent(f: AuditFacts): AuditEvent {
  // Kept lean on purpose: every element a search parameter reaches costs an index row on each audited request.
  const entity: AuditEventEntity[] = (f.entities ?? []).map((reference) => ({ what: { reference } }));
  if (f.recipient) entity.push({ name: 'recipient', description: f.recipient });
  if (f.requestId) {
    entity.push({
      what: { identifier: { value: f.requestId } },
      type: { system: 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType', code: 'XrequestId' },
    });
  }
  const who = f.clientId
    ? {
        reference: `${CLIENT_REFERENCE_TYPE}/${f.clientId}`,
        identifier: { system: CLIENT_ID_SYSTEM, value: f.clientId },
        display: f.clientId,
      }
    : { display: `anonymous ${f.address}` };
  const login = f.kind === 'login';
  return {
    resourceType: 'AuditEvent',
    type: login
      ? { system: DCM, code: '110114', display: 'User Authentication' }
      : {
          system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
          code: 'rest',
          display: 'RESTful Operation',
        },
    subtype: [subtypeCodingOf(f.subtype)],
    action: f.action,
    recorded: f.recorded.toISOString(),
    outcome: outcomeOf(f.status),
    outcomeDesc: f.detail ? `HTTP ${f.status}: ${f.detail}` : `HTTP ${f.status}`,
    agent: [
      {
        type: { coding: [{ system: DCM, code: '110153', display: 'Source Role ID' }] },
        who,
        name: f.clientId ?? f.address,
        requestor: true,
        network: { address: f.address, type: '2' },
      },
    ],
    // The server itself is the source (BALP's destination agent is implied by it).
    source: { observer: { display: 'gdhcn-gateway' } },
    ...(entity.length ? { entity } : {}),
  };
}
