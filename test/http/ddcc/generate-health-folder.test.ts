/**
 * `$generateHealthFolder` against the IG's OperationDefinition, with the IPS Bundle the who.ddcc package carries:
 * one DDCC document per completed Immunization, all in one new Folder (List) that is returned and stored.
 */
import type { Bundle, Immunization, List } from '@medplum/fhirtypes';
import type { TestApp } from '../../helpers/test-app.ts';
import { covidImmunization } from '../../unit/credentials/fixtures.ts';
import { ddccPackage, ddccServer, get, idsOf, igOperation, parametersWith, post } from './ddcc-support.ts';

let t: TestApp;
beforeAll(async () => {
  t = await ddccServer();
});
afterAll(async () => {
  await t.close();
});

const def = igOperation('generateHealthFolder');
const input = def.parameter!.find((p) => p.use === 'in')!;
const output = def.parameter!.find((p) => p.use === 'out')!;

function ipsExample(): Bundle {
  const found = ddccPackage().resources.find(
    (r) => r.resourceType === 'Bundle' && r.id === 'IPS-Immunization-Example-Bundle-01',
  );
  if (!found) throw new Error('who.ddcc has no IPS example Bundle');
  return structuredClone(found) as unknown as Bundle;
}

/**
 * The example's Immunizations completed with what DDCC:VS and the EU DCC need and the IPS example leaves out
 * (brand, country, MA holder, centre, disease, dose numbers; and a vaccine code the EU DCC maps), taken from the COVID-19
 * fixture of the credential tests. The example's own patient, date and lot stay.
 */
function certifiable(bundle: Bundle): Bundle {
  const { extension, vaccineCode, protocolApplied, location } = covidImmunization();
  for (const e of bundle.entry!) {
    if (e.resource?.resourceType !== 'Immunization') continue;
    Object.assign(e.resource as Immunization, {
      extension,
      vaccineCode,
      location,
      protocolApplied: protocolApplied!.map(({ authority: _a, ...p }) => p),
    });
  }
  return bundle;
}

const counts = async () =>
  Promise.all(
    ['Bundle', 'Patient', 'Immunization', 'DocumentReference', 'List'].map(
      async (type) => (await get(t, `${type}?_summary=count`)).body.total as number,
    ),
  );

describe('$generateHealthFolder as the IG declares it', () => {
  it(`when an IPS Bundle is sent as "${input.name}", then the declared ${output.type} comes back: a DDCC Folder with one document per Immunization`, async () => {
    const bundle = certifiable(ipsExample());
    const immunizations = bundle.entry!.filter((e) => e.resource?.resourceType === 'Immunization').length;
    const res = await post(t, 'Bundle/$generateHealthFolder', parametersWith(input.name!, bundle));
    expect([res.status, res.body.issue]).toEqual([201, undefined]);
    const folder = res.body as List;
    expect(folder.resourceType).toBe(output.type);
    expect(folder.code?.coding?.[0]?.code).toBe('folder');
    expect(folder.entry).toHaveLength(immunizations);
    expect((await get(t, `List/${folder.id}`)).body.id).toBe(folder.id);
    for (const entry of folder.entry!) {
      const ref = await get(t, entry.item.reference!);
      expect(ref.body.status).toBe('current');
      const doc = await get(t, ref.body.content[0].attachment.url);
      expect(doc.body.type).toBe('document');
      expect(doc.body.link[0].url).toBe(`urn:HCID:${folder.identifier![0]!.value!.slice('urn:HCID:'.length)}`);
    }
  });

  it('when the IPS example is sent as it is (no brand, country or dose numbers), then 422 names the missing value and nothing is written', async () => {
    const before = await counts();
    const res = await post(t, 'Bundle/$generateHealthFolder', parametersWith(input.name!, ipsExample()));
    expect(res.status).toBe(422);
    expect(idsOf(res.body)).toEqual(['MAPPING_VALUE_MISSING']);
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['not a Bundle', { resourceType: 'Basic' }],
    ['a Bundle without a Patient', { resourceType: 'Bundle', type: 'collection', entry: [] }],
  ])('when "%s" is sent, then 422 DDCC_FOLDER_BUNDLE_INVALID', async (_what, bundle) => {
    const res = await post(t, 'Bundle/$generateHealthFolder', parametersWith(input.name!, bundle));
    expect(res.status).toBe(422);
    expect(idsOf(res.body)).toEqual(['DDCC_FOLDER_BUNDLE_INVALID']);
  });

  it(`when "${input.name}" (min ${input.min}) is left out, then 400 OPERATION_PARAM_MISSING`, async () => {
    const res = await post(t, 'Bundle/$generateHealthFolder', { resourceType: 'Parameters', parameter: [] });
    expect(res.status).toBe(400);
    expect(idsOf(res.body)).toEqual(['OPERATION_PARAM_MISSING']);
  });
});
