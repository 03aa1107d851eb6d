/** How a PATCH document fails: 400 when it is not a patch document, 422 when it cannot be applied. */
import { fail } from '../outcome.ts';

export type PatchErrorId =
  | 'PATCH_INVALID'
  | 'PATCH_TOO_MANY_OPERATIONS'
  | 'PATCH_PATH_FORBIDDEN'
  | 'PATCH_MOVE_INTO_ITSELF'
  | 'PATCH_TOO_LARGE'
  | 'PATCH_FAILED'
  | 'PATCH_TEST_FAILED'
  | 'FHIRPATH_PATCH_NO_MATCH'
  | 'FHIRPATH_PATCH_MULTIPLE'
  | 'FHIRPATH_PATCH_INVALID';

export function patchError(id: PatchErrorId, text: string, expression?: string): never {
  const malformed = id === 'PATCH_INVALID' || id === 'FHIRPATH_PATCH_INVALID';
  return fail(malformed ? 'invalid' : 'unprocessable', {
    code: malformed ? 'structure' : 'processing',
    id,
    text,
    expression,
  });
}

export interface PatchLimits {
  /** Most operations in one document. */
  maxOperations: number;
  /** Most bytes (as JSON) that copy operations may duplicate in total (copy loops grow a resource exponentially). */
  maxCopiedBytes: number;
}

/** Elements the server owns: a patch never writes them. */
export const FORBIDDEN_ELEMENTS = new Set(['id', 'meta', 'resourceType']);
