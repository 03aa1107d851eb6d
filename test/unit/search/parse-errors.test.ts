import { OutcomeError, messageIdOf } from '../../../src/fhir/outcome.ts';
import { parseSearchQuery } from '../../../src/fhir/search/parse.ts';

function parseError(resourceType: string, search: string): OutcomeError {
  try {
    parseSearchQuery(resourceType, [...new URLSearchParams(search)] as Array<[string, string]>, {
      defaultCount: 20,
      maxCount: 100,
    });
  } catch (err) {
    return err as OutcomeError;
  }
  throw new Error(`expected ${resourceType}?${search} to be rejected`);
}

describe('parseSearchQuery: malformed values are rejected with stable ids', () => {
  test.each([
    [
      'Immunization',
      'date=2021-13',
      'SEARCH_DATE_INVALID',
      "'2021-13' is not a valid date search value",
      'Immunization?date',
    ],
    [
      'Immunization',
      'date=xx2021',
      'SEARCH_DATE_INVALID',
      "'xx2021' is not a valid date search value",
      'Immunization?date',
    ],
    [
      'Immunization',
      'date=2021-02-30',
      'SEARCH_DATE_INVALID',
      "'2021-02-30' is not a valid date search value",
      'Immunization?date',
    ],
    [
      'RiskAssessment',
      'probability=gtabc',
      'SEARCH_NUMBER_INVALID',
      "'gtabc' is not a valid number search value",
      'RiskAssessment?probability',
    ],
    [
      'Observation',
      'value-quantity=5|mg',
      'SEARCH_QUANTITY_INVALID',
      "'5|mg' is not a valid quantity search value ([prefix]number|system|code)",
      'Observation?value-quantity',
    ],
    [
      'Observation',
      'value-quantity=five',
      'SEARCH_QUANTITY_INVALID',
      "'five' is not a valid quantity search value ([prefix]number|system|code)",
      'Observation?value-quantity',
    ],
    [
      'Immunization',
      'status:exact=x',
      'SEARCH_MODIFIER_UNSUPPORTED',
      "Modifier :exact is not supported on token parameter 'status'",
      'Immunization?status:exact',
    ],
    [
      'Immunization',
      'date:not=2021',
      'SEARCH_MODIFIER_UNSUPPORTED',
      "Modifier :not is not supported on date parameter 'date'",
      'Immunization?date:not',
    ],
    [
      'Immunization',
      'vaccine-code:in=http://x',
      'SEARCH_MODIFIER_UNSUPPORTED',
      "Modifier :in is not supported on token parameter 'vaccine-code'",
      'Immunization?vaccine-code:in',
    ],
    [
      'Immunization',
      'status:missing=maybe',
      'SEARCH_MISSING_INVALID',
      ":missing takes true or false, got 'maybe'",
      'Immunization?status:missing',
    ],
    [
      'Immunization',
      'patient:Group=g1',
      'SEARCH_REFERENCE_TYPE_INVALID',
      'Group is not a target type of Immunization.patient',
      'Immunization?patient:Group',
    ],
    [
      'Observation',
      'subject:Patient=Group/g1',
      'SEARCH_REFERENCE_TYPE_INVALID',
      "'Group/g1' does not match the type modifier :Patient",
      'Observation?subject:Patient',
    ],
    [
      'Immunization',
      'status.code=x',
      'SEARCH_CHAIN_NOT_REFERENCE',
      "'status' is not a reference parameter and cannot be chained",
      'Immunization?status.code',
    ],
    [
      'Immunization',
      'patient.nonsense=x',
      'SEARCH_CHAIN_UNKNOWN_PARAM',
      "Patient has no search parameter 'nonsense'",
      'Immunization?patient.nonsense',
    ],
    [
      'Observation',
      'subject.name=x',
      'SEARCH_CHAIN_AMBIGUOUS',
      "Chain 'subject.name' is ambiguous: name the target type, e.g. subject:Patient.name",
      'Observation?subject.name',
    ],
    [
      'Immunization',
      'patient.organization.partof.partof.name=x',
      'SEARCH_CHAIN_TOO_DEEP',
      "At most 3 levels of chaining are supported ('patient.organization.partof.partof.name')",
      'Immunization?patient.organization.partof.partof.name',
    ],
    [
      'Immunization',
      '_count=-1',
      'SEARCH_COUNT_INVALID',
      "_count must be a non-negative integer, got '-1'",
      'Immunization?_count',
    ],
    [
      'Immunization',
      '_count=ten',
      'SEARCH_COUNT_INVALID',
      "_count must be a non-negative integer, got 'ten'",
      'Immunization?_count',
    ],
    [
      'Immunization',
      '_offset=1.5',
      'SEARCH_OFFSET_INVALID',
      "_offset must be a non-negative integer, got '1.5'",
      'Immunization?_offset',
    ],
    [
      'Immunization',
      '_snapshot=abc',
      'SEARCH_SNAPSHOT_INVALID',
      "_snapshot must be a non-negative integer, got 'abc'",
      'Immunization?_snapshot',
    ],
    [
      'Immunization',
      '_sort=nonsense',
      'SEARCH_SORT_INVALID',
      "Cannot sort Immunization by 'nonsense'",
      'Immunization?_sort',
    ],
    [
      'Observation',
      '_sort=code-value-quantity',
      'SEARCH_SORT_INVALID',
      "Cannot sort Observation by 'code-value-quantity'",
      'Observation?_sort',
    ],
    [
      'Immunization',
      '_total=maybe',
      'SEARCH_TOTAL_INVALID',
      "_total must be none, estimate or accurate, got 'maybe'",
      'Immunization?_total',
    ],
    [
      'Immunization',
      '_include=Immunization',
      'SEARCH_INCLUDE_INVALID',
      "Invalid _include 'Immunization': expected Type:parameter[:targetType]",
      'Immunization?_include',
    ],
    [
      'Immunization',
      '_include=Immunization:status',
      'SEARCH_INCLUDE_INVALID',
      "Invalid _include 'Immunization:status': 'status' is not a reference parameter of Immunization",
      'Immunization?_include',
    ],
    [
      'Immunization',
      '_include=Patient:organization',
      'SEARCH_INCLUDE_INVALID',
      "Invalid _include 'Patient:organization': the source type must be Immunization",
      'Immunization?_include',
    ],
    [
      'Immunization',
      '_include=Immunization:patient:Group',
      'SEARCH_INCLUDE_INVALID',
      "Invalid _include 'Immunization:patient:Group': Group is not a target of Immunization:patient",
      'Immunization?_include',
    ],
    [
      'Patient',
      '_revinclude=Immunization:patient:Group',
      'SEARCH_INCLUDE_INVALID',
      "Invalid _revinclude 'Immunization:patient:Group': Group is not a target of Immunization:patient",
      'Patient?_revinclude',
    ],
  ])('when %s?%s, then it fails with %s', (resourceType, search, id, text, expression) => {
    const err = parseError(resourceType, search);
    expect(err).toBeInstanceOf(OutcomeError);
    expect(err.kind).toBe('invalid');
    expect(messageIdOf(err.outcome)).toBe(id);
    expect(err.message).toBe(text);
    expect(err.outcome.issue?.[0]).toMatchObject({ severity: 'error', code: 'invalid', expression: [expression] });
  });
});
