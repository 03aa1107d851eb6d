/**
 * An operation declared once: its code, canonical, levels and resource types come from its OperationDefinition in
 * `profiles/`, and so do its input parameters (read by `input.ts`). The route adds only what the definition
 * cannot say: the scope a caller needs, and the handler.
 * @example defineOperation('revoke-credential', { scope: OPERATION_SCOPES.revokeCredential, handle: async (ctx, req, _t, input) => … })
 *   // → { code: 'revoke-credential', definition: 'https://gdhcn-gateway.org/fhir/OperationDefinition/revoke-credential', levels: ['system'], methods: ['POST'], … }
 */
import type { OperationDefinition } from '@medplum/fhirtypes';
import type { FhirMethod, FhirRequest, FhirResponse, RestContext } from '../fhir-request.ts';
import type { OperationRoute } from '../routes.ts';
import { loadOperationDefinition, readOperationInput, type OperationInput } from './input.ts';

type Level = OperationRoute['levels'][number];

export interface OperationSpec {
  /** As OperationRoute.scope: a scope, `null` for public on purpose, left out for `system/$<code>`. */
  scope?: string | null;
  /** Only when narrower than the definition allows (GET and POST when it does not affect state, else POST). */
  methods?: FhirMethod[];
  /** Whether the input is read before `handle` (default true); off for bodies that are not Parameters. */
  readInput?: boolean;
  /** `input` reads the request as the definition declares; `read` reads another request (e.g. without its image body). */
  handle(
    ctx: RestContext,
    req: FhirRequest,
    target: { type?: string; id?: string },
    input: OperationInput,
    read: (req: Pick<FhirRequest, 'query' | 'body'>) => OperationInput,
  ): Promise<FhirResponse>;
}

export interface DefinedOperation extends OperationRoute {
  operationDefinition: OperationDefinition;
}

export function operationRoute(def: OperationDefinition, spec: OperationSpec): DefinedOperation {
  const levels = (['system', 'type', 'instance'] as const).filter((l) => def[l] === true) as Level[];
  const types = (def.resource ?? []).map(String).filter((t) => t !== 'Resource');
  const read = (req: Pick<FhirRequest, 'query' | 'body'>) => readOperationInput(def, req);
  const readFirst = spec.readInput ?? true;
  const empty = readOperationInput({ ...def, parameter: [] }, { query: [], body: undefined });
  return {
    code: def.code as string,
    definition: def.url as string,
    levels,
    ...(types.length > 0 ? { resourceTypes: types } : {}),
    methods: spec.methods ?? (def.affectsState === false ? ['GET', 'POST'] : ['POST']),
    ...(spec.scope !== undefined ? { scope: spec.scope } : {}),
    operationDefinition: def,
    handle: (ctx, req, target) => spec.handle(ctx, req, target, readFirst ? read(req) : empty, read),
  };
}

/** The route of `profiles/OperationDefinition-<id>.json`. */
export function defineOperation(id: string, spec: OperationSpec): DefinedOperation {
  return operationRoute(loadOperationDefinition(id), spec);
}
