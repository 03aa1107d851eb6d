/**
 * FHIRPath Patch: a `Parameters` body of `operation` parameters (add, insert, delete, replace, move), each naming
 * its target with a FHIRPath expression, evaluated with @medplum/core. A path is read as `<container>.<element>`
 * followed by an optional `[n]` or filters (`.where(…)`, `.first()`…): the container must select exactly one
 * element, and the target exactly one value, else the operation fails with a clear 422; a patch never writes
 * id, meta or resourceType.
 * https://hl7.org/fhir/R4/fhirpatch.html
 */
import { evalFhirPathTyped, getElementDefinition, toTypedValue } from '@medplum/core';
import type { TypedValue } from '@medplum/core';
import type { Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { FORBIDDEN_ELEMENTS, patchError } from './patch-error.ts';
import type { PatchLimits } from './patch-error.ts';

type Obj = Record<string, unknown>;

interface PathParts {
  container: string;
  element: string;
  index?: number;
  /** Functions after the element (`where(…)`, `first()`…), as one expression relative to it. */
  filter?: string;
}

interface Operation {
  type: string;
  path: string;
  name?: string;
  value?: unknown;
  index?: number;
  source?: number;
  destination?: number;
}

/** Splits at top-level dots (outside parentheses, brackets and quotes). */
function topLevelSegments(path: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === "'" && path[i - 1] !== '\\') quote = !quote;
    else if (!quote && (c === '(' || c === '[')) depth++;
    else if (!quote && (c === ')' || c === ']')) depth--;
    else if (!quote && depth === 0 && c === '.') {
      out.push(path.slice(start, i));
      start = i + 1;
    }
  }
  out.push(path.slice(start));
  return out;
}

function splitPath(path: string, where: string): PathParts {
  const segments = topLevelSegments(path.trim());
  let end = segments.length;
  while (end > 1 && /^[A-Za-z]+\(.*\)$/s.test(segments[end - 1] as string)) end--;
  const last = /^([A-Za-z][A-Za-z0-9_]*)(?:\[(\d+)\])?$/.exec(segments[end - 1] ?? '');
  if (end < 2 || !last)
    patchError('FHIRPATH_PATCH_INVALID', `${where}: the path "${path}" does not end in an element (Type.element…)`);
  const parts: PathParts = {
    container: segments.slice(0, end - 1).join('.'),
    element: (last as RegExpExecArray)[1] as string,
  };
  if ((last as RegExpExecArray)[2] !== undefined) parts.index = Number((last as RegExpExecArray)[2]);
  if (end < segments.length) parts.filter = segments.slice(end).join('.');
  return parts;
}

function evaluate(expression: string, input: TypedValue[], where: string): TypedValue[] {
  try {
    return evalFhirPathTyped(expression, input);
  } catch (err) {
    return patchError(
      'FHIRPATH_PATCH_INVALID',
      `${where}: "${expression}" is not a FHIRPath expression this server evaluates (${(err as Error).message})`,
    );
  }
}

function exactlyOne<T>(values: T[], what: string, where: string): T {
  if (values.length === 0) patchError('FHIRPATH_PATCH_NO_MATCH', `${where}: ${what} selects nothing`);
  if (values.length > 1)
    patchError(
      'FHIRPATH_PATCH_MULTIPLE',
      `${where}: ${what} selects ${values.length} elements; it must select exactly one`,
    );
  return values[0] as T;
}

/** The one object `expression` selects in the resource, with its FHIR type. */
function containerOf(root: TypedValue, expression: string, where: string): { obj: Obj; type: string } {
  const found = exactlyOne(evaluate(expression, [root], where), `"${expression}"`, where);
  if (found.value === null || typeof found.value !== 'object' || Array.isArray(found.value)) {
    patchError(
      'FHIRPATH_PATCH_INVALID',
      `${where}: "${expression}" selects a primitive value, not an element that can hold others`,
    );
  }
  return { obj: found.value as Obj, type: found.type };
}

/** The JSON key of `element` in `obj` (a choice element `value` is stored as `valueString`…). */
function keyOf(obj: Obj, element: string): string {
  if (element in obj) return element;
  return Object.keys(obj).find((k) => k.startsWith(element) && /^[A-Z]/.test(k.slice(element.length))) ?? element;
}

interface Location {
  obj: Obj;
  key: string;
  /** Position in the array, when the element repeats. */
  position?: number;
}

/** Where the one value `path` selects lives. */
function locate(root: TypedValue, path: string, where: string): Location {
  const parts = splitPath(path, where);
  const { obj } = containerOf(root, parts.container, where);
  const key = keyOf(obj, parts.element);
  const current = obj[key];
  const items = Array.isArray(current) ? current : current === undefined ? [] : [current];
  let positions = items.map((_, i) => i);
  if (parts.index !== undefined) positions = positions.filter((i) => i === parts.index);
  if (parts.filter) {
    const selected = evaluate(`${parts.element}.${parts.filter}`, [toTypedValue(obj)], where).map((v) => v.value);
    positions = positions.filter((i) =>
      selected.some((s) => s === items[i] || JSON.stringify(s) === JSON.stringify(items[i])),
    );
  }
  const position = exactlyOne(positions, `"${path}"`, where);
  return Array.isArray(current) ? { obj, key, position } : { obj, key };
}

