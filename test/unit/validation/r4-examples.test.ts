/**
 * Every resource of the official R4 examples package (hl7.fhir.r4.examples 4.0.1, a devDependency: never downloaded
 * here) validated against its core definition, as the CLI does: no false error. The multi-megabyte spec Bundles
 * (the definitions of the specification itself, `Bundle-*.json` over 2 MB) are left out; they are counted.
 * The examples that really are invalid are listed below with the rule they break; the test fails when another
 * example gets an error, when a listed one no longer does, or when it gets an error of another kind.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { readBaseR4 } from '../../../src/packages/base-r4.ts';
import { createValidator } from '../../../src/validation/validator.ts';

const DIR = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
const SPEC_BUNDLE_BYTES = 2_000_000;

const UCUM =
  'UCUM: the unit code is not UCUM (tbl, TAB, drop, mEq, mcg, ea, ml/hr, month) though the system says it is';
/** The status-canonical ConceptMaps map comma-joined code lists, or codes their source value set lacks, as source codes. */
const SC_MAP = 'a source code is a comma-joined list of codes or a code its source value set does not have';
const CANONICAL =
  "a canonical is relative ('Library/x', 'Questionnaire/x'): it must be an absolute URL or a #fragment, as the HL7 validator checks";
/** Examples whose only errors are relative canonicals (one line each, as the others). */
const RELATIVE_CANONICAL = [
  'ActivityDefinition-administer-zika-virus-exposure-assessment.json',
  'ActivityDefinition-blood-tubes-supply.json',
  'ActivityDefinition-provide-mosquito-prevention-advice.json',
  'ActivityDefinition-referralPrimaryCareMentalHealth-initial.json',
  'ActivityDefinition-referralPrimaryCareMentalHealth.json',
  'ActivityDefinition-serum-zika-dengue-virus-igm.json',
  'CapabilityStatement-example.json',
  'CapabilityStatement-knowledge-repository.json',
  'CapabilityStatement-measure-processor.json',
  'CapabilityStatement-messagedefinition.json',
  'CapabilityStatement-terminology-server.json',
  'Library-composition-example.json',
  'Library-example.json',
  'Library-library-cms146-example.json',
  'Library-library-exclusive-breastfeeding-cds-logic.json',
  'Library-library-exclusive-breastfeeding-cqm-logic.json',
  'Library-library-fhir-helpers-predecessor.json',
  'Library-library-fhir-helpers.json',
  'Library-omtk-logic.json',
  'Library-opioidcds-common.json',
  'Library-opioidcds-recommendation-04.json',
  'Library-opioidcds-recommendation-05.json',
  'Library-opioidcds-recommendation-07.json',
  'Library-opioidcds-recommendation-08.json',
  'Library-opioidcds-recommendation-10.json',
  'Library-opioidcds-recommendation-11.json',
  'Library-suiciderisk-orderset-logic.json',
  'Library-zika-virus-intervention-logic.json',
  'Measure-composite-example.json',
  'Measure-measure-cms146-example.json',
  'Measure-measure-exclusive-breastfeeding.json',
  'Measure-measure-predecessor-example.json',
  'MeasureReport-measurereport-cms146-cat1-example.json',
  'MeasureReport-measurereport-cms146-cat2-example.json',
  'MeasureReport-measurereport-cms146-cat3-example.json',
  'MessageDefinition-patient-link-notification.json',
  'MessageDefinition-patient-link-response.json',
  'OperationDefinition-example.json',
  'PlanDefinition-chlamydia-screening-intervention.json',
  'PlanDefinition-exclusive-breastfeeding-intervention-01.json',
  'PlanDefinition-exclusive-breastfeeding-intervention-02.json',
  'PlanDefinition-exclusive-breastfeeding-intervention-03.json',
  'PlanDefinition-exclusive-breastfeeding-intervention-04.json',
  'PlanDefinition-low-suicide-risk-order-set.json',
  'PlanDefinition-opioidcds-04.json',
  'PlanDefinition-opioidcds-05.json',
  'PlanDefinition-opioidcds-07.json',
  'PlanDefinition-opioidcds-08.json',
  'PlanDefinition-opioidcds-10.json',
  'PlanDefinition-opioidcds-11.json',
  'PlanDefinition-zika-virus-intervention-initial.json',
  'PlanDefinition-zika-virus-intervention.json',
  'Procedure-f201.json',
  'Questionnaire-phq-9-questionnaire.json',
  'QuestionnaireResponse-gcs.json',
  'QuestionnaireResponse-ussg-fht-answers.json',
  'RequestGroup-kdn5-example.json',
  'TestScript-testscript-example-history.json',
  'TestScript-testscript-example-multisystem.json',
  'TestScript-testscript-example-readtest.json',
  'TestScript-testscript-example-search.json',
  'TestScript-testscript-example-update.json',
  'TestScript-testscript-example.json',
];
const SP_BASE = 'SearchParameter.base is 1..* and these extension search parameters have none';
/** Examples that break a rule of R4 (checked by reading each one), with the message ids reported for them. */
const INVALID: Record<string, { ids: string[]; why: string }> = {
  'Basic-referral.json': { ids: ['EXTENSION_UNKNOWN'], why: 'modifier extensions at example.org/do-not-use URLs' },
  'Bundle-father.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'Claim-760151.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'Claim-760152.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'CodeSystem-snomedct.json': {
    ids: ['CODESYSTEM_PROPERTY_DUPLICATE'],
    why: 'properties defined twice (same URI or code)',
  },
  'CodeSystem-dicom-dcim.json': {
    ids: ['EXTENSION_CONTEXT_WRONG'],
    why: 'valueset-concept-comments (context ValueSet.compose.include.concept) on CodeSystem.concept, where codesystem-concept-comments belongs',
  },
  'DeviceMetric-example.json': {
    ids: ['REFERENCE_TARGET_TYPE'],
    why: 'parent refers to a DeviceDefinition, Device only',
  },
  'ConceptMap-sc-appointmentstatus.json': { ids: ['CONCEPTMAP_SOURCE_NOT_IN_VALUESET'], why: SC_MAP },
  'ConceptMap-sc-clinicalimpression-status.json': { ids: ['CONCEPTMAP_SOURCE_NOT_IN_VALUESET'], why: SC_MAP },
  'ConceptMap-sc-condition-ver-status.json': { ids: ['CONCEPTMAP_SOURCE_NOT_IN_VALUESET'], why: SC_MAP },
  'ConceptMap-sc-contract-publicationstatus.json': { ids: ['CONCEPTMAP_SOURCE_NOT_IN_VALUESET'], why: SC_MAP },
  'ConceptMap-sc-contract-status.json': { ids: ['CONCEPTMAP_SOURCE_NOT_IN_VALUESET'], why: SC_MAP },
  'ConceptMap-sc-diagnostic-report-status.json': { ids: ['CONCEPTMAP_SOURCE_NOT_IN_VALUESET'], why: SC_MAP },
  'ConceptMap-sc-goal-achievement.json': { ids: ['CONCEPTMAP_SOURCE_NOT_IN_VALUESET'], why: SC_MAP },
  'ConceptMap-sc-medicationdispense-status.json': { ids: ['CONCEPTMAP_SOURCE_NOT_IN_VALUESET'], why: SC_MAP },
  'ConceptMap-sc-observation-status.json': { ids: ['CONCEPTMAP_SOURCE_NOT_IN_VALUESET'], why: SC_MAP },
  'ConceptMap-sc-participationstatus.json': { ids: ['CONCEPTMAP_SOURCE_NOT_IN_VALUESET'], why: SC_MAP },
  'ConceptMap-sc-publication-status.json': { ids: ['CONCEPTMAP_SOURCE_NOT_IN_VALUESET'], why: SC_MAP },
  'ConceptMap-sc-research-study-status.json': { ids: ['CONCEPTMAP_SOURCE_NOT_IN_VALUESET'], why: SC_MAP },
  'ConceptMap-sc-research-subject-status.json': { ids: ['CONCEPTMAP_SOURCE_NOT_IN_VALUESET'], why: SC_MAP },
  'ConceptMap-sc-subscription-status.json': { ids: ['CONCEPTMAP_SOURCE_NOT_IN_VALUESET'], why: SC_MAP },
  'ConceptMap-sc-verificationresult-status.json': { ids: ['CONCEPTMAP_SOURCE_NOT_IN_VALUESET'], why: SC_MAP },
  'DeviceUseStatement-example.json': { ids: ['REFERENCE_TARGET_TYPE'], why: 'reasonReference to a Procedure' },
  'EventDefinition-example.json': {
    ids: ['EXPRESSION_FHIRPATH_INVALID'],
    why: "the trigger condition uses {'active', 'completed'}: FHIRPath has no collection literal but {}",
  },
  'ImagingStudy-example-xr.json': {
    ids: ['CODE_UNKNOWN_IN_CODESYSTEM'],
    why: "bodySite code 'T-15460' is a SNOMED RT code, not a SNOMED CT identifier",
  },
  'NutritionOrder-enteralcontinuous.json': {
    ids: ['CODE_UNKNOWN_IN_CODESYSTEM'],
    why: "SNOMED CT code '6547210000124112' has a wrong Verhoeff check digit",
  },
  'ImplementationGuide-fhir.json': { ids: ['CARDINALITY_MIN'], why: 'the build IG has no name and no status (1..1)' },
  'ig-r4.json': { ids: ['CARDINALITY_MIN'], why: 'the build IG has no name and no status (1..1)' },
  'MedicationDispense-meddisp0309.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationDispense-meddisp0313.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationDispense-meddisp0318.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationDispense-meddisp0324.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationDispense-meddisp0327.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationDispense-meddisp0328.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationDispense-meddisp0329.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationRequest-medrx0301.json': {
    ids: ['REFERENCE_TARGET_TYPE'],
    why: 'dispenseRequest.performer is a Practitioner',
  },
  'MedicationRequest-medrx0304.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationRequest-medrx0314.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationRequest-medrx0319.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationRequest-medrx0322.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationRequest-medrx0325.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationRequest-medrx0326.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationRequest-medrx0328.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationRequest-medrx0329.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationRequest-medrx0334.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'MedicationRequest-medrx0335.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  'Observation-clinical-gender.json': { ids: ['REFERENCE_TARGET_TYPE'], why: 'performer is an Encounter' },
  'Observation-example-genetics-brcapat.json': {
    ids: ['EXTENSION_UNKNOWN'],
    why: 'US Core ethnicity extension, which no R4 core package defines',
  },
  'OrganizationAffiliation-orgrole1.json': { ids: ['REFERENCE_TARGET_TYPE'], why: 'network refers to a Network' },
  'Questionnaire-qs1.json': { ids: ['CARDINALITY_MIN'], why: 'nested items without linkId (1..1)' },
  'SearchParameter-codesystem-extensions-CodeSystem-author.json': { ids: ['CARDINALITY_MIN'], why: SP_BASE },
  'SearchParameter-codesystem-extensions-CodeSystem-effective.json': { ids: ['CARDINALITY_MIN'], why: SP_BASE },
  'SearchParameter-codesystem-extensions-CodeSystem-end.json': { ids: ['CARDINALITY_MIN'], why: SP_BASE },
  'SearchParameter-codesystem-extensions-CodeSystem-keyword.json': { ids: ['CARDINALITY_MIN'], why: SP_BASE },
  'SearchParameter-codesystem-extensions-CodeSystem-workflow.json': { ids: ['CARDINALITY_MIN'], why: SP_BASE },
  'SearchParameter-questionnaireresponse-extensions-QuestionnaireResponse-item-subject.json': {
    ids: ['RESOURCE_ID_INVALID'],
    why: 'id of 67 characters (at most 64)',
  },
  'SearchParameter-valueset-extensions-ValueSet-author.json': { ids: ['CARDINALITY_MIN'], why: SP_BASE },
  'SearchParameter-valueset-extensions-ValueSet-effective.json': { ids: ['CARDINALITY_MIN'], why: SP_BASE },
  'SearchParameter-valueset-extensions-ValueSet-end.json': { ids: ['CARDINALITY_MIN'], why: SP_BASE },
  'SearchParameter-valueset-extensions-ValueSet-keyword.json': { ids: ['CARDINALITY_MIN'], why: SP_BASE },
  'SearchParameter-valueset-extensions-ValueSet-workflow.json': { ids: ['CARDINALITY_MIN'], why: SP_BASE },
  'StructureDefinition-Definition.json': { ids: ['INVARIANT_FAILED'], why: 'sdf-4: not abstract, no baseDefinition' },
  'StructureDefinition-Event.json': { ids: ['INVARIANT_FAILED'], why: 'sdf-4: not abstract, no baseDefinition' },
  'StructureDefinition-FiveWs.json': { ids: ['INVARIANT_FAILED'], why: 'sdf-4: not abstract, no baseDefinition' },
  'StructureDefinition-Request.json': { ids: ['INVARIANT_FAILED'], why: 'sdf-4: not abstract, no baseDefinition' },
  'ValueSet-example-hierarchical.json': {
    ids: ['VALUESET_SYSTEM_NOT_ABSOLUTE'],
    why: "compose.include.system '#hacked' (a contained CodeSystem is named by its url)",
  },
  'VisionPrescription-33124.json': { ids: ['UCUM_CODE_INVALID'], why: UCUM },
  ...Object.fromEntries(RELATIVE_CANONICAL.map((f) => [f, { ids: ['CANONICAL_NOT_ABSOLUTE'], why: CANONICAL }])),
};

