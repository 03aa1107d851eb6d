/**
 * Business rules of terminology resources that need the loaded code systems, as the HL7 validator applies them:
 * ValueSet include filters whose value must be a code of the system (or of the system a Coding property names) or a
 * boolean, and ConceptMap source codes that must be in the map's source value set.
 * https://hl7.org/fhir/R4/valueset.html#filters, https://hl7.org/fhir/R4/conceptmap.html
 */
import type { AnyResource } from '../packages/types.ts';
import type { WalkContext } from './context.ts';
import { CONCEPT_PROPERTIES } from './conformance-rules.ts';
import { eclProblem } from './ecl.ts';
import { sctidProblem } from './sctid.ts';

type Json = Record<string, unknown>;

const objects = (v: unknown): Json[] =>
  Array.isArray(v) ? v.filter((x): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x)) : [];

const SNOMED = 'http://snomed.info/sct';
const HIERARCHY_OPS = new Set(['=', 'is-a', 'descendent-of', 'is-not-a', 'generalizes']);

/** The type of a filter property: declared by the code system, else one of the HL7 concept properties. */
function propertyType(cs: AnyResource | undefined, property: string): string | undefined {
  if (property === 'concept' || property === 'code') return 'code-of-system';
  const declared = objects(cs?.property).find((p) => p.code === property)?.type;
  if (typeof declared === 'string') return declared;
  return property === 'notSelectable' || property === 'inactive' ? CONCEPT_PROPERTIES[property] : undefined;
}

function checkFilter(ctx: WalkContext, system: string, f: Json, path: string): void {
  const property = typeof f.property === 'string' ? f.property : undefined;
  const value = typeof f.value === 'string' ? f.value : undefined;
  if (property === undefined || value === undefined) return;
  const bad = (why: string) =>
    ctx.sink.add(
      'VALUESET_FILTER_VALUE_INVALID',
      path,
      `The value for a filter based on property '${property}' ${why}`,
    );
  if (system === SNOMED) {
    if ((property === 'constraint' || property === 'expression') && f.op === '=') {
      const problem = eclProblem(value);
      if (problem)
        ctx.sink.add(
          'VALUESET_FILTER_VALUE_INVALID',
          path,
          `The value '${value}' for the filter ${property} is invalid: Invalid ECL: ${problem}`,
        );
      return;
    }
    if ((property === 'concept' || property === 'code') && HIERARCHY_OPS.has(String(f.op))) {
      const problem = sctidProblem(value);
      if (problem) bad(`must be a valid code from the system '${system}', and '${value}' is not (${problem})`);
    }
    return;
  }
  const raw = ctx.engine.registry.resolve(system, 'CodeSystem');
  const type = propertyType(raw, property);
  if (type === 'boolean') {
    if (value !== 'true' && value !== 'false') bad(`must be either 'true' or 'false', not '${value}'`);
    return;
  }
  if (!HIERARCHY_OPS.has(String(f.op))) return;
  if (type === 'code-of-system') {
    const cs = ctx.engine.terminology.codeSystem(system);
    if (cs?.complete && !cs.concepts.has(value))
      bad(`must be a valid code from the system '${system}', and '${value}' is not`);
  } else if (type === 'Coding') {
    const at = value.indexOf('#');
    if (at < 0) return bad(`is '${value}', which is not a Coding written as system#code`);
    const cs = ctx.engine.terminology.codeSystem(value.slice(0, at));
    if (cs?.complete && !cs.concepts.has(value.slice(at + 1)))
      bad(`is '${value}', which is not a valid code (unknown code '${value.slice(at + 1)}' in ${cs.url})`);
  }
}

/** ValueSet.compose include/exclude filters. */
export function checkValueSetFilters(ctx: WalkContext, vs: AnyResource, path: string): void {
  const compose = vs.compose as Json | undefined;
  if (typeof compose !== 'object' || compose === null) return;
  for (const part of ['include', 'exclude'] as const) {
    objects(compose[part]).forEach((inc, i) => {
      if (typeof inc.system !== 'string') return;
      objects(inc.filter).forEach((f, j) =>
        checkFilter(ctx, inc.system as string, f, `${path}.compose.${part}[${i}].filter[${j}]`),
      );
    });
  }
}

/** ConceptMap: a source code of a group must be in the source value set when that value set can be expanded. */
export function checkConceptMap(ctx: WalkContext, cm: AnyResource, path: string): void {
  const source = typeof cm.sourceUri === 'string' ? cm.sourceUri : cm.sourceCanonical;
  if (typeof source !== 'string') return;
  const exp = ctx.engine.terminology.expand(source);
  if (!exp || exp.open.size > 0) return;
  objects(cm.group).forEach((g, i) => {
    if (typeof g.source !== 'string') return;
    const codes = exp.codes.get(g.source);
    if (!codes) return;
    objects(g.element).forEach((e, j) => {
      if (typeof e.code === 'string' && !codes.has(e.code))
        ctx.sink.add(
          'CONCEPTMAP_SOURCE_NOT_IN_VALUESET',
          `${path}.group[${i}].element[${j}].code`,
          `The source code '${e.code}' is not valid in the value set ${source}`,
        );
    });
  });
}