function checkWritable(path: string, name: string | undefined, where: string): void {
  const segments = topLevelSegments(path);
  const first = segments.length === 1 ? name : segments[1]?.replace(/\[.*$/, '');
  if (first !== undefined && FORBIDDEN_ELEMENTS.has(first)) {
    patchError(
      'PATCH_PATH_FORBIDDEN',
      `${where} writes ${first}: id, meta and resourceType are set by the server and cannot be patched`,
    );
  }
}

function apply(root: TypedValue, op: Operation, where: string): void {
  checkWritable(op.path, op.type === 'add' ? op.name : undefined, where);
  switch (op.type) {
    case 'add': {
      const { obj, type } = containerOf(root, op.path, where);
      const name = op.name as string;
      const existing = obj[name];
      if (Array.isArray(existing)) existing.push(op.value);
      else if (existing !== undefined)
        patchError('PATCH_FAILED', `${where}: ${op.path}.${name} already has a value (use replace)`);
      else obj[name] = getElementDefinition(type, name)?.isArray ? [op.value] : op.value;
      return;
    }
    case 'insert':
    case 'move': {
      const parts = splitPath(op.path, where);
      const { obj } = containerOf(root, parts.container, where);
      const list = obj[keyOf(obj, parts.element)];
      if (!Array.isArray(list) || parts.index !== undefined || parts.filter) {
        patchError('PATCH_FAILED', `${where}: ${op.type} needs a path to a repeating element, "${op.path}" is not one`);
      }
      const arr = list as unknown[];
      const from = op.type === 'move' ? (op.source as number) : undefined;
      const to = op.type === 'move' ? (op.destination as number) : (op.index as number);
      if ((from !== undefined && from >= arr.length) || to > arr.length - (from !== undefined ? 1 : 0)) {
        patchError('PATCH_FAILED', `${where}: index out of range for "${op.path}" (${arr.length} items)`);
      }
      const value = from !== undefined ? arr.splice(from, 1)[0] : op.value;
      arr.splice(to, 0, value);
      return;
    }
    case 'delete':
    case 'replace': {
      const at = locate(root, op.path, where);
      if (op.type === 'replace') {
        if (at.position === undefined) at.obj[at.key] = op.value;
        else (at.obj[at.key] as unknown[])[at.position] = op.value;
      } else if (at.position === undefined) delete at.obj[at.key];
      else {
        const arr = at.obj[at.key] as unknown[];
        arr.splice(at.position, 1);
        if (arr.length === 0) delete at.obj[at.key];
      }
      return;
    }
    default:
      patchError(
        'FHIRPATH_PATCH_INVALID',
        `${where}: type "${op.type}" is not one of add, insert, delete, replace, move`,
      );
  }
}

/** A `value` part: value[x], or parts building a complex value (`part` named after each element). */
function partValue(p: ParametersParameter): unknown {
  const key = Object.keys(p).find((k) => k.startsWith('value'));
  if (key) return (p as unknown as Obj)[key];
  if (!p.part) return undefined;
  const out: Obj = {};
  for (const child of p.part) {
    const v = partValue(child);
    const name = child.name;
    if (Array.isArray(out[name])) (out[name] as unknown[]).push(v);
    else out[name] = out[name] === undefined ? v : [out[name], v];
  }
  return out;
}

function readOperation(param: ParametersParameter, i: number): Operation {
  const where = `Parameters.parameter[${i}]`;
  if (param.name !== 'operation' || !param.part)
    patchError('FHIRPATH_PATCH_INVALID', `${where} must be an "operation" with parts`);
  const part = (name: string): ParametersParameter | undefined => param.part?.find((p) => p.name === name);
  const type = part('type')?.valueCode;
  const path = part('path')?.valueString;
  if (!type || !path) patchError('FHIRPATH_PATCH_INVALID', `${where} needs a type and a path`);
  const op: Operation = { type: type as string, path: path as string };
  const name = part('name')?.valueString;
  if (name !== undefined) op.name = name;
  const value = part('value');
  if (value) op.value = partValue(value);
  for (const k of ['index', 'source', 'destination'] as const) {
    const n = part(k)?.valueInteger;
    if (n !== undefined) op[k] = n;
  }
  const needs: Record<string, Array<keyof Operation>> = {
    add: ['name', 'value'],
    insert: ['value', 'index'],
    replace: ['value'],
    move: ['source', 'destination'],
    delete: [],
  };
  const missing = (needs[op.type] ?? []).filter(
    (k) => op[k] === undefined || (typeof op[k] === 'number' && (op[k] as number) < 0),
  );
  if (missing.length > 0) patchError('FHIRPATH_PATCH_INVALID', `${where} (${op.type}) needs ${missing.join(', ')}`);
  return op;
}

/**
 * Applies a FHIRPath Patch `Parameters` document to a copy of `resource`.
 * @example applyFhirPathPatch(patient, { resourceType: 'Parameters', parameter: [{ name: 'operation', part: [
 *   { name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.gender' }, { name: 'value', valueCode: 'female' }] }] }, limits)
 */
export function applyFhirPathPatch(resource: Resource, document: Parameters, limits: PatchLimits): Resource {
  const params = document.parameter ?? [];
  if (params.length === 0)
    patchError('FHIRPATH_PATCH_INVALID', 'A FHIRPath Patch needs at least one operation parameter');
  if (params.length > limits.maxOperations) {
    patchError(
      'PATCH_TOO_MANY_OPERATIONS',
      `The patch has ${params.length} operations; this server applies at most ${limits.maxOperations}`,
    );
  }
  const ops = params.map(readOperation);
  const doc = structuredClone(resource);
  const root = toTypedValue(doc);
  ops.forEach((op, i) => apply(root, op, `Parameters.parameter[${i}]`));
  return doc;
}
