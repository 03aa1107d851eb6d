/**
 * Validate: paste or pick a FHIR resource, choose a profile of the loaded packages (a searchable list), see the
 * issues grouped by severity; choosing an issue lights up the element in the resource. The CLI's HTML report of
 * the result can be downloaded.
 */
import { call, type Issue, type Outcome, type Resource } from '../api.ts';
import { field, h, readFile, show, stackForm, uid } from '../dom.ts';
import { t } from '../i18n.ts';
import { jsonView } from '../json-view.ts';
import { errorBox } from '../page.ts';
import { loadProfiles } from '../profiles.ts';
import { formatHtmlReport } from '../../../src/cli/report-html.ts';

const GROUPS = [
  ['error', (i: Issue) => i.severity === 'error' || i.severity === 'fatal'],
  ['warning', (i: Issue) => i.severity === 'warning'],
  ['information', (i: Issue) => i.severity === 'information'],
] as const;

export function validatePage(root: HTMLElement): void {
  const text = h('textarea', { rows: 10, spellcheck: 'false', class: 'mono' });
  const file = h('input', { type: 'file', accept: 'application/json,application/fhir+json,.json' });
  const listId = uid('profiles');
  const profile = h('input', { type: 'text', list: listId, autocomplete: 'off', spellcheck: 'false', class: 'mono' });
  const datalist = h('datalist', { id: listId });
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  loadProfiles()
    .then((list) =>
      show(
        datalist,
        list.map((p) => h('option', { value: p.url }, `${p.name} · ${p.type} · ${p.pkg}`)),
      ),
    )
    .catch(() => undefined);
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (f) text.value = await readFile(f, 'text');
  });

  const form = stackForm(
    () => void validate(text.value, profile.value.trim(), result),
    field(t('validate.resource'), text, t('validate.resourceHint')),
    field(t('validate.file'), file),
    field(t('validate.profile'), profile, t('validate.profileHint')),
    datalist,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('validate.go'))),
  );
  show(root, h('h1', {}, t('nav.validate')), h('p', { class: 'lead' }, t('validate.lead')), form, result);
}

/** Validates `text` (against `profile` when given) and shows the outcome in `result`. */
export async function validate(text: string, profile: string, result: HTMLElement): Promise<Outcome | undefined> {
  let resource: Resource;
  try {
    resource = JSON.parse(text) as Resource;
    if (typeof resource?.resourceType !== 'string') throw new Error(t('validate.noType'));
  } catch (err) {
    show(result, errorBox(new Error(`${t('validate.notJson')} ${(err as Error).message}`)));
    return undefined;
  }
  show(result, h('p', { class: 'muted' }, t('busy')));
  try {
    const query = profile ? `?profile=${encodeURIComponent(profile)}` : '';
    const outcome = await call<Outcome>(`/fhir/${encodeURIComponent(resource.resourceType)}/$validate${query}`, {
      body: resource,
    });
    show(result, renderOutcome(resource, outcome, profile));
    return outcome;
  } catch (err) {
    show(result, errorBox(err));
    return undefined;
  }
}

export function renderOutcome(resource: Resource, outcome: Outcome, profile: string): HTMLElement {
  const issues = outcome.issue ?? [];
  const view = jsonView(resource);
  const errors = issues.filter(GROUPS[0][1]).length;
  const report = () => {
    const html = formatHtmlReport({
      engine: 'gdhcn-gateway $validate',
      packages: [],
      warnings: [],
      files: [
        {
          file: `${resource.resourceType}/${resource.id ?? ''}`,
          profiles: profile ? [profile] : [],
          outcome: outcome as never,
        },
      ],
    });
    const a = h('a', {
      href: URL.createObjectURL(new Blob([html], { type: 'text/html' })),
      download: 'validation-report.html',
    });
    a.click();
    URL.revokeObjectURL(a.href);
  };
  return h(
    'section',
    { class: 'outcome', 'aria-labelledby': 'outcome-title' },
    h(
      'div',
      { class: `banner ${errors ? 'bad' : 'ok'}`, role: 'status' },
      h(
        'h2',
        { id: 'outcome-title', class: 'verdict-word' },
        errors ? t('validate.failed', { n: errors }) : t('validate.passed'),
      ),
      h(
        'p',
        { class: 'counts' },
        GROUPS.map(([g, test]) => `${t(`sev.${g}`)}: ${issues.filter(test).length}`).join(' · '),
      ),
    ),
    h(
      'div',
      { class: 'split' },
      h(
        'div',
        { class: 'issues' },
        GROUPS.map(([group, test]) => {
          const list = issues.filter(test);
          if (!list.length) return null;
          return h(
            'section',
            { class: `group ${group}` },
            h('h3', {}, `${t(`sev.${group}`)} (${list.length})`),
            h(
              'ul',
              {},
              list.map((i) => {
                const expr = i.expression?.[0] ?? '';
                const id = i.details?.coding?.find((c) => c.code)?.code;
                return h(
                  'li',
                  { class: `issue ${group}` },
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'link',
                      'data-expression': expr,
                      onclick: () => {
                        if (expr) view.highlight(expr);
                      },
                    },
                    h('code', { class: 'expr' }, expr || t('validate.noPath')),
                  ),
                  h('span', { class: 'text' }, ` ${i.details?.text ?? i.diagnostics ?? ''}`),
                  id ? h('span', { class: 'muted small' }, ` [${id}]`) : null,
                );
              }),
            ),
          );
        }),
      ),
      h('div', { class: 'resource' }, h('h3', {}, t('validate.theResource')), view.element),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: report }, t('validate.report'))),
  );
}
