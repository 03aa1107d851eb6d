/**
 * Trust: where the trust list comes from and how it is doing, counts per country and domain, a verdict per
 * certificate, and the keys this server publishes (`/trust/status?detail=true`, `/.well-known/jwks.json`,
 * `/trust/did.json`).
 */
import { call } from '../api.ts';
import { h, show } from '../dom.ts';
import { t } from '../i18n.ts';
import { errorBox, loading } from '../page.ts';

type Any = Record<string, unknown>;

interface Status {
  state: string;
  source?: string;
  fetchedAt?: string;
  lastAttemptAt?: string;
  counts?: {
    csca: number;
    dsc: number;
    validDsc: number;
    invalid: number;
    shcKeys: number;
    byCountry?: Record<string, { csca: number; dsc: number }>;
    byDomain?: Record<string, number>;
  };
  lastError?: { code: string; message: string; at: string };
  proof?: Any;
  certificates?: {
    role: string;
    kid: string;
    country?: string;
    subject: string;
    notAfter: string;
    ok: boolean;
    reasons: unknown[];
    domains: string[];
  }[];
}

const cell = (v: unknown): string =>
  v === undefined || v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v);

function table(caption: string, head: string[], rows: unknown[][], cls = ''): HTMLElement {
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { class: cls },
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          head.map((k) => h('th', { scope: 'col' }, k)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            {},
            r.map((x) => h('td', {}, x instanceof Node ? x : cell(x))),
          ),
        ),
      ),
    ),
  );
}

export async function trustPage(root: HTMLElement): Promise<void> {
  const body = h('div', {}, loading());
  show(root, h('h1', {}, t('nav.trust')), h('p', { class: 'lead' }, t('trust.lead')), body);
  try {
    const [status, jwks, did] = await Promise.all([
      call<Status>('/trust/status?detail=true'),
      call<{ keys?: Any[] }>('/.well-known/jwks.json'),
      call<Any>('/trust/did.json'),
    ]);
    const counts = status.counts;
    const methods = (did.verificationMethod as Any[] | undefined) ?? [];
    const ok = status.state === 'ok';
    show(
      body,
      h(
        'div',
        { class: `banner ${ok ? 'ok' : 'bad'}`, role: 'status' },
        h('h2', { class: 'verdict-word trust-state' }, `${t('trust.state')}: ${status.state}`),
        status.lastError
          ? h(
              'p',
              { class: 'trust-error' },
              `${status.lastError.code}: ${status.lastError.message} (${status.lastError.at})`,
            )
          : null,
      ),
      h(
        'dl',
        { class: 'facts' },
        [
          [t('trust.source'), status.source],
          [t('trust.fetchedAt'), status.fetchedAt],
          [t('trust.lastAttempt'), status.lastAttemptAt],
          [t('trust.proof'), status.proof ? cell(status.proof.state ?? status.proof) : undefined],
        ].map(([k, v]) => [h('dt', {}, String(k)), h('dd', {}, cell(v))]),
      ),
      counts
        ? [
            table(
              t('trust.counts'),
              ['CSCA', 'DSC', t('trust.validDsc'), t('trust.invalid'), t('trust.shcKeys')],
              [[counts.csca, counts.dsc, counts.validDsc, counts.invalid, counts.shcKeys]],
            ),
            table(
              t('trust.byCountry'),
              [t('trust.country'), 'CSCA', 'DSC'],
              Object.entries(counts.byCountry ?? {}).map(([k, v]) => [k, v.csca, v.dsc]),
              'by-country',
            ),
            table(t('trust.byDomain'), [t('trust.domain'), t('trust.count')], Object.entries(counts.byDomain ?? {})),
          ]
        : null,
      table(
        t('trust.certificates'),
        [
          t('trust.verdict'),
          t('trust.role'),
          t('trust.country'),
          'kid',
          t('trust.subject'),
          t('trust.notAfter'),
          t('trust.reasons'),
        ],
        (status.certificates ?? []).map((x) => [
          h('span', { class: `pill ${x.ok ? 'pass' : 'fail'}` }, x.ok ? t('trust.trusted') : t('trust.refused')),
          x.role,
          x.country,
          x.kid,
          x.subject,
          x.notAfter,
          x.reasons.map(cell).join('; '),
        ]),
        'certificates',
      ),
      h('h2', {}, t('trust.ours')),
      table(
        t('trust.jwks'),
        ['kid', 'kty', 'crv', 'alg', 'use'],
        (jwks.keys ?? []).map((k) => [k.kid, k.kty, k.crv, k.alg, k.use]),
        'jwks',
      ),
      table(
        t('trust.dsc'),
        ['id', 'type', 'controller'],
        methods.map((m) => [m.id, m.type, m.controller]),
        'dsc',
      ),
    );
  } catch (err) {
    show(body, errorBox(err));
  }
}
