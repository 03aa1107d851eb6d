/**
 * UCUM units checked offline with the UCUM reference library of the U.S. National Library of Medicine
 * (@lhncbc/ucum-lhc): the `code` of a Quantity or Coding whose system is http://unitsofmeasure.org must be a valid
 * UCUM expression (`mg/dL`, `mm[Hg]`, `{score}`), as the HL7 validator checks it. The library loads its unit tables
 * (about half a second) on the first UCUM code met, not at start-up; verdicts are kept per code.
 * https://hl7.org/fhir/R4/datatypes.html#Quantity, https://ucum.org/ucum
 */
import { createRequire } from 'node:module';
import { pathText, type PathSource } from './context.ts';
import type { IssueSink } from './issues.ts';

export const UCUM_SYSTEM = 'http://unitsofmeasure.org';

interface UcumUtils {
  validateUnitString(unit: string): { status: 'valid' | 'invalid' | 'error'; msg: string[] };
  convertUnitTo(from: string, value: number, to: string): { status: string; toVal?: number };
}

let utils: UcumUtils | undefined;
/** Verdicts per unit string: undefined for a valid one, the library's reason otherwise. Bounded below. */
const verdicts = new Map<string, string | undefined>();
const MAX_REMEMBERED = 10_000;

function library(): UcumUtils {
  // Loaded on first use: the library is CommonJS and reads its unit tables when required.
  utils ??= (
    createRequire(import.meta.url)('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } }
  ).UcumLhcUtils.getInstance();
  return utils;
}

/** Why `code` is not a valid UCUM unit, or undefined when it is. */
export function ucumProblem(code: string): string | undefined {
  if (verdicts.has(code)) return verdicts.get(code);
  let problem: string | undefined;
  try {
    const r = library().validateUnitString(code);
    // The library's messages may span lines ("… is mo.\nDid you mean mo?"); an issue text is one line.
    const why = r.msg.join(' ').replace(/\s+/g, ' ').trim();
    problem = r.status === 'valid' ? undefined : why || `'${code}' is not a valid UCUM unit`;
  } catch (err) {
    problem = `'${code}' could not be parsed as a UCUM unit (${(err as Error).message})`;
  }
  if (verdicts.size >= MAX_REMEMBERED) verdicts.clear();
  verdicts.set(code, problem);
  return problem;
}

/** Reports a Quantity or Coding (`value`) whose system is UCUM and whose code is not a valid UCUM unit. */
export function checkUcum(sink: IssueSink, value: Record<string, unknown>, path: PathSource): void {
  if (value.system !== UCUM_SYSTEM || typeof value.code !== 'string') return;
  const problem = ucumProblem(value.code);
  if (problem) sink.add('UCUM_CODE_INVALID', `${pathText(path)}.code`, `Invalid UCUM unit '${value.code}': ${problem}`);
}

/** `value` in `from` units converted to `to` units, or undefined when UCUM cannot convert (different dimensions). */
export function ucumConvert(from: string, value: number, to: string): number | undefined {
  if (ucumProblem(from) || ucumProblem(to)) return undefined;
  try {
    const r = library().convertUnitTo(from, value, to);
    return r.status === 'succeeded' && typeof r.toVal === 'number' ? r.toVal : undefined;
  } catch {
    return undefined;
  }
}
