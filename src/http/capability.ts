/**
 * The CapabilityStatement, generated from what the server really does: the R4 types and search parameters
 * from the definitions, the interactions of the route table and the registered operations.
 * https://hl7.org/fhir/R4/capabilitystatement.html
 */
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { allResourceTypes } from '../fhir/base-definitions.ts';
import { listSearchParams } from '../fhir/search/parameters.ts';
import type { OperationRoute } from './routes.ts';

export interface CapabilityInput {
  baseUrl: string;
  softwareVersion: string;
  operations: readonly OperationRoute[];
  /** Loaded implementation guides (canonical URLs); filled by the validation issue. */
  implementationGuides?: string[];
  /** Conditional delete removes every match (up to a limit) rather than only a single one. */
  conditionalDeleteMultiple?: boolean;
  now: Date;
  /** Token endpoint when access control is on: listed in `rest.security` (SMART-on-FHIR). */
  tokenUrl?: string;
}

/** Where an operation says which scope it needs, for clients reading the CapabilityStatement. */
function scopeNote(o: OperationRoute): string {
  const scope = o.scope === undefined ? `system/$${o.code}` : o.scope;
  return scope === null ? 'Public: no token needed.' : `Needs scope ${scope}.`;
}

function security(tokenUrl: string) {
  return {
    cors: true,
    service: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] },
    ],
    description:
      'SMART Backend Services: POST a client_credentials grant with a private_key_jwt client assertion to the token URL (discovery: [base]/.well-known/smart-configuration). ' +
      'Resource access needs SMART v2 scopes (system/<Type>.cruds; v1 .read/.write accepted); each operation that signs or changes trust needs its own scope (see operation documentation).',
    extension: [
      {
        url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
        extension: [{ url: 'token', valueUri: tokenUrl }],
      },
    ],
  };
}

const TYPE_INTERACTIONS = [
  'read',
  'vread',
  'update',
  'patch',
  'delete',
  'history-instance',
  'history-type',
  'create',
  'search-type',
] as const;

/** R4 has no conditionalPatch flag (R5 does): the patch interaction says it in its documentation. */
const PATCH_DOC =
  'JSON Patch (application/json-patch+json) and FHIRPath Patch (Parameters); conditional patch PATCH [type]?[search] supported';

/** Modifiers per parameter type, as the search parser accepts them (fhir/search/parse.ts). */
const MODIFIER_DOC: Record<string, string> = {
  token: 'modifiers: missing, not, text',
  string: 'modifiers: missing, exact, contains',
  uri: 'modifiers: missing, below, above',
  reference:
    'modifiers: missing, identifier, [type]; chains up to 3 levels (patient.organization.name); reverse chaining with _has (one level)',
};

export function buildCapabilityStatement(input: CapabilityInput): CapabilityStatement {
  const resources = [...allResourceTypes()]
    .sort()
    .map((type) => resourceEntry(type, input.operations, input.conditionalDeleteMultiple ?? false));
  const systemOps = input.operations.filter((o) => o.levels.includes('system'));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: input.now.toISOString(),
    kind: 'instance',
    software: { name: 'gdhcn-gateway', version: input.softwareVersion },
    implementation: { description: 'gdhcn-gateway FHIR R4 server', url: input.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    implementationGuide: input.implementationGuides,
    rest: [
      {
        mode: 'server',
        ...(input.tokenUrl ? { security: security(input.tokenUrl) } : {}),
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }],
        operation: systemOps.map((o) => ({ name: o.code, definition: o.definition, documentation: scopeNote(o) })),
        resource: resources,
      },
    ],
  };
}

function resourceEntry(
  type: string,
  operations: readonly OperationRoute[],
  deleteMultiple: boolean,
): CapabilityStatementRestResource {
  const params = listSearchParams(type).filter((p) => p.supported);
  const referenceParams = params.filter((p) => p.type === 'reference');
  const ops = operations.filter(
    (o) =>
      (o.levels.includes('type') || o.levels.includes('instance')) &&
      (!o.resourceTypes || o.resourceTypes.includes(type)),
  );
  return {
    type: type as CapabilityStatementRestResource['type'],
    interaction: TYPE_INTERACTIONS.map((code) => (code === 'patch' ? { code, documentation: PATCH_DOC } : { code })),
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalRead: 'full-support',
    conditionalUpdate: true,
    conditionalDelete: deleteMultiple ? 'multiple' : 'single',
    referencePolicy: ['literal', 'local'],
    searchInclude: referenceParams.map((p) => `${type}:${p.code}`),
    searchRevInclude: [],
    searchParam: params.map((p) => {
      const doc = MODIFIER_DOC[p.type] ?? 'modifiers: missing';
      return { name: p.code, definition: p.url, type: p.type as 'token', documentation: doc };
    }),
    operation: ops.length
      ? ops.map((o) => ({ name: o.code, definition: o.definition, documentation: scopeNote(o) }))
      : undefined,
  };
}
