/**
 * `gdhcn-gateway rules test <rules.json> <credential|dir>`: try a rule distribution on certificates before deploying
 * it. Each credential (an `HC1:` string, a file holding one, a dgc-testdata JSON file with `PREFIX`, or a folder of
 * such files) is decoded — its signature is NOT checked here; `$verify` does that — and every rule that applies is
 * evaluated exactly as `$verify` evaluates it, for the arrival country given (`--country`) or for every country
 * that has acceptance rules in the file. Exit 0 when every rule passed, 1 when any failed or was open or a
 * credential or rule could not be read, 2 for a wrong command line.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { businessRulesCheck } from '../credentials/verify-rules.ts';
import { decodeHc1 } from '../formats/hcert/verify.ts';
import { loadRuleSet, type RuleSet } from '../rules/evaluate-rules.ts';
import { RULE_LIMITS } from '../rules/limits.ts';
import { readDistribution } from '../rules/rule-model.ts';
import { openDistribution, readRuleFile, RuleSourceError } from '../rules/rule-source.ts';
import { parseClock } from '../formats/clock.ts';
import { CliUsageError } from './cli-usage-error.ts';
import { readRuleSigningKey } from '../rules/signing-key.ts';

export const RULES_TEST_USAGE = `  rules test <rules.json> <credential|file|dir> [--country XX] [--region R] [--clock ISO] [--lang xx] [--key PEM]
      evaluate EU DCC business rules on HCERTs (signatures are not checked) and print each rule's result
`;

interface Options {
  out: (s: string) => void;
}

interface Credential {
  label: string;
  text: string;
}

function credentialsOf(arg: string): Credential[] {
  if (arg.trim().startsWith('HC1:')) return [{ label: 'argument', text: arg.trim() }];
  let isDir: boolean;
  try {
    isDir = statSync(arg).isDirectory();
  } catch {
    throw new CliUsageError(`${arg} is neither an HC1: string nor a file or folder`);
  }
  const files = isDir
    ? readdirSync(arg)
        .filter((f) => /\.(txt|json)$/i.test(f))
        .sort()
        .map((f) => join(arg, f))
    : [arg];
  return files.map((file) => {
    const raw = readFileSync(file, 'utf8').trim();
    if (raw.startsWith('{')) {
      const prefix = (JSON.parse(raw) as { PREFIX?: unknown }).PREFIX;
      return { label: file, text: typeof prefix === 'string' ? prefix : '' };
    }
    return { label: file, text: raw };
  });
}

async function loadRules(
  file: string,
  keyFile: string | undefined,
  out: (s: string) => void,
): Promise<{ set: RuleSet; refused: number }> {
  const text = await readRuleFile(file, RULE_LIMITS.maxBytes);
  const key = keyFile ? readRuleSigningKey(keyFile, '--key') : undefined;
  const { json, signed } = await openDistribution(text, { ...(key ? { key } : {}), unsignedOk: true });
  const d = readDistribution(json);
  out(
    `${file}: ${d.rules.length} rule(s), ${d.valueSets.length} value set(s), ${signed ? 'signature verified' : 'unsigned'}\n`,
  );
  for (const r of d.refused) out(`  REFUSED ${r.at}: ${r.reason}\n`);
  return { set: loadRuleSet(d.rules, d.valueSets), refused: d.refused.length };
}

/** Run the command; returns the exit code. */
export async function runRulesTest(args: string[], { out }: Options): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        country: { type: 'string' },
        region: { type: 'string' },
        clock: { type: 'string' },
        lang: { type: 'string' },
        key: { type: 'string' },
      },
    });
  } catch (e) {
    throw new CliUsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 2) throw new CliUsageError('rules test needs <rules.json> and <credential|file|dir>');
  if (values.country !== undefined && !/^[A-Z]{2}$/.test(values.country))
    throw new CliUsageError(`--country must be an ISO 3166-1 alpha-2 code, got "${values.country}"`);
  let clock = new Date();
  if (values.clock !== undefined) {
    const c = parseClock(values.clock);
    if (!c.ok) throw new CliUsageError(`--clock: ${c.message}`);
    clock = c.date;
  }
  let loaded;
  try {
    loaded = await loadRules(positionals[0]!, values.key, out);
  } catch (e) {
    if (e instanceof RuleSourceError || e instanceof SyntaxError || e instanceof Error) {
      out(`${e instanceof RuleSourceError ? `${e.code}: ` : ''}${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const countries = values.country
    ? [values.country]
    : [...new Set(loaded.set.rules.filter((r) => r.rule.Type === 'Acceptance').map((r) => r.rule.Country))].sort();
  let bad = loaded.refused > 0;
  for (const cred of credentialsOf(positionals[1]!))
    bad = testOne(cred, loaded.set, { countries, clock, region: values.region, lang: values.lang }, out) || bad;
  return bad ? 1 : 0;
}

function testOne(
  cred: Credential,
  set: RuleSet,
  o: { countries: string[]; clock: Date; region: string | undefined; lang: string | undefined },
  out: (s: string) => void,
): boolean {
  let decoded;
  try {
    decoded = decodeHc1(cred.text);
  } catch (e) {
    out(`${cred.label}: not a readable HCERT (${(e as Error).message})\n`);
    return true;
  }
  const { claims, sign1, payloads } = decoded;
  const kid = sign1.kid ? Buffer.from(sign1.kid).toString('base64') : undefined;
  out(`${cred.label}: issuer ${claims.iss ?? '?'}, clock ${o.clock.toISOString()}\n`);
  let bad = false;
  for (const country of o.countries) {
    const r = businessRulesCheck(
      {
        payload: payloads.euDcc,
        ...(claims.iss ? { issuerCountry: claims.iss } : {}),
        ...(claims.exp !== undefined ? { exp: claims.exp } : {}),
        ...(claims.iat !== undefined ? { iat: claims.iat } : {}),
        ...(kid ? { kid } : {}),
        clock: o.clock,
      },
      {
        arrivalCountry: country,
        ...(o.region ? { region: o.region } : {}),
        languages: [...(o.lang ? [o.lang] : []), 'en'],
        ruleSet: set,
      },
    );
    out(
      `  arrival ${country}: ${r.check.status.toUpperCase()}${r.check.status === 'skipped' ? ` (${r.check.message})` : ''}\n`,
    );
    for (const rule of r.rules) {
      out(
        `    ${rule.result.toUpperCase().padEnd(4)} ${rule.identifier} v${rule.version} ${rule.type} ${rule.certificateType}: ${rule.description}${rule.message ? ` [${rule.message}]` : ''}\n`,
      );
    }
    if (r.check.status === 'fail') bad = true;
  }
  return bad;
}
