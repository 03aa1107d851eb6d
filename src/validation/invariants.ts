/**
 * FHIRPath invariants (ElementDefinition.constraint) evaluated with @medplum/core's FHIRPath engine.
 * Expressions are parsed once per engine. An expression the engine cannot parse or evaluate yields a
 * warning naming the constraint, never an error. https://hl7.org/fhir/R4/conformance-rules.html#constraints
 */
import { evalFhirPathTyped, parseFhirPath, type TypedValue } from '@medplum/core';
import type { WalkContext } from './context.ts';
import type { AnyResource } from '../packages/types.ts';
import type { Constraint, ElementNode } from './model.ts';
import { NATIVE_BY_EXPRESSION, unreferencedContained } from './native-invariants.ts';

/** Checked natively elsewhere (they run on every element, where FHIRPath would dominate the cost). */
const NATIVE = new Set(['ele-1', 'ext-1', 'dom-3']);

type Parsed = ReturnType<typeof parseFhirPath>;

export interface InvariantRunner {
  /** Evaluates the constraints of `node` on one value (typed as `type`) found at `path`. */
  check(ctx: WalkContext, node: ElementNode, value: unknown, type: string, path: string): void;
}

function failed(result: TypedValue[]): boolean {
  return result.length === 1 && result[0].value === false;
}

function text(c: Constraint): string {
  return `Constraint failed: ${c.key}: '${c.human}'${c.source ? ` (defined in ${c.source})` : ''}`;
}

function checkDom3(ctx: WalkContext, node: ElementNode, resource: AnyResource, path: string): void {
  const c = node.constraints.find((k) => k.key === 'dom-3') as Constraint;
  for (const id of unreferencedContained(resource)) ctx.sink.add('INVARIANT_FAILED', path, `${text(c)}: contained '${id}' is not referenced`);
}

/**
 * Creates a runner with its own cache of parsed expressions (kept for the life of the validator).
 * @example createInvariantRunner().check(ctx, node, resource, 'Patient', 'Patient')
 */
export function createInvariantRunner(): InvariantRunner {
  const parsed = new Map<string, Parsed | Error>();
  const parse = (expression: string): Parsed | Error => {
    let hit = parsed.get(expression);
    if (hit === undefined) {
      try {
        hit = parseFhirPath(expression);
      } catch (err) {
        hit = err instanceof Error ? err : new Error(String(err));
      }
      parsed.set(expression, hit);
    }
    return hit;
  };
  return {
    check(ctx, node, value, type, path) {
      if (node.constraints.some((c) => c.key === 'dom-3')) checkDom3(ctx, node, value as AnyResource, path);
      for (const c of node.constraints) {
        if (NATIVE.has(c.key) || !c.expression) continue;
        const native = NATIVE_BY_EXPRESSION.get(c.expression);
        if (native) {
          if (!native(value as Record<string, unknown>, ctx.resource, ctx.rootResource)) {
            ctx.sink.add('INVARIANT_FAILED', path, text(c), c.severity === 'error' ? 'error' : 'warning');
          }
          continue;
        }
        const atom = parse(c.expression);
        const severity = c.severity === 'error' ? 'error' : 'warning';
        if (atom instanceof Error) {
          ctx.sink.add('INVARIANT_NOT_EVALUATED', path, `Constraint ${c.key} was not checked: its expression cannot be parsed (${atom.message})`);
          continue;
        }
        const input: TypedValue = { type, value };
        const variables: Record<string, TypedValue> = {
          '%resource': { type: ctx.resource.resourceType, value: ctx.resource },
          '%rootResource': { type: ctx.rootResource.resourceType, value: ctx.rootResource },
          '%context': input,
        };
        try {
          if (failed(evalFhirPathTyped(atom, [input], variables))) ctx.sink.add('INVARIANT_FAILED', path, text(c), severity);
        } catch (err) {
          ctx.sink.add('INVARIANT_NOT_EVALUATED', path, `Constraint ${c.key} was not checked: ${(err as Error).message}`);
        }
      }
    },
  };
}
