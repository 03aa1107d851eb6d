/**
 * Issuance checks the DDCC document without its QR DocumentReference (before signing), then adds the reference to
 * that same document (ADR 0075) instead of building the document again: the result must be byte for byte the
 * document built with the QR at once, with the same UUID sequence.
 */
import type { Composition, Immunization, Patient } from '@medplum/fhirtypes';
import {
  buildDdccDocument,
  type DdccDocumentInput,
  withQrDocumentReference,
} from '../../../src/credentials/mapping/ddcc-document.ts';
import { covidImmunization, ISSUER_ORG, patient } from './fixtures.ts';

function input(p: Patient, imm: Immunization): DdccDocumentInput {
  let n = 0;
  return {
    patient: p,
    immunization: imm,
    organization: ISSUER_ORG,
    hcid: { system: 'urn:HCID', value: 'URN:UVCI:01:XX:QRDOC' },
    now: new Date('2026-01-01T00:00:00Z'),
    newUuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  };
}

const QRS: NonNullable<DdccDocumentInput['qr']>[] = [
  { text: 'HC1:NCFOXN%TS3DH', image: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), contentType: 'image/png' },
  { text: 'HC1:XYZ', image: new TextEncoder().encode('<svg/>'), contentType: 'image/svg+xml', type: 'who' },
];

describe('the QR DocumentReference added to a checked DDCC document', () => {
  for (const qr of QRS) {
    test(`when a ${qr.contentType} QR is added, then the document is the one built with it at once`, () => {
      const once = buildDdccDocument({ ...input(patient(), covidImmunization()), qr });
      const parts = input(patient(), covidImmunization());
      const checked = buildDdccDocument(parts);
      const before = JSON.stringify(checked);
      const added = withQrDocumentReference(checked, { ...parts, qr });
      expect(JSON.stringify(added)).toBe(JSON.stringify(once));
      // The checked document is left as it was (it is the no-QR answer elsewhere).
      expect(JSON.stringify(checked)).toBe(before);
      const section = (added.entry![0]!.resource as Composition).section![0]!;
      expect(section.entry!.at(-1)).toEqual({ reference: added.entry!.at(-1)!.fullUrl });
      expect(added.entry!.at(-1)!.resource!.resourceType).toBe('DocumentReference');
    });
  }

  test('when the document has no Patient entry, then adding the QR fails loudly', () => {
    const parts = input(patient(), covidImmunization());
    const checked = buildDdccDocument(parts);
    const broken = { ...checked, entry: checked.entry!.filter((e) => e.resource?.resourceType !== 'Patient') };
    expect(() => withQrDocumentReference(broken, { ...parts, qr: QRS[0]! })).toThrow(
      'the DDCC document has no Patient entry',
    );
  });
});
