/**
 * Direct forms of the R4 and IPS invariants that dominated validating an IPS document once the definitions'
 * invariants had theirs (ADR 0068): each is evaluated on every Observation, Condition, AllergyIntolerance, Consent,
 * Period and Timing of a Bundle, and several read %resource, so the per-object memo of FHIRPath results does not
 * apply. As in resource-shortcuts.ts, each answers only from a plain shape (an element present as a non-empty object
 * or list, or absent with no `_name` twin) and defers otherwise; a test proves each against the FHIRPath engine.
 * https://hl7.org/fhir/R4/observation.html#invs
 */
import { absent, has, hasCoding, isObject, list, type ResourceShortcut, UNSURE } from './shortcut-shape.ts';

const CONDITION_VER = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const ALLERGY_VER = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';
/** The value[x] types of Observation in R4, as JSON name suffixes. */
const OBSERVATION_VALUES = [
  'Quantity',
  'CodeableConcept',
  'String',
  'Boolean',
  'Integer',
  'Range',
  'Ratio',
  'SampledData',
  'Time',
  'DateTime',
  'Period',
];

const object = (v: unknown) => {
  if (!isObject(v)) throw UNSURE;
  return v;
};

/** `patient.exists() or …` (ppc-2..5): sure only when the patient is there. */
const consentPatient: ResourceShortcut = (v) => (has(object(v), 'patient', 'object') ? true : undefined);

export const CLINICAL_SHORTCUTS: ReadonlyMap<string, ResourceShortcut> = new Map<string, ResourceShortcut>([
  [
    // obs-7: with no component, `component.code.where(…)` is empty whatever the criterion, so `.empty()` is true.
    'value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()',
    (v) => (absent(object(v), 'component') ? true : undefined),
  ],
  [
    // vs-2
    '(component.empty() and hasMember.empty()) implies (dataAbsentReason.exists() or value.exists())',
    (v) => {
      const o = object(v);
      if (list(o, 'component').length > 0 || list(o, 'hasMember').length > 0) return true;
      if (has(o, 'dataAbsentReason', 'object')) return true;
      const valued = OBSERVATION_VALUES.some((t) => {
        const x = o[`value${t}`];
        return x !== undefined && x !== null && x !== '' && !(isObject(x) && Object.keys(x).length === 0);
      });
      return valued ? true : undefined;
    },
  ],
  [
    // vs-1, on Observation.effective[x]: a string of 8 characters or more passes whether it is a dateTime (its
    // length) or another type (`as dateTime` is empty, and so is the comparison).
    '($this as dateTime).toString().length() >= 8',
    (v) => (typeof v === 'string' && v.length >= 8 ? true : undefined),
  ],
  [
    // con-3
    "clinicalStatus.exists() or verificationStatus.coding.where(system='http://terminology.hl7.org/CodeSystem/condition-ver-status' and code = 'entered-in-error').exists() or category.select($this='problem-list-item').empty()",
    (v) => {
      const o = object(v);
      return has(o, 'clinicalStatus', 'object') || absent(o, 'category') ? true : undefined;
    },
  ],
  [
    // con-5
    "verificationStatus.coding.where(system='http://terminology.hl7.org/CodeSystem/condition-ver-status' and code='entered-in-error').empty() or clinicalStatus.empty()",
    (v) => {
      const o = object(v);
      const clinical = has(o, 'clinicalStatus', 'object');
      return !hasCoding(o.verificationStatus, CONDITION_VER, 'entered-in-error') || !clinical;
    },
  ],
  [
    // ait-1
    "verificationStatus.coding.where(system = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification' and code = 'entered-in-error').exists() or clinicalStatus.exists()",
    (v) => {
      const o = object(v);
      const clinical = has(o, 'clinicalStatus', 'object');
      return hasCoding(o.verificationStatus, ALLERGY_VER, 'entered-in-error') || clinical;
    },
  ],
  [
    // ait-2
    "verificationStatus.coding.where(system = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification' and code = 'entered-in-error').empty() or clinicalStatus.empty()",
    (v) => {
      const o = object(v);
      const clinical = has(o, 'clinicalStatus', 'object');
      return !hasCoding(o.verificationStatus, ALLERGY_VER, 'entered-in-error') || !clinical;
    },
  ],
  [
    "patient.exists() or scope.coding.where(system='something' and code='patient-privacy').exists().not()",
    consentPatient,
  ],
  ["patient.exists() or scope.coding.where(system='something' and code='research').exists().not()", consentPatient],
  ["patient.exists() or scope.coding.where(system='something' and code='adr').exists().not()", consentPatient],
  ["patient.exists() or scope.coding.where(system='something' and code='treatment').exists().not()", consentPatient],
  [
    // per-1: with either end missing, `hasValue().not()` is true.
    'start.hasValue().not() or end.hasValue().not() or (start <= end)',
    (v) => {
      const o = object(v);
      return absent(o, 'start') || absent(o, 'end') ? true : undefined;
    },
  ],
  [
    // tim-5
    'period.exists() implies period >= 0',
    (v) => {
      const o = object(v);
      if (absent(o, 'period')) return true;
      return typeof o.period === 'number' && o._period === undefined && o.period >= 0 ? true : undefined;
    },
  ],
  [
    // bdl-ips-1 (IPS Bundle): no Composition after the first entry.
    'entry.tail().where(resource is Composition).empty()',
    (v) =>
      !list(object(v), 'entry')
        .slice(1)
        .map((e) => {
          if (e.resource === undefined) return false;
          const r = object(e.resource);
          if (typeof r.resourceType !== 'string') throw UNSURE;
          return r.resourceType === 'Composition';
        })
        .some(Boolean),
  ],
]);
