/**
 * What ddcc-vs-plan.ts was audited against (ADR 0073): the constraints and slicing discriminators of the profiles the
 * validator walks on the rebuilt DDCC:VS document, each read for whether it can see a slot's value (a payload value).
 * None can beyond presence, which the skeleton signature fixes. A loaded package with any other constraint or
 * discriminator, or with a fixed value, pattern, value limit or required/extensible binding on a slot element, turns
 * the plan off (every request then takes the generic validator).
 */
import { DDCC } from './mapping/vaccination.ts';

/** Profiles walked on the document (by canonical) and base types walked inside it (by name). */
export const WALKED_PROFILES: readonly string[] = [
  ...[
    'DDCCVSDocument',
    'DDCCComposition',
    'DDCCVSComposition',
    'DDCCPatient',
    'DDCCOrganization',
    'DDCCImmunization',
    'DDCCEventBrand',
    'DDCCCountryOfEvent',
    'DDCCVaccineMarketAuthorization',
    'DDCCVaccineValidFrom',
  ].map((id) => `${DDCC}${id}`),
  'Coding',
  'CodeableConcept',
  'Identifier',
  'HumanName',
  'Reference',
  'Extension',
  'Meta',
];

/** key and expression of each audited constraint, with why a slot's value cannot change its result. */
const CONSTRAINTS: readonly (readonly [string, string, string])[] = [
  ['bdl-1', "total.empty() or (type = 'searchset') or (type = 'history')", 'constants'],
  ['bdl-2', "entry.search.empty() or (type = 'searchset')", 'constants'],
  [
    'bdl-3',
    "entry.all(request.exists() = (%resource.type = 'batch' or %resource.type = 'transaction' or %resource.type = 'history'))",
    'constants',
  ],
  [
    'bdl-4',
    "entry.all(response.exists() = (%resource.type = 'batch-response' or %resource.type = 'transaction-response' or %resource.type = 'history'))",
    'constants',
  ],
  [
    'bdl-7',
    "(type = 'history') or entry.where(fullUrl.exists()).select(fullUrl&resource.meta.versionId).isDistinct()",
    'fullUrls: the signature requires distinct urn:uuid fullUrls',
  ],
  ['bdl-9', "type = 'document' implies (identifier.system.exists() and identifier.value.exists())", 'presence'],
  ['bdl-10', "type = 'document' implies (timestamp.hasValue())", 'presence'],
  ['bdl-11', "type = 'document' implies entry.first().resource.is(Composition)", 'constants'],
  ['bdl-12', "type = 'message' implies entry.first().resource.is(MessageHeader)", 'constants'],
  ['ele-1', 'hasValue() or (children().count() > id.count())', 'presence (empty strings are refused per slot)'],
  ['ext-1', 'extension.exists() != value.exists()', 'presence'],
  ['bdl-5', 'resource.exists() or request.exists() or response.exists()', 'presence'],
  ['bdl-8', "fullUrl.contains('/_history/').not()", 'fullUrls are urn:uuid by the signature'],
  ['dom-2', 'contained.contained.empty()', 'no contained'],
  [
    'dom-3',
    "contained.where((('#'+id in (%resource.descendants().reference | %resource.descendants().as(canonical) | %resource.descendants().as(uri) | %resource.descendants().as(url))) or descendants().where(reference = '#').exists() or descendants().where(as(canonical) = '#').exists() or descendants().where(as(canonical) = '#').exists()).not()).trace('unmatched', id).empty()",
    'no contained: the where() has nothing to test',
  ],
  ['dom-4', 'contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()', 'no contained'],
  ['dom-5', 'contained.meta.security.empty()', 'no contained'],
  ['dom-6', 'text.`div`.exists()', 'no narrative (a warning the verdict drops)'],
  ['cmp-1', 'text.exists() or entry.exists() or section.exists()', 'constants'],
  ['cmp-2', 'emptyReason.empty() or entry.empty()', 'constants'],
  ['ips-pat-1', 'family.exists() or given.exists() or text.exists()', 'presence'],
  [
    'pat-cnt-2or3-char',
    "country.empty() or (country.memberOf('http://hl7.org/fhir/ValueSet/iso3166-1-2') or country.memberOf('http://hl7.org/fhir/ValueSet/iso3166-1-3'))",
    'no address',
  ],
  ['pat-1', 'name.exists() or telecom.exists() or address.exists() or organization.exists()', 'no contact'],
  ['org-1', '(identifier.count() + name.count()) > 0', 'presence'],
  ['org-2', "where(use = 'home').empty()", 'no address'],
  ['org-3', "where(use = 'home').empty()", 'no telecom'],
  ['imm-1', 'documentType.exists() or reference.exists()', 'no education'],
  [
    'ref-1',
    "reference.startsWith('#').not() or (reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))",
    'references are urn:uuid by the signature',
  ],
];

export const AUDITED_CONSTRAINTS: ReadonlySet<string> = new Set(CONSTRAINTS.map(([k, e]) => `${k}\u0000${e}`));

/** Slicing discriminators (element path, type, path) whose values are constants of the rebuild. */
const DISCRIMINATORS: readonly string[] = [
  'Bundle.link value relation',
  'Bundle.entry type resource',
  'Composition.section value code',
  'Composition.section type focus',
  'Patient.name value use',
  'Patient.name exists text',
  'Immunization.protocolApplied type authority',
];

/** Extension slicing by url (every extension url in the document is a constant) is audited wherever it occurs. */
const EXTENSION_SLICING = /\.(extension|modifierExtension)$/;

export const AUDITED_DISCRIMINATORS = {
  has(key: string): boolean {
    const [path, type, dpath] = key.split('\u0000');
    if (type === 'value' && dpath === 'url' && EXTENSION_SLICING.test(path ?? '')) return true;
    return DISCRIMINATORS.includes(`${path} ${type} ${dpath}`);
  },
};

/** Element paths (as in the snapshots) whose values are, or hold, slot values. */
export const SLOT_ELEMENTS: ReadonlySet<string> = new Set([
  'Bundle.identifier.value',
  'Bundle.timestamp',
  'Bundle.link.url',
  'Bundle.entry.fullUrl',
  'Composition.identifier.value',
  'Composition.date',
  'Patient.name.text',
  'Patient.birthDate',
  'Patient.identifier',
  'Patient.identifier.system',
  'Patient.identifier.value',
  'Organization.name',
  'Immunization.extension',
  'Extension.value[x]',
  'Immunization.vaccineCode',
  'Immunization.vaccineCode.coding',
  'Immunization.vaccineCode.coding.system',
  'Immunization.vaccineCode.coding.code',
  'Immunization.vaccineCode.coding.display',
  'Immunization.occurrence[x]',
  'Immunization.location.display',
  'Immunization.lotNumber',
  'Immunization.protocolApplied.targetDisease',
  'Immunization.protocolApplied.doseNumber[x]',
  'Immunization.protocolApplied.seriesDoses[x]',
  'Immunization.manufacturer',
  'Coding.system',
  'Coding.code',
  'Coding.display',
  'CodeableConcept.coding',
  'Identifier.system',
  'Identifier.value',
  'HumanName.text',
  'Reference.identifier',
  'Reference.display',
]);
