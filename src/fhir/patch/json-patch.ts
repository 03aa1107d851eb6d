/**
 * JSON Patch (RFC 6902) on a FHIR resource, with @medplum/core's `applyPatch` doing the operations one at a time
 * on a copy. Around it: the document's shape, a cap on its length, `id`/`meta`/`resourceType` left alone, moves
 * into their own children refused, and a budget on what `copy` may duplicate (a few copies of a value into
 * itself would otherwise grow the resource exponentially).
 * https://hl7.org/fhir/R4/http.html#patch https://www.rfc-editor.org/rfc/rfc6902
 */
import { applyPatch } from '@medplum/core';
import type { Operation } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { FORBIDDEN_ELEMENTS, patchError } from './patch-error.ts';
import type { PatchLimits } from './patch-error.ts';

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

function unescapeToken(t: string): string {
  return t.replace(/~1/g, '/').replace(/~0/g, '~');
}

function tokens(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map(unescapeToken);
}

function valueAt(doc: unknown, pointer: string): unknown {
  let cur: unknown = doc;
  for (const t of tokens(pointer)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[t];
  }
  return cur;
}

function checkPointer(p: unknown, where: string): string {
  if (typeof p !== 'string' || (p !== '' && !p.startsWith('/')))
    patchError('PATCH_INVALID', `${where} must be a JSON Pointer ("/a/0/b"), got ${JSON.stringify(p)}`);
  return p as string;
}

function checkOperation(raw: unknown, i: number): Operation {
  const where = `operation ${i}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    patchError('PATCH_INVALID', `${where} is not an object`);
  const op = raw as Record<string, unknown>;
  if (typeof op.op !== 'string' || !OPS.has(op.op))
    patchError(
      'PATCH_INVALID',
      `${where} has op ${JSON.stringify(op.op)}; expected add, remove, replace, move, copy or test`,
    );
  const path = checkPointer(op.path, `${where}'s path`);
  const from = op.op === 'move' || op.op === 'copy' ? checkPointer(op.from, `${where}'s from`) : undefined;
  if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in op))
    patchError('PATCH_INVALID', `${where} (${op.op}) needs a value`);
  const touched = op.op === 'test' || op.op === 'copy' ? [path] : [path, ...(op.op === 'move' ? [from as string] : [])];
  for (const p of touched) {
    if (p === '' || FORBIDDEN_ELEMENTS.has(tokens(p)[0] as string)) {
      patchError(
        'PATCH_PATH_FORBIDDEN',
        `${where} writes "${p || '/'}": id, meta and resourceType are set by the server and cannot be patched`,
      );
    }
  }
  if (op.op === 'move' && from !== undefined && path.startsWith(`${from}/`)) {
    patchError('PATCH_MOVE_INTO_ITSELF', `${where} moves "${from}" into its own child "${path}"`);
  }
  return op as unknown as Operation;
}

/**
 * Applies a JSON Patch document to a copy of `resource`.
 * @example applyJsonPatch(patient, [{ op: 'replace', path: '/gender', value: 'female' }], limits) // patient with gender female
 */
export function applyJsonPatch(resource: Resource, document: unknown, limits: PatchLimits): Resource {
  if (!Array.isArray(document)) patchError('PATCH_INVALID', 'A JSON Patch body is an array of operations');
  const list = document as unknown[];
  if (list.length > limits.maxOperations) {
    patchError(
      'PATCH_TOO_MANY_OPERATIONS',
      `The patch has ${list.length} operations; this server applies at most ${limits.maxOperations}`,
    );
  }
  const ops = list.map(checkOperation);
  const doc = structuredClone(resource) as unknown as Record<string, unknown>;
  let copied = 0;
  ops.forEach((op, i) => {
    if (op.op === 'copy') {
      copied += JSON.stringify(valueAt(doc, op.from) ?? null).length;
      if (copied > limits.maxCopiedBytes)
        patchError(
          'PATCH_TOO_LARGE',
          `operation ${i} (copy) takes the copied data past ${limits.maxCopiedBytes} bytes`,
        );
    }
    const [error] = applyPatch(doc, [op]);
    if (!error) return;
    if (op.op === 'test')
      patchError('PATCH_TEST_FAILED', `operation ${i} (test of "${op.path}") failed: the value differs`);
    patchError('PATCH_FAILED', `operation ${i} (${op.op} "${op.path}") cannot be applied: ${error.message}`);
  });
  return doc as unknown as Resource;
}
