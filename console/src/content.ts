/**
 * Decoded FHIR content made readable: who the patient is, the vaccination events, and for an IPS document its
 * sections with their entries. Narrative XHTML is never inserted as markup: entries are rendered from their data.
 */
import type { Resource } from './api.ts';
import { h } from './dom.ts';
import { t } from './i18n.ts';

type Any = Record<string, unknown>;
type Coding = { system?: string; code?: string; display?: string };
type Concept = { text?: string; coding?: Coding[] };

const str = (v: unknown): string | undefined =>
  typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;

export function conceptText(c: unknown): string | undefined {
  const concept = c as Concept | undefined;
  if (!concept) return undefined;
  if (concept.text) return concept.text;
  const coding = (concept as Coding).code ? (concept as Coding) : concept.coding?.[0];
  if (!coding) return undefined;
  return coding.display
    ? `${coding.display} (${coding.code})`
    : `${coding.code ?? ''}${coding.system ? ` · ${coding.system}` : ''}`;
}

export function humanName(p: Any): string {
  const name = (p.name as { text?: string; family?: string; given?: string[] }[] | undefined)?.[0];
  if (!name) return t('c.noName');
  return name.text ?? [...(name.given ?? []), name.family].filter(Boolean).join(' ');
}

/** The resources of a Bundle (or the resource itself). */
function resourcesOf(r: Resource): Any[] {
  if (r.resourceType !== 'Bundle') return [r as Any];
  return ((r.entry as { resource?: Any }[] | undefined) ?? []).map((e) => e.resource).filter((x): x is Any => !!x);
}

function patientCard(p: Any): HTMLElement {
  const ids = (p.identifier as { system?: string; value?: string }[] | undefined) ?? [];
  return h(
    'div',
    { class: 'card patient' },
    h('h4', {}, t('c.patient')),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, t('c.name')),
      h('dd', { class: 'patient-name' }, humanName(p)),
      p.birthDate ? [h('dt', {}, t('c.birthDate')), h('dd', {}, String(p.birthDate))] : null,
      p.gender ? [h('dt', {}, t('c.gender')), h('dd', {}, String(p.gender))] : null,
      ids.map((i) => [
        h('dt', {}, t('c.identifier')),
        h('dd', {}, `${i.value ?? ''}${i.system ? ` (${i.system})` : ''}`),
      ]),
    ),
  );
}

function immunizationRow(i: Any): HTMLElement {
  const protocol = (i.protocolApplied as Any[] | undefined)?.[0];
  const dose = protocol
    ? `${str(protocol.doseNumberPositiveInt) ?? str(protocol.doseNumberString) ?? '?'} / ${str(protocol.seriesDosesPositiveInt) ?? str(protocol.seriesDosesString) ?? '?'}`
    : '';
  const disease = conceptText((protocol?.targetDisease as unknown[] | undefined)?.[0]);
  return h(
    'tr',
    { class: 'immunization' },
    h('td', {}, str(i.occurrenceDateTime) ?? str(i.occurrenceString) ?? ''),
    h('td', {}, conceptText(i.vaccineCode) ?? ''),
    h('td', {}, disease ?? ''),
    h('td', {}, dose),
    h('td', {}, str(i.lotNumber) ?? ''),
  );
}

function immunizationTable(list: Any[]): HTMLElement {
  return h(
    'div',
    { class: 'card' },
    h('h4', {}, t('c.vaccinations')),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [t('c.date'), t('c.vaccine'), t('c.disease'), t('c.dose'), t('c.lot')].map((x) =>
              h('th', { scope: 'col' }, x),
            ),
          ),
        ),
        h('tbody', {}, list.map(immunizationRow)),
      ),
    ),
  );
}

/** One line for any clinical resource inside an IPS section. */
export function entryLine(r: Any): string {
  const what =
    conceptText(r.code) ??
    conceptText(r.vaccineCode) ??
    conceptText(r.medicationCodeableConcept) ??
    conceptText(
      (r.medicationReference as { display?: string } | undefined)?.display
        ? { text: (r.medicationReference as { display: string }).display }
        : undefined,
    ) ??
    str(r.description) ??
    r.resourceType;
  const when =
    str(r.occurrenceDateTime) ??
    str(r.effectiveDateTime) ??
    str(r.onsetDateTime) ??
    str(r.recordedDate) ??
    str(r.issued);
  const status = conceptText(r.clinicalStatus) ?? str(r.status);
  const value = r.valueQuantity
    ? `${str((r.valueQuantity as Any).value) ?? ''} ${str((r.valueQuantity as Any).unit) ?? ''}`.trim()
    : (conceptText(r.valueCodeableConcept) ?? str(r.valueString));
  return [String(what), value, when, status].filter(Boolean).join(' · ');
}

function ipsSections(composition: Any, byRef: Map<string, Any>): HTMLElement {
  const sections = (composition.section as Any[] | undefined) ?? [];
  return h(
    'div',
    { class: 'ips' },
    h('h4', {}, str(composition.title) ?? t('c.summary')),
    sections.map((s) => {
      const entries = ((s.entry as { reference?: string }[] | undefined) ?? [])
        .map((e) => (e.reference ? byRef.get(e.reference) : undefined))
        .filter((x): x is Any => !!x);
      return h(
        'section',
        { class: 'card ips-section' },
        h('h5', {}, str(s.title) ?? conceptText(s.code) ?? ''),
        entries.length
          ? h(
              'ul',
              {},
              entries.map((r) => h('li', {}, entryLine(r))),
            )
          : h('p', { class: 'muted' }, t('c.noEntries')),
      );
    }),
  );
}

export function renderContent(content: Resource): HTMLElement {
  const all = resourcesOf(content);
  const byRef = new Map<string, Any>();
  const entries = (content.entry as { fullUrl?: string; resource?: Any }[] | undefined) ?? [];
  for (const e of entries) {
    if (!e.resource) continue;
    if (e.fullUrl) byRef.set(e.fullUrl, e.resource);
    if (e.resource.id) byRef.set(`${e.resource.resourceType}/${e.resource.id}`, e.resource);
  }
  const patients = all.filter((r) => r.resourceType === 'Patient');
  const immunizations = all.filter((r) => r.resourceType === 'Immunization');
  const composition = all.find((r) => r.resourceType === 'Composition');
  // An IPS has many sections (shown whole); a DDCC document has one, whose vaccinations the table shows better.
  const sections = (composition?.section as unknown[] | undefined)?.length ?? 0;
  const showSections = !!composition && (sections > 1 || immunizations.length === 0);
  return h(
    'div',
    { class: 'content' },
    patients.map(patientCard),
    immunizations.length ? immunizationTable(immunizations) : null,
    showSections ? ipsSections(composition, byRef) : null,
  );
}
