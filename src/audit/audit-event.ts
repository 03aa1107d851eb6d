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

/** `0` success, `4` minor failure (refused, invalid), `8` serious failure (server error). */
function outcomeOf(status: number): '0' | '4' | '8' {
  return status < 400 ? '0' : status < 500 ? '4' : '8';
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
    subtype: [
      INTERACTIONS.has(f.subtype)
        ? { system: REST_INTERACTION, code: f.subtype }
        : { system: AUDIT_SUBTYPE_SYSTEM, code: f.subtype },
    ],
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
