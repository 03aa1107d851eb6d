/**
 * FHIRPath invariants (ElementDefinition.constraint) evaluated with @medplum/core's FHIRPath engine.
 * Expressions are parsed once per engine. An expression the engine cannot parse or evaluate yields a
 * warning naming the constraint, never an error. https://hl7.org/fhir/R4/conformance-rules.html#constraints
 */
import { buildTypeName, evalFhirPathTyped, parseFhirPath, type TypedValue } from '@medplum/core';
import { loadBaseDefinitions } from '../fhir/base-definitions.ts';
import { pathText, type PathSource, type WalkContext } from './context.ts';
import type { AnyResource } from '../packages/types.ts';
import type { Constraint, ElementNode } from './model.ts';
import { NATIVE_BY_EXPRESSION, unreferencedContained, type NativeCheck } from './native-invariants.ts';
import { compileShortcut, type Shortcut } from './invariant-shortcuts.ts';
import { groupOf, HOLDS, INVARIANT_GROUPS, type InvariantGroup, UNSURE } from './invariant-groups.ts';
import { resourceShortcut } from './resource-shortcuts.ts';
import type { CheckScratch } from './sd-facts.ts';
import { compileSimple } from './simple-fhirpath.ts';

/** Checked natively elsewhere (they run on every element, where FHIRPath would dominate the cost). */
const NATIVE = new Set(['ele-1', 'ext-1', 'dom-3']);

type Parsed = ReturnType<typeof parseFhirPath>;
/** How one expression is evaluated, decided once: natively, by the simple compiler, or by FHIRPath. */
type Compiled =
  | { kind: 'native'; fn: NativeCheck }
  | { kind: 'simple'; fn: (v: unknown) => boolean }
  | { kind: 'fhirpath'; atom: Parsed; contextFree: boolean; shortcut?: Shortcut }
  | { kind: 'error'; error: Error };

interface Runnable {
  readonly c: Constraint;
  readonly expression: string;
  /** Undefined for dom-3 (checked natively). */
  readonly how?: Compiled;
  /** Index of an earlier constraint of the same element with the same expression (Narrative.div's txt-1 and txt-2
   * are both `htmlChecks()`, a scan of the whole narrative): its answer on this value is this one's. */
  readonly sameAs?: number;
  /** Whether a later constraint reuses this one's answer. */
  readonly reused?: boolean;
  /** The group answering this constraint together with the others of its element (invariant-groups.ts), its slot. */
  readonly group?: InvariantGroup;
  readonly slot?: number;
}

export interface InvariantRunner {
  /** Evaluates the constraints of `node` on one value (typed as `type`) found at `path`. */
  check(ctx: WalkContext, node: ElementNode, value: unknown, type: string, path: PathSource): void;
  /** Whether `check` has anything to run on values of `node` (most elements carry only ele-1, checked natively):
   * the walk's plans keep the answer, so it does not call `check` for nothing on every value. */
  runs(node: ElementNode, engine: object): boolean;
}

function failed(result: TypedValue[]): boolean {
  return result.length === 1 && result[0].value === false;
}

function text(c: Constraint): string {
  return `Constraint failed: ${c.key}: '${c.human}'${c.source ? ` (defined in ${c.source})` : ''}`;
}

function checkDom3(ctx: WalkContext, c: Constraint, resource: AnyResource, path: string): void {
  for (const id of unreferencedContained(resource))
    ctx.sink.add('INVARIANT_FAILED', path, `${text(c)}: contained '${id}' is not referenced`);
}

/**
 * Creates a runner with its own cache of parsed expressions (kept for the life of the validator).
 * @example createInvariantRunner().check(ctx, node, resource, 'Patient', 'Patient')
 */
