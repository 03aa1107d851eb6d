/**
 * The hand mapping of a DDCC:VS QuestionnaireResponse against the IG's StructureMaps, read from the who.ddcc
 * package: every rule of QRespToVSCoreDataSet (linkId, answer type, core data set element) is in our table and read
 * as the map reads it, and every element DDCCToPatient / DDCCToImmunization set is set on our resources from the
 * IG's example responses.
 */
import type { Immunization, Patient, QuestionnaireResponse } from '@medplum/fhirtypes';
import {
  DDCC_VS_ANSWER_MAP,
  ddccImmunization,
  ddccPatient,
  ddccVsAnswers,
} from '../../../src/credentials/mapping/ddcc-questionnaire.ts';
import { OutcomeError } from '../../../src/fhir/outcome.ts';
import { ddccPackage, igResponses } from '../../http/ddcc/ddcc-support.ts';

interface Source {
  context?: string;
  element?: string;
  variable?: string;
  condition?: string;
}
interface Target {
  context?: string;
  element?: string;
  variable?: string;
  transform?: string;
  parameter?: Array<{ valueId?: string; valueString?: string }>;
}
interface Rule {
  name: string;
  source: Source[];
  target?: Target[];
  rule?: Rule[];
}
interface Group {
  name: string;
  input: Array<{ name: string; mode: string }>;
  rule: Rule[];
}

function structureMap(url: string): { group: Group[] } {
  const found = ddccPackage().resources.find((r) => r.resourceType === 'StructureMap' && r.url === url);
  if (!found) throw new Error(`who.ddcc has no StructureMap ${url}`);
  return found as never;
}

/** Each `first answer where item.linkId = 'x'` rule: its linkId, the answer type read and the element set. */
function answerRules(): Array<{ linkId: string; type: string; target: string }> {
  const out: Array<{ linkId: string; type: string; target: string }> = [];
  for (const group of structureMap('http://smart.who.int/ddcc/StructureMap/QRespToVSCoreDataSet').group) {
    const walk = (rules: Rule[]) => {
      for (const rule of rules) {
        const linkId = rule.source[0]?.condition?.match(/^item\.linkId = '([^']+)'$/)?.[1];
        if (linkId) {
          // The target path: the rule's own targets (e.g. `ddcc.identifier as identifier`) then the inner value rule.
          const path: string[] = [];
          let type = '';
          const inner = (r: Rule, prefix: string[]) => {
            const src = r.source[0];
            if (src?.element?.startsWith('value')) type = src.element;
            const own = (r.target ?? []).filter((t) => t.element);
            const names = [...prefix, ...own.slice(0, 1).map((t) => `${t.context}.${t.element}`)];
            if (r.rule?.length) for (const c of r.rule) inner(c, names);
            else path.push(...names);
          };
          inner(rule, []);
          // `ddcc.identifier` then `identifier.value` → `ddcc.identifier.value`.
          const joined = path.reduce((acc, step) => (acc ? `${acc}.${step.split('.').slice(1).join('.')}` : step), '');
          out.push({ linkId, type, target: joined });
        } else if (rule.rule) walk(rule.rule);
      }
    };
    walk(group.rule);
  }
  return out;
}

const examples = igResponses();

