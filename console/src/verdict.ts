/**
 * A `$verify` answer shown to a person: the verdict first in plain words, then what failed, each check, the issuer
 * and dates, the decoded content (patient, vaccinations, IPS sections) and the raw payload on demand.
 */
import { type Param, type Resource, param, params, partValue, valueIn } from './api.ts';
import { h } from './dom.ts';
import { t } from './i18n.ts';
import { renderContent } from './content.ts';

export interface Verdict {
  valid: boolean;
  checks: { name: string; status: string; message?: string; failure?: string }[];
  raw: Resource;
}

export function readVerdict(answer: Resource): Verdict {
  const list = answer.parameter as Param[] | undefined;
  return {
    valid: valueIn(param(list, 'valid')) === true,
    checks: params(list, 'check').map((c) => ({
      name: String(partValue(c, 'name')),
      status: String(partValue(c, 'status')),
      message: partValue(c, 'message') as string | undefined,
      failure: (partValue(c, 'failure') as { code?: string } | undefined)?.code,
    })),
    raw: answer,
  };
}

const date = (v: unknown) => (typeof v === 'string' ? new Date(v).toLocaleString() : undefined);

/** The whole verdict panel; `ms` is the time from the click to the answer, shown and kept for the tests. */
export function renderVerdict(answer: Resource, ms?: number): HTMLElement {
  const v = readVerdict(answer);
  const list = answer.parameter as Param[] | undefined;
  const failed = v.checks.filter((c) => c.status === 'fail');
  const facts: [string, unknown][] = [
    [t('v.format'), valueIn(param(list, 'format'))],
    [t('v.issuer'), valueIn(param(list, 'issuer'))],
    [t('v.kid'), valueIn(param(list, 'kid'))],
    [t('v.issued'), date(valueIn(param(list, 'issuedAt')))],
    [t('v.expires'), date(valueIn(param(list, 'expiresAt')))],
  ];
  const content = param(list, 'content')?.resource;
  const payload = valueIn(param(list, 'payload'));
  const rules = params(list, 'rule');
  return h(
    'section',
    { class: 'verdict', 'aria-labelledby': 'verdict-title', 'data-ms': ms !== undefined ? Math.round(ms) : undefined },
    h(
      'div',
      { class: `banner ${v.valid ? 'ok' : 'bad'}`, role: 'status' },
      h('h2', { id: 'verdict-title', class: 'verdict-word' }, v.valid ? t('v.valid') : t('v.invalid')),
      h('p', {}, v.valid ? t('v.validText') : t('v.invalidText')),
      failed.length
        ? h(
            'ul',
            { class: 'failed' },
            failed.map((c) => h('li', {}, h('strong', {}, checkName(c.name)), ` — ${c.message ?? c.failure ?? ''}`)),
          )
        : null,
      ms !== undefined ? h('p', { class: 'muted small' }, t('v.time', { ms: Math.round(ms) })) : null,
    ),
    h(
      'dl',
      { class: 'facts' },
      facts
        .filter(([, value]) => value !== undefined)
        .map(([k, value]) => [h('dt', {}, k), h('dd', {}, String(value))]),
    ),
    h('h3', {}, t('v.checks')),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'checks' },
        h('caption', { class: 'sr-only' }, t('v.checks')),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, t('v.check')),
            h('th', { scope: 'col' }, t('v.status')),
            h('th', { scope: 'col' }, t('v.message')),
          ),
        ),
        h(
          'tbody',
          {},
          v.checks.map((c) =>
            h(
              'tr',
              { class: `check ${c.status}`, 'data-check': c.name },
              h('td', {}, checkName(c.name)),
              h('td', {}, h('span', { class: `pill ${c.status}` }, t(`status.${c.status}` as 'status.pass'))),
              h('td', {}, c.message ?? c.failure ?? ''),
            ),
          ),
        ),
      ),
    ),
    rules.length
      ? [
          h('h3', {}, t('v.rules')),
          h(
            'ul',
            { class: 'rules' },
            rules.map((r) =>
              h(
                'li',
                {},
                h('span', { class: `pill ${String(partValue(r, 'result'))}` }, String(partValue(r, 'result'))),
                ' ',
                String(partValue(r, 'identifier')),
                ': ',
                String(partValue(r, 'description') ?? ''),
              ),
            ),
          ),
        ]
      : null,
    content ? [h('h3', {}, t('v.content')), renderContent(content)] : null,
    h(
      'details',
      { class: 'raw' },
      h('summary', {}, t('v.raw')),
      payload !== undefined ? [h('h4', {}, t('v.payload')), h('pre', { tabindex: 0 }, pretty(String(payload)))] : null,
      h('h4', {}, t('v.answer')),
      h('pre', { tabindex: 0 }, JSON.stringify(answer, null, 2)),
    ),
  );
}

function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

/** The check's name in the user's language, its technical name after it. */
function checkName(name: string): string {
  const key = `check.${name}`;
  const words = t(key as 'check.signature');
  return words === key ? name : `${words} (${name})`;
}