const isError = (i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal';
const files = readdirSync(DIR).filter((f) => f.endsWith('.json') && f !== 'package.json' && !f.startsWith('.'));
const specBundles = files.filter((f) => f.startsWith('Bundle-') && statSync(join(DIR, f)).size > SPEC_BUNDLE_BYTES);
const examples = files.filter((f) => !specBundles.includes(f));
const errorsByFile = new Map<string, string[]>();

describe('official R4 examples (hl7.fhir.r4.examples)', () => {
  beforeAll(() => {
    const validator = createValidator({ packages: [readBaseR4()], summaries: [], warnings: [] });
    for (const file of examples) {
      const issues = validator.validate(JSON.parse(readFileSync(join(DIR, file), 'utf8'))).issue.filter(isError);
      if (issues.length) errorsByFile.set(file, [...new Set(issues.map((i) => i.details?.coding?.[0]?.code ?? '?'))]);
    }
    console.log(
      `R4 examples: ${files.length} files, ${examples.length} validated (${specBundles.length} spec Bundles left out), ${examples.length - errorsByFile.size} without error, ${errorsByFile.size} really invalid`,
    );
  }, 1_800_000);

  test('when the package is read, then it holds the examples and the spec Bundles are only a few', () => {
    expect(examples.length).toBeGreaterThan(5000);
    expect(specBundles.length).toBeLessThan(20);
  });

  test('when every example is validated, then only the really invalid ones have errors (no false error)', () => {
    expect([...errorsByFile.keys()].sort()).toEqual(Object.keys(INVALID).sort());
  });

  test('when a really invalid example is validated, then its errors are those of the rule it breaks', () => {
    for (const [file, { ids, why }] of Object.entries(INVALID)) {
      expect(why.length).toBeGreaterThan(10);
      expect({ file, ids: errorsByFile.get(file)?.sort() }).toEqual({ file, ids: [...ids].sort() });
    }
  });
});