describe('QRespToVSCoreDataSet: linkId → core data set', () => {
  const rules = answerRules();

  it('when the StructureMap is read, then it has one rule per linkId of our table and no other', () => {
    expect(rules.map((r) => r.linkId).sort()).toEqual(DDCC_VS_ANSWER_MAP.map((l) => l.linkId).sort());
  });

  it.each(DDCC_VS_ANSWER_MAP.map((l) => [l.linkId, l] as const))(
    "when linkId %s is mapped, then the answer type and target element are the StructureMap rule's",
    (linkId, link) => {
      const rule = rules.find((r) => r.linkId === linkId)!;
      expect(link.type).toBe(rule.type);
      // pha's map target goes through `issuer.identifier` (a nested variable); the end element is what we compare.
      expect(link.target.split('.').slice(-1)).toEqual(rule.target.split('.').slice(-1));
    },
  );

  it.each(examples.map((e) => [e.file, e.resource] as const))(
    'when %s is read, then each field holds the first answer of its linkId',
    (_file, qr) => {
      const answers = ddccVsAnswers(qr) as unknown as Record<string, unknown>;
      for (const link of DDCC_VS_ANSWER_MAP) {
        const answer = qr.item!.find((i) => i.linkId === link.linkId)?.answer?.[0] as Record<string, unknown>;
        const value = link.field === 'sex' ? (answer?.[link.type] as { code?: string })?.code : answer?.[link.type];
        expect([link.linkId, answers[link.field]]).toEqual([link.linkId, value]);
      }
    },
  );

  it.each(DDCC_VS_ANSWER_MAP.filter((l) => 'required' in l).map((l) => [l.linkId] as const))(
    'when the answer to %s is missing, then the mapping refuses with MAPPING_VALUE_MISSING naming it',
    (linkId) => {
      const qr = examples[0]!.resource;
      const without: QuestionnaireResponse = { ...qr, item: qr.item!.filter((i) => i.linkId !== linkId) };
      let caught: unknown;
      try {
        ddccVsAnswers(without);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(OutcomeError);
      const issue = (caught as OutcomeError).outcome.issue![0]!;
      expect(issue.details?.coding?.[0]?.code).toBe('MAPPING_VALUE_MISSING');
      expect(issue.details?.text).toBe(`The DDCC:VS core data set needs an answer to "${linkId}"`);
    },
  );
});

/** The top-level rules of a library group that copy `src.<field>` into `<resource>.<element>`. */
function resourceRules(url: string, group: string): Array<{ field: string; element: string }> {
  const g = structureMap(url).group.find((x) => x.name === group)!;
  return g.rule
    .filter((r) => r.source[0]?.context === 'src' && r.source[0].element && r.target?.[0]?.element)
    .map((r) => ({ field: r.source[0]!.element!, element: r.target![0]!.element! }));
}

/** Core data set names (the map's) → our answer fields. */
const FIELD_OF: Record<string, string> = Object.fromEntries(
  DDCC_VS_ANSWER_MAP.map((l) => [l.target.split('.')[1]!, l.field]),
);

describe('CoreDataSetVSLibrary / CoreDataSetLibrary: core data set → Patient and Immunization', () => {
  const immunizationRules = resourceRules(
    'http://smart.who.int/ddcc/StructureMap/CoreDataSetVSLibrary',
    'DDCCToImmunization',
  );
  const patientRules = resourceRules('http://smart.who.int/ddcc/StructureMap/CoreDataSetLibrary', 'DDCCToPatient');

  it('when the libraries are read, then they map fields into both resources', () => {
    expect(immunizationRules.length).toBeGreaterThan(0);
    expect(patientRules.length).toBeGreaterThan(0);
  });

  it.each(examples.map((e) => [e.file, e.resource] as const))(
    'when %s is mapped, then every element the maps set from an answered field is set',
    (_file, qr) => {
      const answers = ddccVsAnswers(qr) as unknown as Record<string, unknown>;
      const imm = ddccImmunization(answers as never, { id: 'i1', patientId: 'p1' }) as unknown as Record<
        string,
        unknown
      >;
      const pat = ddccPatient(answers as never, 'p1') as unknown as Record<string, unknown>;
      const present = (res: Record<string, unknown>, element: string) =>
        Object.keys(res).some(
          (k) => k === element || (k.startsWith(element) && /^[A-Z]/.test(k.slice(element.length))),
        );
      for (const { field, element } of immunizationRules) {
        if (answers[FIELD_OF[field] ?? field] === undefined) continue;
        expect([field, element, present(imm, element)]).toEqual([field, element, true]);
      }
      for (const { field, element } of patientRules) {
        if (answers[FIELD_OF[field] ?? field] === undefined) continue;
        expect([field, element, present(pat, element)]).toEqual([field, element, true]);
      }
      const i = imm as unknown as Immunization;
      const p = pat as unknown as Patient;
      // The copies the maps make, value for value.
      expect(i.lotNumber).toBe(answers.lot);
      expect(i.occurrenceDateTime).toBe(answers.date);
      expect(i.location?.display).toBe(answers.centre);
      expect(i.vaccineCode?.coding).toEqual([answers.vaccine]);
      expect(i.protocolApplied?.[0]?.doseNumberPositiveInt).toBe(answers.dose);
      expect(i.protocolApplied?.[0]?.authority?.identifier?.value).toBe(answers.pha);
      expect(p.name).toEqual([{ text: answers.name }]);
      expect(p.birthDate).toBe(answers.birthDate);
      // One extension per extension rule whose field is answered (brand, MA holder, country, valid from).
      const extensionRules = immunizationRules.filter((r) => r.element === 'extension');
      expect(i.extension).toHaveLength(
        extensionRules.filter((r) => answers[FIELD_OF[r.field] ?? r.field] !== undefined).length,
      );
    },
  );
});
