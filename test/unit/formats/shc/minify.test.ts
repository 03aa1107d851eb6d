import { minifyBundle } from '../../../../src/formats/shc/minify.ts';
import { expectFormatError } from '../fixtures.ts';

const full = {
  resourceType: 'Bundle',
  id: 'b1',
  type: 'collection',
  entry: [
    {
      fullUrl: 'https://ehr.example/fhir/Patient/p1',
      resource: {
        resourceType: 'Patient',
        id: 'p1',
        meta: { versionId: '3', security: [{ code: 'IAL1.2' }] },
        text: { status: 'generated', div: '<div/>' },
        name: [{ family: 'Doe' }],
      },
    },
    {
      fullUrl: 'urn:uuid:6f1d',
      resource: {
        resourceType: 'Immunization',
        id: 'i1',
        meta: { lastUpdated: '2021-01-01' },
        status: 'completed',
        vaccineCode: {
          text: 'Moderna',
          coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '207', display: 'COVID-19 mRNA' }],
        },
        patient: { reference: 'Patient/p1' },
        performer: [{ actor: { display: 'ABC General Hospital' } }],
      },
    },
    {
      fullUrl: 'urn:uuid:9a',
      resource: {
        resourceType: 'Observation',
        status: 'final',
        subject: { reference: 'https://ehr.example/fhir/Patient/p1' },
        hasMember: [{ reference: 'urn:uuid:6f1d' }],
      },
    },
  ],
};

describe('SHC bundle minification', () => {
  test('when a full bundle is minified, then ids, meta (but security), narrative, CodeableConcept.text and Coding.display go and references become resource:N', () => {
    expect(minifyBundle(full)).toEqual({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        {
          fullUrl: 'resource:0',
          resource: { resourceType: 'Patient', meta: { security: [{ code: 'IAL1.2' }] }, name: [{ family: 'Doe' }] },
        },
        {
          fullUrl: 'resource:1',
          resource: {
            resourceType: 'Immunization',
            status: 'completed',
            vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '207' }] },
            patient: { reference: 'resource:0' },
            performer: [{ actor: { display: 'ABC General Hospital' } }],
          },
        },
        {
          fullUrl: 'resource:2',
          resource: {
            resourceType: 'Observation',
            status: 'final',
            subject: { reference: 'resource:0' },
            hasMember: [{ reference: 'resource:1' }],
          },
        },
      ],
    });
  });

  test('when the input is not a Bundle with entries, then SHC_INVALID', () => {
    expectFormatError(
      () => minifyBundle({ resourceType: 'Patient' }),
      'SHC_INVALID',
      'SHC: the value to minify is not a Bundle with entries',
    );
  });

  test('when the input is minified, then the original is left untouched', () => {
    const before = JSON.stringify(full);
    minifyBundle(full);
    expect(JSON.stringify(full)).toBe(before);
  });
});
