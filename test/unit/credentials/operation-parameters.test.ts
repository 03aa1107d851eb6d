/** Parameters in and out of the credential operations: read by http/operations/ against the OperationDefinition. */
import type { Parameters } from '@medplum/fhirtypes';
import { OutcomeError } from '../../../src/fhir/outcome.ts';
import { healthCardsIssueToParameters } from '../../../src/credentials/operation-parameters.ts';
import { loadOperationDefinition, readOperationInput } from '../../../src/http/operations/input.ts';
import { readHealthCardsIssueRequest, readVerifyRequest } from '../../../src/http/operations/verify-input.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const params = (...parameter: NonNullable<Parameters['parameter']>): Parameters => ({
  resourceType: 'Parameters',
  parameter,
});
const VERIFY = loadOperationDefinition('verify');
const HEALTH_CARDS = loadOperationDefinition('health-cards-issue');
const readVerifyParameters = (p: Parameters, now: Date) =>
  readVerifyRequest(readOperationInput(VERIFY, { query: [], body: p }), now);
const readHealthCardsIssueParameters = (p: Parameters) =>
  readHealthCardsIssueRequest(readOperationInput(HEALTH_CARDS, { query: [], body: p }));

function rejection(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OutcomeError);
    const i = (e as OutcomeError).outcome.issue![0]!;
    return { kind: (e as OutcomeError).kind, id: i.details?.coding?.[0]?.code, text: i.details?.text };
  }
  throw new Error('expected a rejection');
}

describe('$verify input', () => {
  test('when every parameter is given, then credential, clock, certificates, JWKS and passcode are read', () => {
    const r = readVerifyParameters(
      params(
        { name: 'credential', valueString: 'HC1:ABC' },
        { name: 'validationTime', valueDateTime: '2021-06-01T00:00:00Z' },
        { name: 'trustedCertificate', valueString: 'MIIB' },
        { name: 'trustedCertificate', valueString: '-----BEGIN CERTIFICATE-----' },
        { name: 'issuerJwks', valueString: '{"keys":[]}' },
        { name: 'passcode', valueString: '1234' },
      ),
      NOW,
    );
    expect(r).toEqual({
      credential: 'HC1:ABC',
      validationTime: new Date('2021-06-01T00:00:00Z'),
      trustedCertificates: ['MIIB', '-----BEGIN CERTIFICATE-----'],
      issuerJwks: '{"keys":[]}',
      passcode: '1234',
    });
  });

  test('when no validationTime is given, then now is used', () => {
    expect(readVerifyParameters(params({ name: 'credential', valueString: 'x' }), NOW).validationTime).toEqual(NOW);
  });

  test('when the credential is missing, then VERIFY_CREDENTIAL_MISSING is raised', () => {
    expect(rejection(() => readVerifyParameters(params(), NOW))).toEqual({
      kind: 'invalid',
      id: 'VERIFY_CREDENTIAL_MISSING',
      text: 'Parameter credential (valueString) is required',
    });
  });

  test('when validationTime is not a dateTime, then PARAMETER_DATETIME_INVALID names it', () => {
    expect(
      rejection(() =>
        readVerifyParameters(
          params({ name: 'credential', valueString: 'x' }, { name: 'validationTime', valueDateTime: 'yesterday' }),
          NOW,
        ),
      ),
    ).toEqual({
      kind: 'invalid',
      id: 'PARAMETER_DATETIME_INVALID',
      text: 'Parameter validationTime: "yesterday" is not a validation clock: expected an ISO 8601 date-time YYYY-MM-DDThh:mm[:ss[.fff]] with an offset Z, ±hh:mm or ±hhmm',
    });
  });
});

describe('$health-cards-issue parameters', () => {
  test('when types, _since and identity claims are given, then they are read', () => {
    const r = readHealthCardsIssueParameters(
      params(
        { name: 'credentialType', valueUri: 'Immunization' },
        { name: '_since', valueDateTime: '2023-03' },
        { name: 'includeIdentityClaim', valueString: 'Patient.name' },
      ),
    );
    expect(r).toEqual({
      credentialTypes: ['Immunization'],
      since: new Date('2023-03'),
      identityClaims: ['Patient.name'],
    });
  });

  test('when no credentialType is given, then OPERATION_PARAM_MISSING names it (credentialType is 1..* in the definition)', () => {
    expect(rejection(() => readHealthCardsIssueParameters(params()))).toEqual({
      kind: 'invalid',
      id: 'OPERATION_PARAM_MISSING',
      text: '$health-cards-issue needs the parameter "credentialType"',
    });
  });

  test('when _since is not a FHIR dateTime, then PARAMETER_DATETIME_INVALID names it', () => {
    expect(
      rejection(() =>
        readHealthCardsIssueParameters(
          params({ name: 'credentialType', valueUri: 'Immunization' }, { name: '_since', valueDateTime: 'last week' }),
        ),
      ),
    ).toEqual({
      kind: 'invalid',
      id: 'PARAMETER_DATETIME_INVALID',
      text: 'The parameter "_since" must be a FHIR dateTime, got "last week"',
    });
  });

  test('when a card was issued, then the output holds verifiableCredential and resourceLink parts', () => {
    const p = healthCardsIssueToParameters({
      verifiableCredential: ['a.b.c'],
      qr: [['shc:/1']],
      resourceLink: [{ vcIndex: 0, bundledResource: 'resource:1', hostedResource: 'Immunization/i' }],
      warnings: [],
    });
    expect(p.parameter).toEqual([
      { name: 'verifiableCredential', valueString: 'a.b.c' },
      {
        name: 'resourceLink',
        part: [
          { name: 'vcIndex', valueInteger: 0 },
          { name: 'bundledResource', valueUri: 'resource:1' },
          { name: 'hostedResource', valueUri: 'Immunization/i' },
        ],
      },
    ]);
  });
});
