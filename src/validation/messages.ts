/**
 * Stable message ids of the validation engine (carried in `issue.details.coding`, pinned by tests),
 * with their IssueType code (http://hl7.org/fhir/R4/valueset-issue-type.html) and default severity.
 * Names follow the HL7 validator's I18nConstants where an equivalent exists.
 */
import type { IssueCode, IssueSeverity } from '../fhir/outcome.ts';

interface MessageDef {
  readonly code: IssueCode;
  readonly severity: IssueSeverity;
}

export const MESSAGES = {
  VALIDATION_OK: { code: 'informational', severity: 'information' },
  RESOURCE_NOT_OBJECT: { code: 'structure', severity: 'error' },
  RESOURCE_TYPE_UNKNOWN: { code: 'structure', severity: 'error' },
  RESOURCE_TYPE_MISMATCH: { code: 'structure', severity: 'error' },
  PROFILE_UNKNOWN: { code: 'not-supported', severity: 'warning' },
  PROFILE_NOT_CHECKED: { code: 'not-supported', severity: 'information' },
  STRUCTURE_UNKNOWN_ELEMENT: { code: 'structure', severity: 'error' },
  STRUCTURE_CHOICE_MULTIPLE: { code: 'structure', severity: 'error' },
  JSON_ARRAY_EXPECTED: { code: 'structure', severity: 'error' },
  JSON_ARRAY_UNEXPECTED: { code: 'structure', severity: 'error' },
  JSON_OBJECT_EXPECTED: { code: 'structure', severity: 'error' },
  JSON_NULL_IN_ARRAY: { code: 'structure', severity: 'error' },
  CARDINALITY_MIN: { code: 'required', severity: 'error' },
  CARDINALITY_MAX: { code: 'structure', severity: 'error' },
  ELEMENT_EMPTY: { code: 'invalid', severity: 'error' },
  JSON_ARRAY_EMPTY: { code: 'invalid', severity: 'error' },
  RESOURCE_ID_INVALID: { code: 'invalid', severity: 'error' },
  PRIMITIVE_WRONG_JSON_TYPE: { code: 'value', severity: 'error' },
  PRIMITIVE_FORMAT: { code: 'value', severity: 'error' },
  PRIMITIVE_EMPTY: { code: 'value', severity: 'error' },
  FIXED_VALUE_MISMATCH: { code: 'value', severity: 'error' },
  PATTERN_VALUE_MISMATCH: { code: 'value', severity: 'error' },
  SLICE_CARDINALITY_MIN: { code: 'required', severity: 'error' },
  SLICE_CARDINALITY_MAX: { code: 'structure', severity: 'error' },
  SLICE_CLOSED_NO_MATCH: { code: 'structure', severity: 'error' },
  SLICE_ORDER: { code: 'structure', severity: 'error' },
  SLICE_OPEN_AT_END: { code: 'structure', severity: 'error' },
  EXTENSION_UNKNOWN: { code: 'extension', severity: 'warning' },
  EXTENSION_NOT_CHECKED: { code: 'extension', severity: 'information' },
  EXTENSION_URL_MISSING: { code: 'structure', severity: 'error' },
  INVARIANT_FAILED: { code: 'invariant', severity: 'error' },
  INVARIANT_NOT_EVALUATED: { code: 'not-supported', severity: 'warning' },
  CODE_NOT_IN_VALUESET: { code: 'code-invalid', severity: 'error' },
  CODE_NOT_CHECKED: { code: 'not-supported', severity: 'information' },
  VALUESET_NOT_CHECKED: { code: 'not-supported', severity: 'information' },
  CODE_UNKNOWN_IN_CODESYSTEM: { code: 'code-invalid', severity: 'error' },
  CODE_DISPLAY_MISMATCH: { code: 'code-invalid', severity: 'warning' },
  CODESYSTEM_ALIAS: { code: 'informational', severity: 'information' },
  REFERENCE_NOT_RESOLVED: { code: 'not-found', severity: 'error' },
  REFERENCE_EXTERNAL: { code: 'informational', severity: 'warning' },
  REFERENCE_TARGET_TYPE: { code: 'structure', severity: 'error' },
  // A warning: the target's own errors are already reported at the target's path.
  REFERENCE_TARGET_PROFILE: { code: 'structure', severity: 'warning' },
  BUNDLE_DOCUMENT_NO_COMPOSITION: { code: 'structure', severity: 'error' },
  BUNDLE_SECTION_ENTRY_NOT_FOUND: { code: 'not-found', severity: 'error' },
  BUNDLE_FULLURL_DUPLICATE: { code: 'structure', severity: 'error' },
  BUNDLE_FULLURL_RELATIVE: { code: 'invalid', severity: 'error' },
  BUNDLE_ENTRY_UNREACHABLE: { code: 'informational', severity: 'error' },
  // QuestionnaireResponse against its Questionnaire (questionnaire-response.ts).
  QR_QUESTIONNAIRE_NOT_FOUND: { code: 'not-found', severity: 'information' },
  QR_QUESTIONNAIRE_WRONG_TYPE: { code: 'structure', severity: 'error' },
  QR_LINKID_UNKNOWN: { code: 'structure', severity: 'error' },
  QR_ITEM_REPEATED: { code: 'structure', severity: 'error' },
  QR_REQUIRED_MISSING: { code: 'required', severity: 'error' },
  QR_ANSWER_NOT_ALLOWED: { code: 'structure', severity: 'error' },
  QR_ANSWER_NOT_ENABLED: { code: 'structure', severity: 'error' },
  QR_ANSWER_TYPE: { code: 'structure', severity: 'error' },
  QR_ANSWER_NOT_IN_OPTIONS: { code: 'value', severity: 'error' },
  QR_ANSWER_EXCLUSIVE: { code: 'value', severity: 'error' },
  QR_ANSWER_BELOW_MIN: { code: 'value', severity: 'error' },
  QR_ANSWER_ABOVE_MAX: { code: 'value', severity: 'error' },
  QR_ANSWER_TOO_SHORT: { code: 'value', severity: 'error' },
  QR_ANSWER_TOO_LONG: { code: 'value', severity: 'error' },
  QR_ANSWER_DECIMAL_PLACES: { code: 'value', severity: 'error' },
  QR_ANSWER_QUANTITY_INCOMPARABLE: { code: 'value', severity: 'error' },
  QR_ANSWER_UNIT: { code: 'value', severity: 'error' },
  QR_ANSWER_MIME_TYPE: { code: 'value', severity: 'error' },
  QR_ANSWER_UUID: { code: 'value', severity: 'error' },
  QR_REFERENCE_INVALID: { code: 'value', severity: 'error' },
  QR_REFERENCE_TYPE_UNKNOWN: { code: 'value', severity: 'error' },
  QR_REFERENCE_TYPE_NOT_ALLOWED: { code: 'value', severity: 'error' },
} as const satisfies Record<string, MessageDef>;

export type MessageId = keyof typeof MESSAGES;
