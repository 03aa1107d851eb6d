/**
 * Packages: the IG packages the server validates with (`$packages`), what is missing, and per package its profiles,
 * value sets and examples; each example is validated against its profile in one click.
 */
import { call, param, params, partValue, valueIn, type Outcome, type Param, type Resource } from '../api.ts';
import { h, show } from '../dom.ts';
import { t } from '../i18n.ts';
import { errorBox, loading } from '../page.ts';
import { renderOutcome } from './validate.ts';

export async function packagesPage(root: HTMLElement): Promise<void> {
  const list = h('div', { class: 'packages' }, loading());
  show(root, h('h1', {}, t('nav.packages')), h('p', { class: 'lead' }, t('packages.lead')), list);
  try {
    const answer = await call<Resource>('/fhir/$packages');
    const all = answer.parameter as Param[];
    const ingest = params(all, 'ingestProfile');
    const warnings = params(all, 'warning').map((w) => String(valueIn(w)));
    show(
      list,
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          { class: 'package-table' },
          h('caption', { class: 'sr-only' }, t('nav.packages')),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              [
                t('packages.id'),
                t('packages.version'),
                t('packages.resources'),
                t('packages.examples'),
                t('packages.missing'),
                '',
              ].map((x) => h('th', { scope: 'col' }, x)),
            ),
          ),
          h(
            'tbody',
            {},
            params(all, 'package').map((p) => packageRow(p)),
          ),
        ),
      ),
      ingest.length
        ? [
            h('h2', {}, t('packages.ingest')),
            h(
              'ul',
              {},
              ingest.map((i) =>
                h(
                  'li',
                  {},
                  `${String(partValue(i, 'resourceType'))}: `,
                  h('code', {}, String(partValue(i, 'profile'))),
                  ' — ',
                  partValue(i, 'loaded')
                    ? t('packages.loaded')
                    : h('strong', { class: 'bad-text' }, t('packages.notLoaded')),
                ),
              ),
            ),
          ]
        : null,
      warnings.length
        ? [
            h('h2', {}, t('packages.warnings')),
            h(
              'ul',
              { class: 'warnings' },
              warnings.map((w) => h('li', {}, w)),
            ),
          ]
        : null,
      h('div', { id: 'package-detail' }),
    );
  } catch (err) {
    show(list, errorBox(err));
  }
}

function packageRow(p: Param): HTMLElement {
  const id = String(partValue(p, 'id'));
  const counts = params(p.part, 'count').map(
    (c) => `${String(partValue(c, 'resourceType'))} ${String(partValue(c, 'count'))}`,
  );
  const missing = params(p.part, 'missingDependency').map((m) => String(valueIn(m)));
  return h(
    'tr',
    { 'data-package': id },
    h('th', { scope: 'row' }, id),
    h('td', {}, String(partValue(p, 'version'))),
    h('td', { class: 'small' }, counts.join(', ')),
    h('td', {}, String(partValue(p, 'examples') ?? 0)),
    h('td', {}, missing.length ? h('span', { class: 'bad-text missing' }, missing.join(', ')) : '—'),
    h(
      'td',
      {},
      h(
        'button',
        { type: 'button', onclick: () => void openPackage(id), 'aria-label': t('packages.openNamed', { id }) },
        t('packages.open'),
      ),
    ),
  );
}

async function openPackage(id: string): Promise<void> {
  const box = document.getElementById('package-detail');
  if (!box) return;
  show(box, loading());
  try {
    const answer = await call<Resource>(`/fhir/$packages?packageId=${encodeURIComponent(id)}`);
    const pkg = param(answer.parameter as Param[], 'package');
    const profiles = params(pkg?.part, 'profile');
    const valueSets = params(pkg?.part, 'valueSet');
    const examples = params(pkg?.part, 'example');
    show(
      box,
      h('h2', { tabindex: -1, id: 'package-title' }, `${id}#${String(partValue(pkg, 'version'))}`),
      h('h3', {}, `${t('packages.examples')} (${examples.length})`),
      examples.length
        ? h('ul', { class: 'examples' }, examples.map(exampleItem))
        : h('p', { class: 'muted' }, t('packages.none')),
      h(
        'details',
        {},
        h('summary', {}, `${t('packages.profiles')} (${profiles.length})`),
        h(
          'ul',
          { class: 'small' },
          profiles.map((x) =>
            h(
              'li',
              {},
              `${String(partValue(x, 'name') ?? '')} · ${String(partValue(x, 'type') ?? '')} — `,
              h('code', {}, String(partValue(x, 'url'))),
            ),
          ),
        ),
      ),
      h(
        'details',
        {},
        h('summary', {}, `${t('packages.valueSets')} (${valueSets.length})`),
        h(
          'ul',
          { class: 'small' },
          valueSets.map((x) =>
            h('li', {}, `${String(partValue(x, 'name') ?? '')} — `, h('code', {}, String(partValue(x, 'url')))),
          ),
        ),
      ),
    );
    document.getElementById('package-title')?.focus();
  } catch (err) {
    show(box, errorBox(err));
  }
}

function exampleItem(e: Param): HTMLElement {
  const file = String(partValue(e, 'file'));
  const profile = partValue(e, 'profile') as string | undefined;
  const resource = param(e.part, 'resource')?.resource;
  const out = h('div', { class: 'example-result', 'aria-live': 'polite' });
  const run = async () => {
    if (!resource) return;
    show(out, loading());
    try {
      const query = profile ? `?profile=${encodeURIComponent(profile)}` : '';
      const outcome = await call<Outcome>(`/fhir/${encodeURIComponent(resource.resourceType)}/$validate${query}`, {
        body: resource,
      });
      const details = h(
        'details',
        {},
        h('summary', {}, t('packages.details')),
        renderOutcome(resource, outcome, profile ?? ''),
      );
      const errors = (outcome.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal').length;
      const warnings = (outcome.issue ?? []).filter((i) => i.severity === 'warning').length;
      show(
        out,
        h(
          'span',
          { class: `pill ${errors ? 'fail' : 'pass'} example-verdict`, 'data-errors': errors },
          t('packages.exampleResult', { errors, warnings }),
        ),
        details,
      );
    } catch (err) {
      show(out, errorBox(err));
    }
  };
  return h(
    'li',
    { class: 'example', 'data-file': file },
    h('code', {}, file),
    ` ${String(partValue(e, 'resourceType'))}`,
    profile ? h('span', { class: 'muted small' }, ` → ${profile}`) : null,
    ' ',
    h(
      'button',
      { type: 'button', onclick: () => void run(), 'aria-label': t('packages.validateNamed', { file }) },
      t('packages.validate'),
    ),
    out,
  );
}
