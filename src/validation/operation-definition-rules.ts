/**
 * OperationDefinition.inputProfile / outputProfile against the operation's own parameters, as the HL7 Java validator
 * cross-checks them: the profile (a Parameters profile) slices `Parameters.parameter` by name, and each slice that
 * names a parameter of that direction must say what the parameter says: the same min and max, the same types, and
 * the same target profiles. Two definitions of one operation that disagree leave a client guessing which to follow.
 * https://hl7.org/fhir/R4/operationdefinition-definitions.html#OperationDefinition.inputProfile
 * A profile we do not hold is not checked (as any profile we do not hold); one that is not on Parameters is an error.
 */
import type { AnyResource } from '../packages/types.ts';
import type { WalkContext } from './context.ts';
import type { ElementNode } from './model.ts';

type Json = Record<string, unknown>;

const objects = (v: unknown): Json[] =>
  Array.isArray(v) ? v.filter((x): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x)) : [];
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

const ALLOWED_TYPE_EXT = 'http://hl7.org/fhir/StructureDefinition/operationdefinition-allowed-type';

const child = (node: ElementNode, name: string): ElementNode | undefined => node.children.find((c) => c.name === name);
const list = (xs: readonly string[]): string => (xs.length ? [...xs].sort().join(', ') : '(none)');
/** `*` is Infinity in a compiled profile; a parameter's max is a string. */
const maxOf = (max: unknown): number | undefined =>
  max === '*' ? Infinity : typeof max === 'string' && /^\d+$/.test(max) ? Number(max) : undefined;

/** An element of the slice carries the parameter's value when it may occur and no sibling form is required. */
function used(focus: ElementNode | undefined, ...others: (ElementNode | undefined)[]): boolean {
  return focus !== undefined && focus.max !== 0 && others.every((o) => (o?.min ?? 0) === 0);
}

export function checkOperationDefinition(ctx: WalkContext, od: AnyResource, path: string): void {
  for (const [key, use] of [
    ['inputProfile', 'in'],
    ['outputProfile', 'out'],
  ] as const) {
    const url = od[key];
    if (typeof url === 'string') checkProfile(ctx, od, url, use, `${path}.${key}`);
  }
}

function checkProfile(ctx: WalkContext, od: AnyResource, url: string, use: string, path: string): void {
  const profile = ctx.engine.registry.profile(url);
  if (!profile) return;
  if (profile.type !== 'Parameters') {
    ctx.sink.add(
      'OPDEF_PROFILE_NOT_PARAMETERS',
      path,
      `The '${use}' profile ${url} is a profile on ${profile.type}; it must be a profile on Parameters`,
    );
    return;
  }
  const params = objects(od.parameter);
  for (const slice of child(profile.root, 'parameter')?.slices ?? []) {
    const nameNode = slice.children.find((c) => c.name === 'name');
    const name = nameNode?.fixed ?? nameNode?.pattern;
    if (typeof name !== 'string') continue;
    const index = params.findIndex((p) => p.name === name && p.use === use);
    if (index >= 0) compare(ctx, params[index], slice, `${path}.parameter[${index}]`, use, name, url);
  }
}

function compare(
  ctx: WalkContext,
  param: Json,
  slice: ElementNode,
  path: string,
  use: string,
  name: string,
  url: string,
) {
  const mismatch = (id: Parameters<typeof ctx.sink.add>[0], text: string) =>
    ctx.sink.add(id, path, `The parameter '${name}' (use ${use}): ${text} (profile ${url})`);
  const shown = (n: number) => (n === Infinity ? '*' : String(n));
  if (typeof param.min === 'number' && param.min !== slice.min)
    mismatch('OPDEF_PROFILE_PARAM_MISMATCH', `min is ${param.min} in the operation but ${slice.min} in the profile`);
  const max = maxOf(param.max);
  if (max !== undefined && max !== slice.max)
    mismatch(
      'OPDEF_PROFILE_PARAM_MISMATCH',
      `max is ${String(param.max)} in the operation but ${shown(slice.max)} in the profile`,
    );

  // The parameter's types: the allowed-type extension, else its type.
  const extTypes = objects(param.extension)
    .filter((e) => e.url === ALLOWED_TYPE_EXT)
    .map((e) => e.valueUri ?? e.valueCode ?? e.valueString)
    .filter((t): t is string => typeof t === 'string');
  const allowedTypes = extTypes.length ? extTypes : typeof param.type === 'string' ? [param.type] : [];
  const allowedTargets = strings(param.targetProfile);

  const value = child(slice, 'value[x]');
  const resource = child(slice, 'resource');
  const part = child(slice, 'part');
  const profileTypes: string[] = [];
  const profileTargets: string[] = [];
  for (const node of [
    used(value, resource, part) ? value : undefined,
    used(resource, value, part) ? resource : undefined,
  ]) {
    for (const t of node?.types ?? []) {
      profileTypes.push(t.code);
      profileTargets.push(...t.targetProfiles);
      if (!allowedTypes.includes(t.code))
        mismatch(
          'OPDEF_PROFILE_TYPE_MISMATCH',
          `the profile allows the type ${t.code}, the operation only ${list(allowedTypes)}`,
        );
    }
  }
  for (const t of allowedTypes)
    if (!profileTypes.includes(t))
      mismatch(
        'OPDEF_PROFILE_TYPE_MISMATCH',
        `the operation allows the type ${t}, the profile only ${list(profileTypes)}`,
      );
  for (const t of allowedTargets)
    if (!profileTargets.includes(t))
      mismatch(
        'OPDEF_PROFILE_TARGET_MISMATCH',
        `the operation names the target profile ${t}, the profile only ${list(profileTargets)}`,
      );
  // A parameter of type Element (any type) cannot list target profiles (opd-3), so the profile's are not compared.
  if (typeof param.type === 'string' && param.type !== 'Element')
    for (const t of profileTargets)
      if (!allowedTargets.includes(t))
        mismatch(
          'OPDEF_PROFILE_TARGET_MISMATCH',
          `the profile names the target profile ${t}, the operation only ${list(allowedTargets)}`,
        );
}
