/**
 * Health Link viewer, the patient-facing side: open a `shlink:/` (or a viewer URL holding one, or a VHL `HC1:`), give
 * the passcode when the link asks for one, and read the summary it carries. The server fetches and decrypts the link
 * through `$verify` (it follows its own links, and others only from its allow-list); the link's label, flags and
 * expiry are read here from the link itself.
 */
import { call, param, parameters, type Param, type Resource } from '../api.ts';
import { field, h, show, stackForm } from '../dom.ts';
import { t } from '../i18n.ts';
import { renderContent } from '../content.ts';
import { errorBox } from '../page.ts';
import { readVerdict, renderVerdict } from '../verdict.ts';

interface LinkPayload {
  url?: string;
  flag?: string;
  label?: string;
  exp?: number;
}

/** The payload of a `shlink:/` (possibly behind a viewer URL's `#`); undefined for anything else. */
export function linkPayload(text: string): LinkPayload | undefined {
  const at = text.indexOf('shlink:/');
  if (at < 0) return undefined;
  try {
    const b64 = text
      .slice(at + 8)
      .trim()
      .replace(/-/g, '+')
      .replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as LinkPayload;
  } catch {
    return undefined;
  }
}

export function shlPage(root: HTMLElement, initial?: string): void {
  const link = h('textarea', { rows: 3, spellcheck: 'false', autocomplete: 'off', class: 'mono' });
  const passcode = h('input', { type: 'password', autocomplete: 'off' });
  const about = h('div', { class: 'link-about', 'aria-live': 'polite' });
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const describe = () => {
    const p = linkPayload(link.value);
    if (!p) return show(about);
    const needs = p.flag?.includes('P');
    passcode.required = !!needs;
    show(
      about,
      h(
        'dl',
        { class: 'facts' },
        p.label ? [h('dt', {}, t('shl.label')), h('dd', {}, p.label)] : null,
        p.exp ? [h('dt', {}, t('v.expires')), h('dd', {}, new Date(p.exp * 1000).toLocaleString())] : null,
        h('dt', {}, t('shl.passcodeNeeded')),
        h('dd', {}, needs ? t('yes') : t('no')),
      ),
    );
  };
  link.addEventListener('input', describe);
  if (initial) link.value = initial;
  describe();

  const open = async () => {
    show(result, h('p', { class: 'muted' }, t('busy')));
    const started = performance.now();
    try {
      const answer = await call<Resource>('/fhir/$verify', {
        body: parameters(
          { name: 'credential', valueString: link.value.trim() },
          passcode.value !== '' && { name: 'passcode', valueString: passcode.value },
        ),
      });
      const ms = performance.now() - started;
      const content = param(answer.parameter as Param[], 'content')?.resource;
      const v = readVerdict(answer);
      if (!content || !v.valid) {
        const why = v.checks.find((c) => c.status === 'fail');
        show(
          result,
          h(
            'div',
            { class: 'banner bad shl-banner', role: 'alert' },
            h('h2', { class: 'verdict-word' }, t('shl.failed')),
            h('p', { class: 'shl-why' }, why?.message ?? why?.failure ?? ''),
          ),
          h('details', {}, h('summary', {}, t('shl.details')), renderVerdict(answer, ms)),
        );
        return;
      }
      show(
        result,
        h(
          'div',
          { class: 'banner ok shl-banner', role: 'status' },
          h('h2', { class: 'verdict-word' }, t('shl.opened')),
        ),
        renderContent(content),
        h('details', {}, h('summary', {}, t('shl.details')), renderVerdict(answer, ms)),
      );
    } catch (err) {
      show(result, errorBox(err));
    }
  };
  const form = stackForm(
    () => void open(),
    field(t('shl.link'), link, t('shl.linkHint')),
    about,
    field(t('shl.passcode'), passcode),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('shl.open'))),
  );
  show(root, h('h1', {}, t('nav.shl')), h('p', { class: 'lead' }, t('shl.lead')), form, result);
}
