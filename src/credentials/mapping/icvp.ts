/**
 * Patient + Immunization → the ICVP payload (DVCPayload of smart.who.int.icvp; hcert claim -260 key -6) for vaccines
 * the International Certificate of Vaccination or Prophylaxis covers (yellow fever, polio…), as the ICVP package's
 * value sets say: ICVPVaccineCodes, ICVPDiseaseTargeted, ICVPProductIds.
 * http://smart.who.int/icvp/StructureDefinition/DVCPayload
 */
import type { Coding, Patient } from '@medplum/fhirtypes';
import { canonicalSystem } from './concept-maps.ts';
import { mappingError } from './mapping-error.ts';
import { SYSTEM, VALUE_SET, type CredentialTerminology } from './terminology.ts';
import { EXT_BRAND, type VaccinationFacts } from './vaccination.ts';

export interface IcvpPayload {
  n: string;
  dob: string;
  s?: string;
  ntl?: string;
  nid?: string;
  v: { vp: string; dt: string; is?: string; bo: string; vls?: string; vle?: string };
}

const inSet = (t: CredentialTerminology, url: string, c: Coding | undefined): boolean =>
  c?.system !== undefined && c.code !== undefined && t.valueSets.contains(url, canonicalSystem(c.system), c.code);

/**
 * True when the ICVP value sets cover this vaccination (vaccine type, disease targeted or prequalified product).
 * @example isIcvpCovered(vaccinationFacts(yellowFever), terminology) // true
 */
export function isIcvpCovered(f: VaccinationFacts, t: CredentialTerminology): boolean {
  return (
    inSet(t, VALUE_SET.icvpVaccines, f.vaccine) ||
    inSet(t, VALUE_SET.icvpProducts, f.vaccine) ||
    inSet(t, VALUE_SET.icvpProducts, f.brand) ||
    f.diseases.some((d) => inSet(t, VALUE_SET.icvpDiseases, d))
  );
}

function productId(f: VaccinationFacts): string {
  const coded = [...(f.immunization.vaccineCode?.coding ?? []), ...(f.brand ? [f.brand] : [])];
  const product = coded.find((c) => c.system === SYSTEM.preQualProduct && c.code);
  if (!product?.code) {
    throw mappingError(
      'MAPPING_VALUE_MISSING',
      `The ICVP payload needs the WHO prequalified product id (${SYSTEM.preQualProduct}) in vaccineCode or DDCCEventBrand`,
      `${f.path}.extension('${EXT_BRAND}').value`,
    );
  }
  return product.code;
}

/**
 * Map one ICVP-covered vaccination. Throws 422 MAPPING_VALUE_MISSING.
 * @example toIcvp(patient, facts, { issuerId: 'XX' }).v.vp // 'YellowFeverProduct…'
 * @see http://smart.who.int/icvp/StructureDefinition/DVCPayload
 */
export function toIcvp(
  patient: Patient,
  f: VaccinationFacts,
  options: { issuerId?: string; validUntil?: string } = {},
): IcvpPayload {
  const official = patient.name?.find((n) => n.use === 'official') ?? patient.name?.[0];
  const n = official?.text ?? [...(official?.given ?? []), official?.family].filter(Boolean).join(' ');
  if (!n) throw mappingError('MAPPING_VALUE_MISSING', 'The ICVP payload needs the person name', 'Patient.name');
  if (!patient.birthDate)
    throw mappingError('MAPPING_VALUE_MISSING', 'The ICVP payload needs the date of birth', 'Patient.birthDate');
  if (!f.lot)
    throw mappingError('MAPPING_VALUE_MISSING', 'The ICVP payload needs the batch number', `${f.path}.lotNumber`);
  const v: IcvpPayload['v'] = { vp: productId(f), dt: f.date.slice(0, 10), bo: f.lot };
  if (options.issuerId) v.is = options.issuerId;
  if (f.validFrom) v.vls = f.validFrom;
  if (options.validUntil) v.vle = options.validUntil;
  const out: IcvpPayload = { n, dob: patient.birthDate, v };
  if (patient.gender) out.s = patient.gender;
  return out;
}
