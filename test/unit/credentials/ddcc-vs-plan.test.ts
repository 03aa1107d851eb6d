/**
 * The planned `fhir-profile` check of `$verify` (ddcc-vs-plan.ts, ADR 0073) gives exactly what the generic profile
 * check gives, on thousands of distinct DDCC:VS payloads, valid and mutated; invalid payloads still fail with the
 * validator's own messages; the plan is off when a loaded profile holds a rule the audit did not read.
 */
import type { Bundle, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { ddccVsPlanned, ddccVsProfileCheck, planProblems } from '../../../src/credentials/ddcc-vs-plan.ts';
import { DDCC_PROFILE } from '../../../src/credentials/mapping/ddcc-document.ts';
import type { DdccVsCoreDataSet } from '../../../src/credentials/mapping/ddcc-vs.ts';
import { ddccVsToDocument } from '../../../src/credentials/mapping/hcert-content.ts';
import { profileCheck } from '../../../src/credentials/verify-common.ts';
import type { VerifyCheck } from '../../../src/credentials/verdict.ts';
import type { CompiledProfile, ElementNode } from '../../../src/validation/model.ts';
import { createValidator, type Validator } from '../../../src/validation/validator.ts';
import { sharedPackages } from '../validation/shared-packages.ts';
import { ddccVsVariant, seeded, validDdccVs } from './ddcc-vs-payloads.ts';

const VARIANTS = 3000;
let validator: Validator;

beforeAll(async () => {
  validator = createValidator(await sharedPackages());
});

function documentOf(cds: DdccVsCoreDataSet, i: number): Bundle | undefined {
  try {
    return ddccVsToDocument(cds, { issuedAt: new Date(Date.UTC(2026, 5, 1, 0, 0, i)), seed: `HC1:variant-${i}` });
  } catch {
    return undefined; // as checkHcert: a payload too broken to rebuild gets no profile check
  }
}

function generic(doc: Bundle): { check: VerifyCheck; warnings: OperationOutcomeIssue[] } {
  const warnings: OperationOutcomeIssue[] = [];
  const check = profileCheck(doc, DDCC_PROFILE.vsDocument, (r, p) => validator.validate(r, { profile: p }), warnings);
  return { check, warnings };
}

function planned(doc: Bundle): { check: VerifyCheck; warnings: OperationOutcomeIssue[] } {
  const warnings: OperationOutcomeIssue[] = [];
  return { check: ddccVsProfileCheck(validator, doc, warnings), warnings };
}

describe('the planned DDCC:VS profile check', () => {
  test('when the shared packages are loaded, then every rule on the walked profiles is an audited one', () => {
    expect(planProblems(validator)).toEqual([]);
  });

  // keep 0.8: several slots changed per payload (many shapes, mostly failures); keep 0.95: one or two changed, so
  // most payloads share a planned shape and each bad value meets the plan.
  test.each([
    [0.8, 18],
    [0.95, 95],
  ])(
    'when thousands of distinct payloads (each slot kept with p=%s) are checked, then both paths give the same check and warnings',
    (keep, seed) => {
      const random = seeded(seed);
      let fast = 0;
      let failed = 0;
      let compared = 0;
      for (let i = 0; i < VARIANTS; i++) {
        const doc = documentOf(ddccVsVariant(random, i, keep), i);
        if (!doc) continue;
        const willBeFast = ddccVsPlanned(validator, doc).planned;
        const expected = generic(doc);
        const actual = planned(doc);
        expect({ i, ...actual }).toEqual({ i, ...expected });
        compared++;
        if (willBeFast) fast++;
        if (expected.check.status === 'fail') failed++;
      }
      // Both paths were exercised: many answered by the plan, many failures judged (and worded) by the validator.
      expect(compared).toBeGreaterThan(VARIANTS * 0.9);
      expect(fast).toBeGreaterThan(compared * 0.05);
      expect(failed).toBeGreaterThan(compared * 0.1);
    },
  );

  test('when the same valid shape comes again with other values, then the plan answers it', () => {
    const a = documentOf({ ...validDdccVs(), name: 'First Holder' }, 1)!;
    const b = documentOf({ ...validDdccVs(), name: 'Second Holder' }, 2)!;
    expect(planned(a).check.status).toBe('pass');
    expect(ddccVsPlanned(validator, b).planned).toBe(true);
    expect(planned(b)).toEqual(generic(b));
  });

  const invalid: [string, (c: DdccVsCoreDataSet) => void][] = [
    [
      'a code unknown to a complete DDCC code system',
      (c) =>
        void (c.vaccination.vaccine = {
          system: 'http://smart.who.int/ddcc/CodeSystem/DDCCCompositionCategoryCodeSystem',
          code: 'nope',
        }),
    ],
    ['a vaccine without a system', (c) => void (c.vaccination.vaccine = { code: 'XM0GQ8' })],
    [
      'a SNOMED brand with a wrong check digit',
      (c) => void (c.vaccination.brand = { system: 'http://snomed.info/sct', code: '1119349008' }),
    ],
    ['no holder name', (c) => void delete (c as Partial<DdccVsCoreDataSet>).name],
    ['an empty name', (c) => void (c.name = '')],
    ['a birth date in month 13', (c) => void (c.birthDate = '2021-13-01')],
    ['a vaccination date that is no date', (c) => void (c.vaccination.date = 'yesterday')],
    ['a dose of 0', (c) => void (c.vaccination.dose = 0)],
    ['a country code with a space', (c) => void (c.vaccination.country = { code: ' CHE' })],
  ];
  test.each(invalid)(
    'when the payload has %s, then the check fails with the validator’s messages on both paths',
    (_, change) => {
      // The valid shape is planned first, so the plan is in force when the bad value comes.
      planned(documentOf(validDdccVs(), 100)!);
      const cds = validDdccVs();
      change(cds);
      const doc = documentOf(cds, 101)!;
      expect(ddccVsPlanned(validator, doc).planned).toBe(false);
      const expected = generic(doc);
      expect(expected.check).toMatchObject({ status: 'fail', failure: 'profile-invalid' });
      expect(planned(doc)).toEqual(expected);
    },
  );

  test('when more clean shapes are planned than trees are tried, then each is still planned and answers as the validator', async () => {
    const fresh = createValidator(await sharedPackages());
    // Optional parts left out in every combination: up to eight clean shapes, more than the trees tried per document.
    const variants = [0, 1, 2, 3, 4, 5, 6, 7].map((bits) => () => {
      const cds = validDdccVs();
      if (bits & 1) delete (cds as Partial<DdccVsCoreDataSet>).identifier;
      if (bits & 2) delete cds.vaccination.maholder;
      if (bits & 4) delete cds.vaccination.totalDoses;
      return cds;
    });
    let n = 800;
    const planned = variants.filter(
      (make) => ddccVsProfileCheck(fresh, documentOf(make(), n++)!, []).status === 'pass',
    );
    expect(planned.length).toBeGreaterThan(4);
    // Twice over, the oldest shapes first: those past the first trees tried are found by their signature.
    for (const make of [...planned, ...planned]) {
      const doc = documentOf({ ...make(), name: `Holder ${n}` }, n++)!;
      expect(ddccVsPlanned(fresh, doc).planned).toBe(true);
      const warnings: OperationOutcomeIssue[] = [];
      expect({ check: ddccVsProfileCheck(fresh, doc, warnings), warnings }).toEqual(generic(doc));
    }
  });

  test('when payloads make hundreds of generic signatures, then a clean shape is still planned', async () => {
    const fresh = createValidator(await sharedPackages());
    const check = (doc: Bundle) => ddccVsProfileCheck(fresh, doc, []);
    for (let i = 0; i < 300; i++) {
      // A key the rebuild copies from the payload's identifier: an unknown element, a new signature each time.
      const cds = { ...validDdccVs(), identifier: { value: '1', junk: `v${i}` } } as DdccVsCoreDataSet;
      expect(check(documentOf(cds, 300 + i)!).status).toBe('fail');
    }
    expect(check(documentOf(validDdccVs(), 700)!).status).toBe('pass');
    expect(ddccVsPlanned(fresh, documentOf(validDdccVs(), 701)!).planned).toBe(true);
  });

  test('when a loaded profile holds a constraint the audit did not read, then the plan is off', () => {
    const url = DDCC_PROFILE.immunization;
    const real = validator.registry.profile(url)!;
    const root: ElementNode = {
      ...real.root,
      constraints: [
        ...real.root.constraints,
        { key: 'x-1', severity: 'error' as const, human: 'short lots', expression: 'lotNumber.length() < 5' },
      ],
    };
    const changed: CompiledProfile = { ...real, root, byId: new Map([...real.byId, [root.id, root]]) };
    const registry = Object.create(validator.registry, {
      profile: { value: (u: string) => (u === url ? changed : validator.registry.profile(u)) },
    });
    const other = { ...validator, registry } as Validator;
    expect(planProblems(other)).toEqual([`${url} Immunization x-1`]);
    const doc = documentOf(validDdccVs(), 200)!;
    const warnings: OperationOutcomeIssue[] = [];
    ddccVsProfileCheck(other, doc, warnings);
    expect(ddccVsPlanned(other, doc).planned).toBe(false);
  });
});
