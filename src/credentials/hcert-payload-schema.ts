/**
 * Structural checks of the payloads an HCERT carries (the `payload-schema` check of `$verify`): the EU DCC JSON
 * schema's required fields and formats (eu-dcc-schema 1.3: `ver`, `nam.fnt`, `dob`, exactly one of v/t/r), the
 * DDCC:VS core data set's required elements, and the ICVP DVCPayload's. Each problem is a sentence with its path.
 * https://github.com/ehn-dcc-development/eu-dcc-schema · http://smart.who.int/ddcc/StructureDefinition/DDCCCoreDataSetVS
 */
import type { HcertPayloads } from '../formats/hcert/cwt.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max = 256): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

const ICAO = /^[A-Z<]*$/;
const DOB = /^((\d{4})(-\d{2}){0,2})?$/;
/** eu-dcc-schema 1.3.0 `dob`: "ISO 8601 date format restricted to range 1900-2099 or empty". */
const DOB_1_3 = /^((19|20)\d\d(-\d\d){0,2}){0,1}$/;
/** eu-dcc-schema 1.3.0 (not 1.0.x–1.2.x): names, certificate id, issuer, test centre and test name are at most 80 characters. */
export const EU_DCC_TEXT_MAX = 80;
const MAX_TEXT = EU_DCC_TEXT_MAX;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

const REQUIRED: Record<'v' | 't' | 'r', string[]> = {
  v: ['tg', 'vp', 'mp', 'ma', 'dn', 'sd', 'dt', 'co', 'is', 'ci'],
  t: ['tg', 'tt', 'sc', 'tc', 'co', 'is', 'ci'],
  r: ['tg', 'fr', 'co', 'is', 'df', 'du', 'ci'],
};

/**
 * Schema 1.3.0 constrains `dob` by pattern and `dt` to a date; earlier versions (1.0.x–1.2.x) declared them
 * `format: date` only, which JSON Schema treats as an annotation, and issuers such as BG wrote `1978-01-26T00:00:00`
 * (dgc-testdata BG:2DCode:raw:1 and 2 expect schemaValid). We read each payload by the schema version it declares.
 */
