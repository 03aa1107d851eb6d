/**
 * The operators a ValueSet filter may use on a SNOMED CT property, as SNOMED CT's FHIR usage defines the properties
 * (https://hl7.org/fhir/R4/snomedct.html#filters) and the HL7 Java validator enforces them: `concept` takes the
 * hierarchy and refset operators, `constraint` takes `=` (an ECL expression), `expressions` and `inactive` take `=` or
 * `in`, and a concept model attribute (named by its concept id) takes `=` or `in`. Any other operator on these has no
 * meaning a terminology server will apply, so the value set cannot be expanded as written.
 * A property that is neither a known name nor a well-formed concept id is left alone (the Java validator only warns).
 */
import type { AnyResource } from '../packages/types.ts';
import type { WalkContext } from './context.ts';
import { sctidProblem } from './sctid.ts';

type Json = Record<string, unknown>;

const SNOMED = 'http://snomed.info/sct';

const OPS: Readonly<Record<string, readonly string[]>> = {
  concept: ['is-a', 'is-not-a', 'in', 'descendent-of', 'descendent-leaf'],
  constraint: ['='],
  expressions: ['=', 'in'],
  inactive: ['=', 'in'],
};
const ATTRIBUTE_OPS = ['=', 'in'];

const objects = (v: unknown): Json[] =>
  Array.isArray(v) ? v.filter((x): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x)) : [];

/** A well-formed SNOMED CT concept id: a valid SCTID whose partition identifier is a concept's (00 or 10). */
function isConceptId(code: string): boolean {
  return /^\d{6,18}$/.test(code) && sctidProblem(code) === undefined && /[01]0$/.test(code.slice(-3, -1));
}

export function checkSnomedFilterOps(ctx: WalkContext, vs: AnyResource, path: string): void {
  const compose = vs.compose as Json | undefined;
  if (typeof compose !== 'object' || compose === null) return;
  for (const part of ['include', 'exclude'] as const) {
    objects(compose[part]).forEach((inc, i) => {
      if (inc.system !== SNOMED) return;
      objects(inc.filter).forEach((f, j) => {
        const { property, op } = f;
        if (typeof property !== 'string' || typeof op !== 'string') return;
        const allowed = OPS[property] ?? (isConceptId(property) ? ATTRIBUTE_OPS : undefined);
        if (allowed === undefined || allowed.includes(op)) return;
        ctx.sink.add(
          'VALUESET_FILTER_OP_INVALID',
          `${path}.compose.${part}[${i}].filter[${j}]`,
          `The operation '${op}' is not allowed for property '${property}' in system '${SNOMED}'. Allowed ops: ${allowed.join(',')}`,
        );
      });
    });
  }
}
