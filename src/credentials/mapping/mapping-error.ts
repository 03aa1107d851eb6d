/**
 * Mapping failures: a code the IG's ConceptMaps cannot translate, or a value a payload needs that the FHIR
 * resources do not hold. Both become OutcomeError('unprocessable') — HTTP 422 — so a client learns exactly which
 * element blocked the certificate; we never fall back to a guess (a wrong certificate is worse than none).
 */
import { OutcomeError, issue } from '../../fhir/outcome.ts';

/** Stable message ids of the mapping layer (pinned by tests). */
export type MappingErrorId =
  | 'MAPPING_CODE_UNMAPPED' // a coded value has no translation in the loaded ConceptMaps
  | 'MAPPING_VALUE_MISSING' // a value the target payload requires is absent
  | 'MAPPING_NAME_UNSTRUCTURED' // only HumanName.text: we never split a full name on spaces
  | 'MAPPING_NAME_NOT_TRANSLITERABLE' // no Latin (ICAO 9303) form of the name can be derived
  | 'MAPPING_PATIENT_MISMATCH' // an Immunization belongs to another Patient
  | 'MAPPING_NOT_APPLICABLE'; // the requested payload does not apply to this vaccination

/**
 * Builds the 422 OutcomeError for a mapping failure at `expression` (FHIRPath into the source resource).
 * @example throw mappingError('MAPPING_VALUE_MISSING', 'The EU DCC needs the date of birth (dob)', 'Patient.birthDate')
 */
export function mappingError(id: MappingErrorId, text: string, expression: string): OutcomeError {
  const code =
    id === 'MAPPING_CODE_UNMAPPED' ? 'code-invalid' : id === 'MAPPING_VALUE_MISSING' ? 'required' : 'processing';
  return new OutcomeError('unprocessable', issue({ code, id, text, expression }));
}