function lenientDates(ver: unknown): boolean {
  const m = typeof ver === 'string' ? /^1\.(\d+)\./.exec(ver) : null;
  return m !== null && Number(m[1]) < 3;
}
const LENIENT_DATE = /^\d{4}(-\d{2}){0,2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

function checkEntry(group: 'v' | 't' | 'r', e: unknown, at: string, out: string[], lenient: boolean): void {
  if (!isObj(e)) return void out.push(`${at} is not an object`);
  // Schema 1.0.0 set no length on these (HU:2DCode:raw:3 has a 130-character tc and expects schemaValid).
  if (!lenient)
    for (const k of ['ci', 'is', 'tc', 'nm'] as const)
      if (typeof e[k] === 'string' && (e[k] as string).length > MAX_TEXT)
        out.push(`${at}.${k} must be at most ${MAX_TEXT} characters`);
  if (!lenient && group === 'v')
    for (const k of ['dn', 'sd'] as const)
      if (Number.isInteger(e[k]) && (e[k] as number) > 9)
        out.push(`${at}.${k} must be at most 9 (schema 1.3 dose_posint)`);
  if (!lenient && group === 'r')
    for (const k of ['fr', 'df', 'du'] as const)
      if (e[k] !== undefined && !(typeof e[k] === 'string' && DATE.test(e[k] as string)))
        out.push(`${at}.${k} must be a date (YYYY-MM-DD)`);
  for (const key of REQUIRED[group]) {
    if (group === 't' && key === 'tc') continue; // tc is optional since schema 1.3
    if (e[key] === undefined || e[key] === '') out.push(`${at}.${key} is required`);
  }
  if (group === 'v') {
    for (const k of ['dn', 'sd'] as const)
      if (e[k] !== undefined && (!Number.isInteger(e[k]) || (e[k] as number) < 1))
        out.push(`${at}.${k} must be a positive integer`);
    if (e.dt !== undefined && !(typeof e.dt === 'string' && (lenient ? LENIENT_DATE : DATE).test(e.dt)))
      out.push(`${at}.dt must be a date (YYYY-MM-DD)`);
  }
  if (group === 't' && e.sc !== undefined && !(typeof e.sc === 'string' && DATETIME.test(e.sc)))
    out.push(`${at}.sc must be a date-time`);
  if (e.co !== undefined && !(typeof e.co === 'string' && /^[A-Z]{2}$/.test(e.co)))
    out.push(`${at}.co must be an ISO 3166-1 alpha-2 code`);
}

/**
 * Problems of an EU DCC payload (empty when it conforms).
 * @example euDccProblems({ ver: '1.3.0', nam: { fnt: 'DOE' }, dob: '1990', v: [] }) // ['exactly one of v, t, r must hold entries (found 0)']
 */
export function euDccProblems(dcc: unknown): string[] {
  const out: string[] = [];
  if (!isObj(dcc)) return ['the EU DCC payload (-260/1) is not an object'];
  if (!(typeof dcc.ver === 'string' && /^\d+\.\d+\.\d+$/.test(dcc.ver))) out.push('ver must be a semantic version');
  else if (!dcc.ver.startsWith('1.')) out.push(`schema version ${dcc.ver} is not one this verifier knows (1.x)`);
  if (!isObj(dcc.nam)) out.push('nam is required');
  else {
    if (!(typeof dcc.nam.fnt === 'string' && dcc.nam.fnt.length <= MAX_TEXT && ICAO.test(dcc.nam.fnt)))
      out.push('nam.fnt must be ICAO 9303 text (A-Z and <, at most 80)');
    if (
      dcc.nam.gnt !== undefined &&
      !(typeof dcc.nam.gnt === 'string' && dcc.nam.gnt.length <= MAX_TEXT && ICAO.test(dcc.nam.gnt))
    )
      out.push('nam.gnt must be ICAO 9303 text');
    if (!lenientDates(dcc.ver))
      for (const k of ['fn', 'gn'] as const)
        if (dcc.nam[k] !== undefined && !(typeof dcc.nam[k] === 'string' && (dcc.nam[k] as string).length <= MAX_TEXT))
          out.push(`nam.${k} must be text of at most ${MAX_TEXT} characters`);
  }
  const lenient = lenientDates(dcc.ver);
  if (
    !(
      typeof dcc.dob === 'string' && (lenient ? LENIENT_DATE.test(dcc.dob) || DOB.test(dcc.dob) : DOB_1_3.test(dcc.dob))
    )
  ) {
    out.push(
      lenient
        ? 'dob must be a date (YYYY, YYYY-MM or YYYY-MM-DD)'
        : `dob must be YYYY, YYYY-MM or YYYY-MM-DD in 1900-2099, or empty (schema ${String(dcc.ver)})`,
    );
  }
  const groups = (['v', 't', 'r'] as const).filter((g) => Array.isArray(dcc[g]) && (dcc[g] as unknown[]).length > 0);
  if (groups.length !== 1) out.push(`exactly one of v, t, r must hold entries (found ${groups.length})`);
  for (const g of groups) (dcc[g] as unknown[]).forEach((e, i) => checkEntry(g, e, `${g}[${i}]`, out, lenient));
  return out;
}

/**
 * Problems of a DDCC:VS core data set (the logical model's 1..1 elements).
 * @example ddccVsProblems(payloads.ddccVs[0]) // []
 */
export function ddccVsProblems(cds: unknown, at = 'ddccVs'): string[] {
  if (!isObj(cds)) return [`${at} is not an object`];
  const out: string[] = [];
  if (!isStr(cds.name, 1024)) out.push(`${at}.name is required`);
  const v = cds.vaccination;
  if (!isObj(v)) return [...out, `${at}.vaccination is required`];
  for (const k of ['vaccine', 'brand', 'country'] as const)
    if (!isObj(v[k]) || !isStr((v[k] as Obj).code)) out.push(`${at}.vaccination.${k} needs a code`);
  if (!isStr(v.lot)) out.push(`${at}.vaccination.lot is required`);
  if (!(typeof v.date === 'string' && DATETIME.test(v.date))) out.push(`${at}.vaccination.date must be a date-time`);
  if (!(Number.isInteger(v.dose) && (v.dose as number) > 0))
    out.push(`${at}.vaccination.dose must be a positive integer`);
  return out;
}

/**
 * Problems of an ICVP DVCPayload.
 * @example icvpProblems(payloads.icvp[0]) // []
 */
export function icvpProblems(p: unknown, at = 'icvp'): string[] {
  if (!isObj(p)) return [`${at} is not an object`];
  const out: string[] = [];
  if (!isStr(p.n, 1024)) out.push(`${at}.n is required`);
  if (!(typeof p.dob === 'string' && DOB.test(p.dob))) out.push(`${at}.dob must be a date`);
  const v = p.v;
  if (!isObj(v)) return [...out, `${at}.v is required`];
  if (!isStr(v.vp)) out.push(`${at}.v.vp is required`);
  if (!(typeof v.dt === 'string' && DATE.test(v.dt))) out.push(`${at}.v.dt must be a date`);
  if (!isStr(v.bo)) out.push(`${at}.v.bo is required`);
  return out;
}

/**
 * Problems of a DDCC:TR core data set (DDCCCoreDataSetTR: test.pathogen, type, date and country are 1..1).
 * @example ddccTrProblems(payloads.ddccTr) // []
 */
export function ddccTrProblems(cds: unknown, at = 'ddccTr'): string[] {
  if (!isObj(cds)) return [`${at} is not an object`];
  const out: string[] = [];
  if (!isStr(cds.name, 1024)) out.push(`${at}.name is required`);
  const t = cds.test;
  if (!isObj(t)) return [...out, `${at}.test is required`];
  for (const k of ['pathogen', 'type', 'country'] as const)
    if (!isObj(t[k]) || !isStr((t[k] as Obj).code)) out.push(`${at}.test.${k} needs a code`);
  if (!(typeof t.date === 'string' && DATETIME.test(t.date))) out.push(`${at}.test.date must be a date-time`);
  return out;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

/**
 * Problems across every payload the HCERT carries; an HCERT with no known payload is itself a problem.
 * @example hcertPayloadProblems(verdict.payloads) // [] when every payload conforms
 */
export function hcertPayloadProblems(p: HcertPayloads): string[] {
  const out: string[] = [];
  if (p.euDcc !== undefined) out.push(...euDccProblems(p.euDcc).map((m) => `EU DCC: ${m}`));
  if (p.ddccVs !== undefined) list(p.ddccVs).forEach((c, i) => out.push(...ddccVsProblems(c, `ddccVs[${i}]`)));
  if (p.icvp !== undefined) list(p.icvp).forEach((c, i) => out.push(...icvpProblems(c, `icvp[${i}]`)));
  if (p.ddccTr !== undefined) list(p.ddccTr).forEach((c, i) => out.push(...ddccTrProblems(c, `ddccTr[${i}]`)));
  if (
    p.euDcc === undefined &&
    p.ddccVs === undefined &&
    p.icvp === undefined &&
    p.ddccTr === undefined &&
    p.smartHealthLinks === undefined
  ) {
    out.push('the hcert claim (-260) carries no known payload (EU DCC, DDCC, ICVP or SMART Health Link)');
  }
  return out;
}
