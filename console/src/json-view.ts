/**
 * A resource printed as indented JSON, one element per line, knowing which lines each element spans, so an issue's
 * FHIRPath expression (`Immunization.extension[1].url`) can light up the element it names.
 */
import { h } from './dom.ts';

export interface JsonView {
  element: HTMLElement;
  /** Highlights the element an expression names (or its nearest ancestor); false when none matches. */
  highlight(expression: string): boolean;
}

type Span = { start: number; end: number };

export function jsonView(value: unknown): JsonView {
  const lines: string[] = [];
  const spans = new Map<string, Span>();
  const write = (v: unknown, indent: string, prefix: string, path: string, last: boolean) => {
    const comma = last ? '' : ',';
    const start = lines.length;
    if (Array.isArray(v)) {
      lines.push(`${indent}${prefix}[`);
      v.forEach((item, i) => write(item, `${indent}  `, '', `${path}[${i}]`, i === v.length - 1));
      lines.push(`${indent}]${comma}`);
    } else if (v && typeof v === 'object') {
      lines.push(`${indent}${prefix}{`);
      const entries = Object.entries(v);
      entries.forEach(([k, item], i) =>
        write(item, `${indent}  `, `${JSON.stringify(k)}: `, path ? `${path}.${k}` : k, i === entries.length - 1),
      );
      lines.push(`${indent}}${comma}`);
    } else {
      lines.push(`${indent}${prefix}${JSON.stringify(v)}${comma}`);
    }
    spans.set(path, { start, end: lines.length - 1 });
    // A repeating element is also reachable without its index when it has one item (FHIRPath `name.family`).
    if (Array.isArray(v) && v.length === 1)
      spans.set(`${path}[0]`, spans.get(`${path}[0]`) ?? { start, end: lines.length - 1 });
  };
  write(value, '', '', '', true);
  const rows = lines.map((text, i) => h('span', { class: 'line', 'data-line': i + 1 }, `${text}\n`));
  const element = h('pre', { class: 'json mono', tabindex: 0 }, rows);

  const find = (expression: string): Span | undefined => {
    const segments = normalise(expression);
    for (let n = segments.length; n >= 0; n--) {
      const span = resolve(segments.slice(0, n));
      if (span) return span;
    }
    return undefined;
  };
  // Choice elements: FHIRPath says `occurrence`, JSON says `occurrenceDateTime`.
  const resolve = (segments: string[]): Span | undefined => {
    let path = '';
    for (const seg of segments) {
      const [, name = seg, index] = /^([^[]+)(\[\d+\])?$/.exec(seg) ?? [];
      const direct = path ? `${path}.${name}` : name;
      let base = spans.has(direct) ? direct : undefined;
      if (!base) {
        const choice = [...spans.keys()].find(
          (k) => k.startsWith(direct) && /^[A-Z][A-Za-z]*$/.test(k.slice(direct.length)),
        );
        if (!choice) return undefined;
        base = choice;
      }
      path = index ? `${base}${index}` : base;
      if (!spans.has(path)) return undefined;
    }
    return spans.get(path);
  };

  return {
    element,
    highlight(expression) {
      for (const r of rows) r.classList.remove('hl');
      const span = find(expression);
      if (!span) return false;
      for (let i = span.start; i <= span.end; i++) rows[i]?.classList.add('hl');
      rows[span.start]?.scrollIntoView({ block: 'center' });
      return true;
    },
  };
}

/** `Bundle.entry[0].resource.ofType(Patient).name[0]` → ['entry[0]', 'resource', 'name[0]']. */
function normalise(expression: string): string[] {
  const cleaned = expression
    .replace(/\.(ofType|as|where|extension)\(([^()]|\([^()]*\))*\)/g, (m, fn: string) => {
      const url = /^\.extension\('([^']+)'\)/.exec(m)?.[1];
      return fn === 'extension' && url ? `.extension` : '';
    })
    .replace(/\.resolve\(\)/g, '');
  const segments = cleaned.split('.').filter(Boolean);
  return /^[A-Z]/.test(segments[0] ?? '') ? segments.slice(1) : segments;
}
