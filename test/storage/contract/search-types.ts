/**
 * Contract: search by every parameter type and modifier (token, string, date, reference incl. chains, uri,
 * number, quantity, _id, _lastUpdated), OR within a parameter and AND across parameters.
 */
import type { Resource } from '@medplum/fhirtypes';
import { COVID_VACCINE, SNOMED, createAll, ids, immunization, observation, patient, q, useStore } from './helpers.ts';
import type { MakeStore } from './helpers.ts';

export function searchTypesContract(makeStore: MakeStore): void {
  const { store, clock } = useStore(makeStore);
  const find = async (type: string, search: string): Promise<string[]> =>
    ids((await store().search(q(type, search))).resources);
  const idsOf = (rs: Resource[]): string[] => ids(rs);

  test('when searching tokens, then system|code, |code, system|, code, :not, :missing and :text each match as FHIR says', async () => {
    const [withSys, noSys, otherSys, none] = await createAll(store(), [
      observation({ code: { coding: [{ system: 'http://loinc.org', code: 'A', display: 'Body weight' }] } }),
      observation({ code: { coding: [{ code: 'A' }] } }),
      observation({ code: { coding: [{ system: 'http://other', code: 'B' }], text: 'Weight, measured' } }),
      observation({ code: undefined as never }),
    ]);
    const [a, b, c, d] = idsOf([withSys!, noSys!, otherSys!, none!]);
    expect(await find('Observation', 'code=http://loinc.org|A')).toEqual([a]);
    expect(await find('Observation', 'code=|A')).toEqual([b]);
    expect(await find('Observation', 'code=http://other|')).toEqual([c]);
    expect(await find('Observation', 'code=A')).toEqual([a, b]);
    expect(await find('Observation', 'code:not=A')).toEqual([c, d]);
    expect(await find('Observation', 'code:missing=true')).toEqual([d]);
    expect(await find('Observation', 'code:missing=false')).toEqual([a, b, c]);
    expect(await find('Observation', 'code:text=body')).toEqual([a]);
    expect(await find('Observation', 'code:text=WEIGHT')).toEqual([c]);
  });

  test('when searching Identifier, boolean and ContactPoint tokens, then each matches', async () => {
    const [p1, p2] = await createAll(store(), [
      patient({
        identifier: [{ system: 'urn:nid', value: '123' }],
        active: true,
        telecom: [{ system: 'phone', value: '+41 22' }],
      }),
      patient({
        identifier: [{ system: 'urn:nid', value: '456' }],
        active: false,
        telecom: [{ system: 'email', value: 'a@b.c' }],
      }),
    ]);
    expect(await find('Patient', 'identifier=urn:nid|456')).toEqual([p2!.id]);
    expect(await find('Patient', 'active=true')).toEqual([p1!.id]);
    expect(await find('Patient', 'telecom=a@b.c')).toEqual([p2!.id]);
    expect(await find('Patient', 'telecom=phone|%2B41 22')).toEqual([p1!.id]);
  });

  test('when searching strings, then the default is an accent- and case-insensitive prefix, :exact is exact and :contains is a substring', async () => {
    const [muller, mullerova, other] = await createAll(store(), [
      patient({ name: [{ family: 'Müller', given: ['Zoë'] }] }),
      patient({ name: [{ family: 'Mullerová', given: ['Ana'] }] }),
      patient({ name: [{ family: 'Smith', given: ['Ann'] }], address: [{ city: 'Genève', line: ['1 Rue du Rhône'] }] }),
    ]);
    expect(await find('Patient', 'family=mull')).toEqual([muller!.id, mullerova!.id]);
    expect(await find('Patient', 'family=MÜLLER')).toEqual([muller!.id, mullerova!.id]);
    expect(await find('Patient', 'family:exact=Müller')).toEqual([muller!.id]);
    expect(await find('Patient', 'family:exact=müller')).toEqual([]);
    expect(await find('Patient', 'family:contains=ERO')).toEqual([mullerova!.id]);
    expect(await find('Patient', 'name=zoe')).toEqual([muller!.id]);
    expect(await find('Patient', 'address=rhone')).toEqual([]);
    expect(await find('Patient', 'address:contains=rhone')).toEqual([other!.id]);
    expect(await find('Patient', 'address-city=geneve')).toEqual([other!.id]);
    expect(await find('Patient', 'family:contains=100%')).toEqual([]);
  });

  test('when searching dates with each prefix, then the precision ranges compare as FHIR defines', async () => {
    const [jan, may, may2, dec] = await createAll(store(), [
      immunization({ occurrenceDateTime: '2021-01-15' }),
      immunization({ occurrenceDateTime: '2021-05-01T10:00:00Z' }),
      immunization({ occurrenceDateTime: '2021-05-01T23:30:00-02:00' }),
      immunization({ occurrenceDateTime: '2021-12-31T23:59:59.999Z' }),
    ]);
    const [j, m, m2, d] = idsOf([jan!, may!, may2!, dec!]);
    expect(await find('Immunization', 'date=2021')).toEqual([j, m, m2, d]);
    expect(await find('Immunization', 'date=2021-05')).toEqual([m, m2]);
    expect(await find('Immunization', 'date=2021-05-01')).toEqual([m]);
    expect(await find('Immunization', 'date=eq2021-05-02')).toEqual([m2]);
    expect(await find('Immunization', 'date=2021-05-01T10:00Z')).toEqual([m]);
    expect(await find('Immunization', 'date=2021-05-01T12:00%2B02:00')).toEqual([m]);
    expect(await find('Immunization', 'date=2021-05-01T12:00+02:00')).toEqual([m]); // '+' form-decoded to a space
    expect(await find('Immunization', 'date=ne2021-05')).toEqual([j, d]);
    expect(await find('Immunization', 'date=gt2021-05-01')).toEqual([m2, d]);
    expect(await find('Immunization', 'date=lt2021-05-01')).toEqual([j]);
    expect(await find('Immunization', 'date=ge2021-05-01')).toEqual([m, m2, d]);
    expect(await find('Immunization', 'date=le2021-05-01')).toEqual([j, m]);
    expect(await find('Immunization', 'date=sa2021-06')).toEqual([d]);
    expect(await find('Immunization', 'date=eb2021-05')).toEqual([j]);
    expect(await find('Immunization', 'date=ap2021-01-16')).toEqual([j]);
    expect(await find('Immunization', 'date=2022')).toEqual([]);
  });

  test('when searching a date parameter over a Period, then open and closed periods are ranges', async () => {
    const [closed, open] = await createAll(store(), [
      observation({ effectivePeriod: { start: '2020-01-01', end: '2020-01-31' } }),
      observation({ effectivePeriod: { start: '2020-06-01' } }),
    ]);
    expect(await find('Observation', 'date=2020-01')).toEqual([closed!.id]);
    expect(await find('Observation', 'date=gt2030-01-01')).toEqual([open!.id]);
    expect(await find('Observation', 'date=le2020-02')).toEqual([closed!.id]);
  });

  test('when searching references, then id, Type/id, the :Type modifier and absolute URLs match', async () => {
    const [a, b, c] = await createAll(store(), [
      observation({ subject: { reference: 'Patient/p1' } }),
      observation({ subject: { reference: 'Group/p1' } }),
      observation({ subject: { reference: 'https://other.example/fhir/Patient/p9' } }),
    ]);
    expect(await find('Observation', 'subject=Patient/p1')).toEqual([a!.id]);
    expect(await find('Observation', 'subject=p1')).toEqual([a!.id, b!.id]);
    expect(await find('Observation', 'subject:Group=p1')).toEqual([b!.id]);
    expect(await find('Observation', 'patient=p1')).toEqual([a!.id]);
    expect(await find('Observation', 'subject=https://other.example/fhir/Patient/p9')).toEqual([c!.id]);
    expect(await find('Observation', 'subject:missing=true')).toEqual([]);
  });

  test('when searching a chain, then the referenced resource parameter is matched, with or without a type', async () => {
    const [jane, john] = await createAll(store(), [
      patient({ identifier: [{ system: 'urn:nid', value: 'J1' }], name: [{ family: 'Doe', given: ['Jane'] }] }),
      patient({ identifier: [{ system: 'urn:nid', value: 'J2' }], name: [{ family: 'Roe', given: ['John'] }] }),
    ]);
    const [i1, i2] = await createAll(store(), [
      immunization({ patient: { reference: `Patient/${jane!.id}` } }),
      immunization({ patient: { reference: `Patient/${john!.id}` } }),
    ]);
    expect(await find('Immunization', 'patient.identifier=urn:nid|J2')).toEqual([i2!.id]);
    expect(await find('Immunization', 'patient:Patient.name=doe')).toEqual([i1!.id]);
    expect(await find('Observation', 'subject:Patient.name=doe')).toEqual([]);
    await store().delete('Patient', john!.id as string);
    expect(await find('Immunization', 'patient.identifier=urn:nid|J2')).toEqual([]);
  });

  test('when searching uri, number and quantity parameters, then values and prefixes match', async () => {
    const [vs1] = await createAll(store(), [
      { resourceType: 'ValueSet', status: 'active', url: 'http://example.org/fhir/ValueSet/vaccines' },
      { resourceType: 'ValueSet', status: 'active', url: 'http://example.org/other' },
    ] as Resource[]);
    expect(await find('ValueSet', 'url=http://example.org/fhir/ValueSet/vaccines')).toEqual([vs1!.id]);
    expect(await find('ValueSet', 'url:below=http://example.org/fhir')).toEqual([vs1!.id]);
    const [r1, r2] = await createAll(store(), [
      {
        resourceType: 'RiskAssessment',
        status: 'final',
        subject: { reference: 'Patient/p1' },
        prediction: [{ probabilityDecimal: 0.2 }],
      },
      {
        resourceType: 'RiskAssessment',
        status: 'final',
        subject: { reference: 'Patient/p1' },
        prediction: [{ probabilityDecimal: 0.75 }],
      },
    ] as Resource[]);
    expect(await find('RiskAssessment', 'probability=0.2')).toEqual([r1!.id]);
    expect(await find('RiskAssessment', 'probability=gt0.5')).toEqual([r2!.id]);
    expect(await find('RiskAssessment', 'probability=le0.75')).toEqual([r1!.id, r2!.id]);
    const [o1, o2] = await createAll(store(), [
      observation({ valueQuantity: { value: 5.4, system: 'http://unitsofmeasure.org', code: 'mg', unit: 'mg' } }),
      observation({ valueQuantity: { value: 80, system: 'http://unitsofmeasure.org', code: 'kg', unit: 'kg' } }),
    ]);
    expect(await find('Observation', 'value-quantity=5.4|http://unitsofmeasure.org|mg')).toEqual([o1!.id]);
    expect(await find('Observation', 'value-quantity=5.4||mg')).toEqual([o1!.id]);
    expect(await find('Observation', 'value-quantity=gt10')).toEqual([o2!.id]);
    expect(await find('Observation', 'value-quantity=5.4|http://unitsofmeasure.org|kg')).toEqual([]);
  });

  test('when searching _id and _lastUpdated, then the resource columns match', async () => {
    const first = (await store().create(patient())).resource;
    clock.set('2024-03-01T12:00:00.000Z');
    const second = (await store().create(patient())).resource;
    expect(await find('Patient', `_id=${second.id}`)).toEqual([second.id]);
    expect(await find('Patient', `_id=${first.id},${second.id}`)).toEqual([first.id, second.id]);
    expect(await find('Patient', '_lastUpdated=gt2024-02-01')).toEqual([second.id]);
    expect(await find('Patient', '_lastUpdated=2024-01-01')).toEqual([first.id]);
    expect(await find('Patient', '_lastUpdated=2024-03-01T12:00:00.000Z')).toEqual([second.id]);
    expect(await find('Patient', '_lastUpdated:missing=true')).toEqual([]);
    expect(await find('Patient', '_id:missing=false')).toEqual([first.id, second.id]);
  });

  test('when a parameter has comma values, then they are OR-ed, and repeated parameters are AND-ed', async () => {
    const [a, b] = await createAll(store(), [
      immunization({ status: 'completed', lotNumber: 'AA' }),
      immunization({ status: 'not-done', lotNumber: 'BB' }),
      immunization({ status: 'entered-in-error', lotNumber: 'AA' }),
    ]);
    expect(await find('Immunization', 'status=completed,not-done')).toEqual([a!.id, b!.id]);
    expect(await find('Immunization', 'status=completed,not-done&lot-number=AA')).toEqual([a!.id]);
    expect(await find('Immunization', `vaccine-code=${SNOMED}|${COVID_VACCINE}&vaccine-code=${SNOMED}|other`)).toEqual(
      [],
    );
  });
}
