/** Trust: where the trust list comes from and how it is doing, counts per country, a verdict per certificate, and
 * the keys this server publishes (`/trust/status?detail=true`, `/.well-known/jwks.json`, `/trust/did.json`). */
import { call } from '../api.ts';
import { h, show } from '../dom.ts';
import { t } from '../i18n.ts';
import { errorBox, loading } from '../page.ts';

type Any = Record<string, unknown>;

const cell = (v: unknown): string =>
  v === undefined || v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** A table of objects: one column per key found in any row (keys in first-seen order). */
function table(rows: Any[], caption: string): HTMLElement {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          keys.map((k) => h('th', { scope: 'col' }, k)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            {},
            keys.map((k) => h('td', {}, cell(r[k]))),
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
      call<Any>('/trust/status?detail=true'),
      call<{ keys?: Any[] }>('/.well-known/jwks.json'),
      call<Any>('/trust/did.json'),
    ]);
    const facts = Object.entries(status).filter(([, v]) => v === null || typeof v !== 'object');
    const counts = Object.entries(status).filter(([, v]) => v && typeof v === 'object' && !Array.isArray(v));
    const lists = Object.entries(status).filter(
      ([, v]) => Array.isArray(v) && (v as unknown[]).some((x) => x && typeof x === 'object'),
    );
    const methods = (did.verificationMethod as Any[] | undefined) ?? [];
    show(
      body,
      h('h2', {}, t('trust.status')),
      h(
        'dl',
        { class: 'facts trust-facts' },
        facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, cell(v))]),
      ),
      counts.map(([k, v]) =>
        h(
          'details',
          { open: k === 'countries' || k === 'perCountry' },
          h('summary', {}, k),
          h('pre', { class: 'mono', tabindex: 0 }, JSON.stringify(v, null, 2)),
        ),
      ),
      lists.map(([k, v]) => [h('h3', {}, k), table(v as Any[], k)]),
      h('h2', {}, t('trust.ours')),
      h('h3', {}, t('trust.jwks')),
      table(
        (jwks.keys ?? []).map((k) => ({ kid: k.kid, kty: k.kty, crv: k.crv, alg: k.alg, use: k.use })),
        t('trust.jwks'),
      ),
      h('h3', {}, t('trust.dsc')),
      table(
        methods.map((m) => ({ id: m.id, type: m.type, controller: m.controller })),
        t('trust.dsc'),
      ),
    );
  } catch (err) {
    show(body, errorBox(err));
  }
}