export function createInvariantRunner(): InvariantRunner {
  // FHIRPath runs on typed data: with the R4 definitions indexed, `response` names the element `response` only,
  // not `responseCode` as a choice-type guess over raw JSON would (tst-5).
  loadBaseDefinitions();
  const compiled = new Map<string, Compiled>();
  const compile = (expression: string): Compiled => {
    let hit = compiled.get(expression);
    if (hit) return hit;
    const native = NATIVE_BY_EXPRESSION.get(expression);
    const simple = native ? undefined : compileSimple(expression);
    if (native) hit = { kind: 'native', fn: native };
    else if (simple) hit = { kind: 'simple', fn: simple };
    else {
      try {
        hit = {
          kind: 'fhirpath',
          atom: parseFhirPath(expression),
          contextFree: !/%(resource|rootResource)\b/.test(expression),
          // Sure answers from the JSON for the common values (an absent guard element), before FHIRPath runs.
          // Whole-resource invariants (sdf-*, csd-1, nsd-2) have direct forms that may read %resource.
          shortcut: resourceShortcut(expression) ?? compileShortcut(expression),
        };
      } catch (err) {
        hit = { kind: 'error', error: err instanceof Error ? err : new Error(String(err)) };
      }
    }
    compiled.set(expression, hit);
    return hit;
  };
  // The constraints of each element definition with their compiled form, worked out on the first value it meets and
  // kept on the node (for the engine walking it): the walk checks the same definition for every instance, and most
  // definitions have none left to run. dom-3 keeps its place in the list (it is checked natively, in the order the
  // definition gives).
  const runnable = (node: ElementNode, owner: object): readonly Runnable[] => {
    let memo = node.memo;
    if (memo !== undefined && memo.owner === owner && memo.invariants !== undefined)
      return memo.invariants as readonly Runnable[];
    const list = node.constraints
      .filter((c) => c.key === 'dom-3' || (!NATIVE.has(c.key) && c.expression))
      .map((c, i, all): Runnable => {
        if (c.key === 'dom-3') return { c, expression: '' };
        const expression = c.expression as string;
        const first = all.findIndex((o) => o.key !== 'dom-3' && o.expression === expression);
        const member = groupOf(expression);
        return {
          c,
          expression,
          how: compile(expression),
          sameAs: first < i ? first : undefined,
          group: member?.group,
          slot: member?.slot,
        };
      })
      .map((r, i, all): Runnable => (all.some((o) => o.sameAs === i) ? { ...r, reused: true } : r));
    if (memo === undefined || memo.owner !== owner) node.memo = memo = { owner };
    memo.invariants = list;
    return list;
  };
  const scratch: CheckScratch = {};
  // The answers of the group last asked in a check call (a group answers all its members from one read).
  const groupAnswers = new Uint8Array(Math.max(...INVARIANT_GROUPS.map((g) => g.expressions.length)));
  return {
    runs: (node, engine) => node.constraints.length > 0 && runnable(node, engine).length > 0,
    check(ctx, node, value, type, path) {
      if (node.constraints.length === 0) return;
      const list = runnable(node, ctx.engine);
      // Most calls (ele-1 alone, checked natively): nothing to run, and nothing of the scratch to touch.
      if (list.length === 0) return;
      // Answers of this call by constraint index (only kept when a later constraint has the same expression).
      let answers: (boolean | undefined)[] | undefined;
      // What the direct forms of this call share about the one value (sd-facts.ts): emptied first, so nothing is
      // carried from one call (or one validation) to the next.
      scratch.sd = scratch.snapshot = undefined;
      let answered: InvariantGroup | undefined;
      // Whether every member of the group answered holds: then its members are passed over without a look.
      let held = false;
      for (let i = 0; i < list.length; i++) {
        const entry = list[i]!;
        const group = entry.group;
        if (group !== undefined) {
          if (answered !== group) {
            held = group.answer(value, groupAnswers);
            answered = group;
          }
          if (held) continue;
        }
        const { c, expression, how, sameAs, reused, slot } = entry;
        if (!how) {
          if (ctx.engine.checkContained) checkDom3(ctx, c, value as AnyResource, pathText(path));
          continue;
        }
        const severity = c.severity === 'error' ? 'error' : 'warning';
        if (how.kind === 'error') {
          ctx.sink.add(
            'INVARIANT_NOT_EVALUATED',
            pathText(path),
            `Constraint ${c.key} was not checked: its expression cannot be parsed (${how.error.message})`,
          );
          continue;
        }
        let holds: boolean;
        const earlier = sameAs === undefined ? undefined : answers?.[sameAs];
        const grouped = group === undefined ? UNSURE : groupAnswers[slot as number];
        try {
          if (earlier !== undefined) holds = earlier;
          else if (grouped !== UNSURE) holds = grouped === HOLDS;
          else if (how.kind === 'native')
            holds = how.fn(value as Record<string, unknown>, ctx.resource, ctx.rootResource);
          else if (how.kind === 'simple') holds = how.fn(value);
          else
            holds =
              how.shortcut?.(value, ctx.resource, scratch) ?? evalMemoised(ctx, how, expression, node, type, value);
        } catch (err) {
          ctx.sink.add(
            'INVARIANT_NOT_EVALUATED',
            pathText(path),
            `Constraint ${c.key} was not checked: ${(err as Error).message}`,
          );
          continue;
        }
        if (reused) (answers ??= [])[i] = holds;
        if (!holds) ctx.sink.add('INVARIANT_FAILED', pathText(path), text(c), severity);
      }
      scratch.sd = scratch.snapshot = undefined;
    },
  };
}

function evalMemoised(
  ctx: WalkContext,
  how: { atom: Parsed; contextFree: boolean },
  expression: string,
  node: ElementNode,
  type: string,
  value: unknown,
): boolean {
  const memo = how.contextFree && typeof value === 'object' && value !== null ? ctx.invariantMemo : undefined;
  let perObject = memo?.get(value as object);
  const known = perObject?.get(expression);
  if (known !== undefined) return known;
  const holds = !failed(
    evalFhirPathTyped(how.atom, [{ type: typeName(node, type), value }], variablesFor(ctx, type, value)),
  );
  if (memo) {
    if (!perObject) memo.set(value as object, (perObject = new Map()));
    perObject.set(expression, holds);
  }
  return holds;
}

/**
 * The type FHIRPath knows a value by: backbone elements are named after their path (TestScriptSetupActionAssert).
 * An element that repeats another's content (`contentReference`) has that element's type: `TestScript.test.action
 * .assert` is a TestScriptSetupActionAssert, a name the R4 definitions know (TestScriptTestActionAssert is not one,
 * and FHIRPath over an unknown type guesses choice elements from the raw JSON: `response` would match `responseCode`).
 */
function typeName(node: ElementNode, type: string): string {
  if (type !== 'BackboneElement' && type !== 'Element') return type;
  const ref = node.contentReference;
  return buildTypeName((ref === undefined ? node.path : ref.slice(ref.indexOf('#') + 1)).split('.'));
}

function variablesFor(ctx: WalkContext, type: string, value: unknown): Record<string, TypedValue> {
  return {
    '%resource': { type: ctx.resource.resourceType, value: ctx.resource },
    '%rootResource': { type: ctx.rootResource.resourceType, value: ctx.rootResource },
    '%context': { type, value },
  };
}
