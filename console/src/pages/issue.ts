/**
 * Issue (development, or with an issuer token): pick a stored patient, mint an HCERT, a SMART Health Card or a
 * SMART Health Link through the issuance operations, see its QR code, and see `$verify` judge it at once.
 */
import { call, param, params, parameters, valueIn, type Param, type Resource } from '../api.ts';
import { field, h, show } from '../dom.ts';
import { t } from '../i18n.ts';
import { humanName } from '../content.ts';
import { errorBox, loading } from '../page.ts';
import { renderVerdict } from '../verdict.ts';

type Kind = 'hcert' | 'shc' | 'shl';

export async function issuePage(root: HTMLElement): Promise<void> {
  const patient = h('select', {});
  const passcode = h('input', { type: 'text', autocomplete: 'off', value: '' });
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const status = h('div', { 'aria-live': 'polite' }, loading());
  const mint = (kind: Kind) => () => void issue(kind, patient.value, passcode.value, result);
  show(
    root,
    h('h1', {}, t('nav.issue')),
    h('p', { class: 'lead' }, t('issue.lead')),
    status,
    h(
      'form',
      { class: 'stack', onsubmit: (e: Event) => e.preventDefault() },
      field(t('issue.patient'), patient),
      field(t('issue.passcode'), passcode, t('issue.passcodeHint')),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'primary', onclick: mint('hcert') }, t('issue.hcert')),
        h('button', { type: 'button', onclick: mint('shc') }, t('issue.shc')),
        h('button', { type: 'button', onclick: mint('shl') }, t('issue.shl')),
      ),
    ),
    result,
  );
  try {
    const bundle = await call<Resource>('/fhir/Patient?_count=100&_sort=-_lastUpdated');
    const patients = ((bundle.entry as { resource?: Resource }[] | undefined) ?? [])
      .map((e) => e.resource)
      .filter((r): r is Resource => r?.resourceType === 'Patient');
    show(
      patient,
      patients.map((p) =>
        h('option', { value: p.id ?? '' }, `${humanName(p)} · ${String(p.birthDate ?? '')} · ${p.id ?? ''}`),
      ),
    );
    show(status, patients.length ? null : h('p', { class: 'muted' }, t('issue.noPatients')));
  } catch (err) {
    show(status, errorBox(err));
  }
}

async function issue(kind: Kind, id: string, passcode: string, result: HTMLElement): Promise<void> {
  if (!id) return show(result, errorBox(new Error(t('issue.pick'))));
  show(result, loading());
  const base = `/fhir/Patient/${encodeURIComponent(id)}`;
  try {
    let credential: string;
    let qr: string | undefined;
    let extra: HTMLElement | null = null;
    if (kind === 'hcert') {
      const out = (await call<Resource>(`${base}/$issue-hcert?qrFormat=png`, { method: 'POST' })).parameter as Param[];
      credential = String(valueIn(param(out, 'hc1')));
      qr = (valueIn(param(out, 'qrPng')) as { data?: string } | undefined)?.data;
    } else if (kind === 'shc') {
      const out = (
        await call<Resource>(`${base}/$health-cards-issue`, {
          body: parameters({ name: 'credentialType', valueUri: 'https://smarthealth.cards#immunization' }),
        })
      ).parameter as Param[];
      const numeric = params(out, 'qrNumeric').map((p) => String(valueIn(p)));
      if (!numeric.length) throw new Error(warningsOf(out) || t('issue.nothing'));
      credential = numeric[0]!;
    } else {
      const query = new URLSearchParams({ qrFormat: 'png' });
      if (passcode) query.set('passcode', passcode);
      const out = (await call<Resource>(`${base}/$issue-shl?${query}`, { method: 'POST' })).parameter as Param[];
      credential = String(valueIn(param(out, 'shlink')));
      qr = (valueIn(param(out, 'qrPng')) as { data?: string } | undefined)?.data;
      const vhl = valueIn(param(out, 'vhl'));
      if (vhl)
        extra = h(
          'details',
          {},
          h('summary', {}, t('issue.vhl')),
          h('pre', { class: 'mono wrap', tabindex: 0 }, String(vhl)),
        );
    }
    const verdict = await call<Resource>('/fhir/$verify', {
      body: parameters(
        { name: 'credential', valueString: credential },
        kind === 'shl' && passcode !== '' && { name: 'passcode', valueString: passcode },
      ),
    });
    show(
      result,
      h('h2', {}, t(`issue.${kind}`)),
      h(
        'div',
        { class: 'issued' },
        qr ? h('img', { class: 'qr', src: `data:image/png;base64,${qr}`, alt: t('issue.qrAlt') }) : null,
        h(
          'div',
          {},
          h('h3', {}, t('issue.credential')),
          h('pre', { class: 'mono wrap credential', tabindex: 0 }, credential),
          extra,
        ),
      ),
      h('h3', {}, t('issue.verification')),
      renderVerdict(verdict),
    );
  } catch (err) {
    show(result, errorBox(err));
  }
}

function warningsOf(out: Param[]): string {
  const outcome = param(out, 'warnings')?.resource as { issue?: { details?: { text?: string } }[] } | undefined;
  return (outcome?.issue ?? [])
    .map((i) => i.details?.text)
    .filter(Boolean)
    .join('; ');
}
