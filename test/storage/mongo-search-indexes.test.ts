/**
 * The MongoDB side of `search_1m_vs_10k`: no MongoDB server runs here, so what can be proved is that the filter
 * each of bench:rest's three searches sends (search-filter.ts) pins a declared index (indexes.ts) on its leading
 * keys: the type, the parameter, then the searched value, all from one `$elemMatch` (a multikey index only
 * combines bounds on one array element when they come from the same `$elemMatch`).
 * https://www.mongodb.com/docs/manual/core/multikey-index-bounds/
 */
import type { Filter, IndexSpec } from '../../src/storage/mongo/collection.ts';
import { RESOURCE_INDEXES } from '../../src/storage/mongo/indexes.ts';
import { queryFilter } from '../../src/storage/mongo/search-filter.ts';
import { q } from './contract/helpers.ts';

type Bound = 'eq' | 'range';

/** Per top-level `$elemMatch` on `ix.<array>`: the bound each element field gets (`ix.rf.i` → 'eq'). */
function elemBounds(filter: Filter): Array<Map<string, Bound>> {
  const out: Array<Map<string, Bound>> = [];
  for (const part of (filter.$and as Filter[] | undefined) ?? []) {
    for (const [array, cond] of Object.entries(part)) {
      const match = (cond as { $elemMatch?: Record<string, unknown> }).$elemMatch;
      if (!match) continue;
      const bounds = new Map<string, Bound>();
      for (const [field, value] of Object.entries(match)) {
        if (field.startsWith('$')) continue; // an $or inside gives no single bound
        const isRange =
          typeof value === 'object' && value !== null && Object.keys(value).some((k) => k.startsWith('$'));
        bounds.set(`${array}.${field}`, isRange ? 'range' : 'eq');
      }
      out.push(bounds);
    }
  }
  return out;
}

/** The leading keys of `index` the filter bounds: equalities, then at most one range, as the planner uses them. */
function boundPrefix(index: IndexSpec, filter: Filter, elem: Map<string, Bound>): string[] {
  const prefix: string[] = [];
  for (const key of Object.keys(index.keys)) {
    const bound = key === 't' ? (typeof filter.t === 'string' ? 'eq' : undefined) : elem.get(key);
    if (!bound) break;
    prefix.push(key);
    if (bound === 'range') break;
  }
  return prefix;
}

/** The declared index that the filter bounds on the most leading keys, and those keys. */
function bestIndex(search: string): { name: string; keys: string[] } {
  const filter = queryFilter(q('Immunization', search), { snapshot: 1 });
  let best = { name: '', keys: [] as string[] };
  for (const index of RESOURCE_INDEXES) {
    for (const elem of elemBounds(filter)) {
      const keys = boundPrefix(index, filter, elem);
      if (keys.length > best.keys.length) best = { name: index.name, keys };
    }
  }
  return best;
}

describe('MongoDB indexes behind the searches bench:rest times', () => {
  test('when searching by patient, then ix_reference is bounded on type, parameter, id and target type', () => {
    expect(bestIndex('patient=Patient/p-123')).toEqual({
      name: 'ix_reference',
      keys: ['t', 'ix.rf.p', 'ix.rf.i', 'ix.rf.t'],
    });
  });

  test('when searching by identifier, then ix_token is bounded on type, parameter, code and system', () => {
    expect(bestIndex('identifier=urn:bench:his|imm-1717')).toEqual({
      name: 'ix_token',
      keys: ['t', 'ix.tk.p', 'ix.tk.c', 'ix.tk.s'],
    });
  });

  test('when searching a date range, then ix_date is bounded on type, parameter and the low end', () => {
    expect(bestIndex('date=ge2019-03-01&date=lt2019-04-01')).toEqual({
      name: 'ix_date',
      keys: ['t', 'ix.dt.p', 'ix.dt.lo'],
    });
    expect(bestIndex('date=2019-03')).toEqual({ name: 'ix_date', keys: ['t', 'ix.dt.p', 'ix.dt.lo'] });
  });
});
