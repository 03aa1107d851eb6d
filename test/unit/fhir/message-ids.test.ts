/** The message-id catalogue (src/fhir/message-ids.ts) against src/ and docs/messages.md. */
import { readFileSync } from 'node:fs';
import { MESSAGE_IDS, type MessageId } from '../../../src/fhir/message-ids.ts';
import type { PatchErrorId } from '../../../src/fhir/patch/patch-error.ts';
import type { SearchErrorId } from '../../../src/fhir/search/search-error.ts';
import type { MappingErrorId } from '../../../src/credentials/mapping/mapping-error.ts';
import type { PackageUploadCode } from '../../../src/packages/install.ts';
import { MESSAGES } from '../../../src/validation/messages.ts';
import { literalIds, MESSAGES_DOC, messagesMarkdown, sourceFiles, usesOf } from '../../../scripts/docs-messages.ts';

/**
 * Compile-time: every closed union of ids that reaches issue() is within the catalogue, or this does not typecheck
 * (the $verify failure codes are checked where they are mapped, credentials/verdict.ts).
 */
const catalogued = (
  ids: ReadonlyArray<PatchErrorId | SearchErrorId | MappingErrorId | PackageUploadCode | keyof typeof MESSAGES>,
): readonly MessageId[] => ids;

const files = sourceFiles();

describe('message-id catalogue', () => {
  test('when src/ is scanned, then every catalogue id is used somewhere in it', () => {
    const unused = [...usesOf(files)].filter(([, where]) => where.length === 0).map(([id]) => id);
    expect(unused).toEqual([]);
  });

  test('when src/ is scanned, then every literal id given to an issue is in the catalogue', () => {
    const ids = literalIds(files);
    expect(ids.size).toBeGreaterThan(100);
    expect([...ids].filter((id) => !(id in MESSAGE_IDS))).toEqual([]);
  });

  test('when ids come from the closed unions of search, patch, mapping and package errors, then they are catalogued', () => {
    expect(
      catalogued([
        'SEARCH_DATE_INVALID',
        'PATCH_INVALID',
        'MAPPING_CODE_UNMAPPED',
        'PACKAGE_CORRUPT',
        'CARDINALITY_MIN',
      ]).filter((id) => !(id in MESSAGE_IDS)),
    ).toEqual([]);
  });

  test('when the validation engine table is read, then each of its ids is in the catalogue under validation/', () => {
    const keys = Object.keys(MESSAGES);
    expect(keys.length).toBeGreaterThan(30);
    expect(keys.filter((k) => MESSAGE_IDS[k as MessageId] !== 'validation')).toEqual([]);
  });

  test('when ids are listed, then each is upper snake case and names an existing part of src/', () => {
    const parts = new Set([...files.keys()].map((p) => (p.split('/').length > 2 ? p.split('/')[1] : 'app')));
    for (const [id, part] of Object.entries(MESSAGE_IDS)) {
      expect([id, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/.test(id), parts.has(part)]).toEqual([id, true, true]);
    }
  });

  test('when docs/messages.md is read, then it is what npm run docs:messages writes', () => {
    const doc = readFileSync(MESSAGES_DOC, 'utf8');
    expect(doc).toBe(messagesMarkdown(files));
    expect(doc).toMatch(
      /^\| `OPERATION_PARAM_MISSING` \| http \| .*needs the parameter.* \| `src\/http\/operations\/input\.ts` \|$/m,
    );
  });
});
