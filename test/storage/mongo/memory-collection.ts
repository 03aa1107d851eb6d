/**
 * One collection of the in-memory MongoDB stand-in (see memory-collections.ts): `mingo` evaluates the real
 * MongoDB query and update language (filters, `$elemMatch`, `$nor`, `$regex`, sort, skip, limit, projection,
 * `$inc`/`$unset`), and unique indexes (with partial filters) raise the driver's E11000 error shape. A find
 * hinted to an index and without a sort returns documents in that index's order, as a server's index scan does
 * (`hintedOrder`).
 */
import { Query, find, update } from 'mingo';
import type {
  Doc,
  DocCollection,
  Filter,
  FindOptions,
  IndexSpec,
  TxSession,
} from '../../../src/storage/mongo/collection.ts';

export type DocMap = Map<string, Doc>;

export interface MemSession extends TxSession {
  active: boolean;
  /** Per collection: documents written in the transaction (null = deleted). */
  writes: Map<string, Map<string, Doc | null>>;
  /** Per collection: the committed document each written key had when the transaction first wrote it. */
  base: Map<string, Map<string, Doc | undefined>>;
}

interface ServerErrorInit {
  code: number;
  codeName: string;
  labels?: string[];
  extra?: Record<string, unknown>;
}

/** An error shaped like the driver's MongoServerError (code, codeName, errorLabels, keyPattern/keyValue). */
export function serverError(message: string, init: ServerErrorInit): Error {
  const err = new Error(message) as Error & Record<string, unknown>;
  err.name = 'MongoServerError';
  err.code = init.code;
  err.codeName = init.codeName;
  err.errorLabels = init.labels ?? [];
  Object.assign(err, init.extra);
  return err;
}

export function keyOf(id: unknown): string {
  return `${typeof id}:${String(id)}`;
}

function getPath(doc: Doc, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) cur = cur !== null && typeof cur === 'object' ? (cur as Doc)[part] : undefined;
  return cur ?? null;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

export interface Index {
  spec: IndexSpec;
  partial?: Query;
}

export interface MemCollectionDeps {
  name: string;
  committed: () => DocMap;
  indexes: Map<string, Index>;
}

function sessionOf(options?: { session?: TxSession }): MemSession | undefined {
  const s = options?.session as MemSession | undefined;
  if (s && !s.active)
    throw serverError('Cannot use a session that has ended', { code: 251, codeName: 'NoSuchTransaction' });
  return s;
}

/** The documents as `session` sees them: committed ones overlaid with its own writes. */
export function view(deps: MemCollectionDeps, session: MemSession | undefined): DocMap {
  const writes = session?.writes.get(deps.name);
  if (!writes || writes.size === 0) return deps.committed();
  const out = new Map(deps.committed());
  for (const [k, d] of writes) {
    if (d === null) out.delete(k);
    else out.set(k, d);
  }
  return out;
}

function duplicateKey(collection: string, spec: IndexSpec, values: unknown[]): Error {
  const fields = Object.keys(spec.keys);
  const keyValue = Object.fromEntries(fields.map((f, i) => [f, values[i]]));
  const shown = fields.map((f, i) => `${f}: ${JSON.stringify(values[i])}`).join(', ');
  return serverError(
    `E11000 duplicate key error collection: standin.${collection} index: ${spec.name} dup key: { ${shown} }`,
    {
      code: 11000,
      codeName: 'DuplicateKey',
      extra: { keyPattern: spec.keys, keyValue },
    },
  );
}

const ID_INDEX: IndexSpec = { name: '_id_', keys: { _id: 1 }, unique: true };

/** Throws E11000 when `doc` would clash with another document of `docs` on a unique index. */
export function checkUnique(
  name: string,
  indexes: Map<string, Index>,
  docs: DocMap,
  doc: Doc,
  inserting = false,
): void {
  const key = keyOf(doc._id);
  if (inserting && docs.has(key)) throw duplicateKey(name, ID_INDEX, [doc._id]);
  for (const { spec, partial } of indexes.values()) {
    if (!spec.unique || (partial && !partial.test(doc))) continue;
    const fields = Object.keys(spec.keys);
    const values = JSON.stringify(fields.map((f) => getPath(doc, f)));
    for (const [k, other] of docs) {
      if (k === key || (partial && !partial.test(other))) continue;
      if (JSON.stringify(fields.map((f) => getPath(other, f))) === values)
        throw duplicateKey(
          name,
          spec,
          fields.map((f) => getPath(doc, f)),
        );
    }
  }
}

function write(
  deps: MemCollectionDeps,
  session: MemSession | undefined,
  doc: Doc | null,
  key: string,
  inserting = false,
): void {
  if (doc) checkUnique(deps.name, deps.indexes, view(deps, session), doc, inserting);
  if (!session) {
    if (doc) deps.committed().set(key, doc);
    else deps.committed().delete(key);
    return;
  }
  const writes = session.writes.get(deps.name) ?? new Map<string, Doc | null>();
  const base = session.base.get(deps.name) ?? new Map<string, Doc | undefined>();
  if (!base.has(key)) base.set(key, deps.committed().get(key));
  writes.set(key, doc);
  session.writes.set(deps.name, writes);
  session.base.set(deps.name, base);
}

function matching(deps: MemCollectionDeps, filter: Filter, session: MemSession | undefined): Doc[] {
  const q = new Query(filter, {});
  return [...view(deps, session).values()].filter((d) => q.test(d));
}

/** A new document for an upsert: the filter's plain equality fields, then the update applied. */
function upserted(filter: Filter, modifier: Doc): Doc {
  const doc: Doc = {};
  for (const [k, v] of Object.entries(filter))
    if (!k.startsWith('$') && (typeof v !== 'object' || v === null)) doc[k] = v;
  update(doc, modifier as Parameters<typeof update>[1]);
  return doc;
}

type Key = Array<string | number | undefined>;

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const [x, y] = [a[i], b[i]];
    if (x === y) continue;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    return x < y ? -1 : 1;
  }
  return 0;
}

function valueAt(doc: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], doc);
}

/** The `$elemMatch` the filter puts on `array` (at its top level or in its `$and`), if any. */
function elemMatchOn(filter: Filter, array: string): Filter | undefined {
  const own = (filter[array] as { $elemMatch?: Filter } | undefined)?.$elemMatch;
  if (own) return own;
  for (const part of (filter.$and as Filter[] | undefined) ?? []) {
    const found = elemMatchOn(part, array);
    if (found) return found;
  }
  return undefined;
}

/**
 * Documents in the order of a scan of `spec` (stable, so ties keep insertion order like record ids). A multikey
 * index lists a document at its smallest key; the stand-in takes the smallest among the array elements the
 * filter's `$elemMatch` accepts, the elements a server's bounds let through (the bounds may be looser: only the
 * order of documents can differ, never which are returned).
 */
function hintedOrder(docs: Doc[], spec: IndexSpec, filter: Filter): Doc[] {
  const paths = Object.keys(spec.keys);
  const keyOfDoc = (doc: Doc): Key => {
    const arrayPath = paths
      .map((p) => p.split('.'))
      .flatMap((parts) => parts.map((_, i) => parts.slice(0, i + 1).join('.')))
      .find((prefix) => Array.isArray(valueAt(doc, prefix)));
    if (!arrayPath) return paths.map((p) => valueAt(doc, p) as string | number | undefined);
    const match = elemMatchOn(filter, arrayPath);
    const test = match ? new Query(match, {}) : undefined;
    const elements = (valueAt(doc, arrayPath) as Doc[]).filter((e) => !test || test.test(e));
    const keys = elements.map((e) =>
      paths.map(
        (p) =>
          (p.startsWith(`${arrayPath}.`) ? valueAt(e, p.slice(arrayPath.length + 1)) : valueAt(doc, p)) as
            | string
            | number
            | undefined,
      ),
    );
    return keys.sort(compareKeys)[0] ?? paths.map(() => undefined);
  };
  const keyed = docs.map((doc) => ({ doc, key: keyOfDoc(doc) }));
  keyed.sort((a, b) => compareKeys(a.key, b.key));
  return keyed.map((k) => k.doc);
}

export function memCollection<T extends Doc>(deps: MemCollectionDeps): DocCollection<T> {
  const first = (filter: Filter, session: MemSession | undefined): Doc | undefined =>
    matching(deps, filter, session)[0];
  const modify = (filter: Filter, modifier: Doc, options: { upsert?: boolean; session?: TxSession }) => {
    const session = sessionOf(options);
    const before = first(filter, session);
    if (!before && !options.upsert) return { before, after: undefined };
    const after = before ? clone(before) : upserted(filter, modifier);
    if (before) update(after, modifier as Parameters<typeof update>[1]);
    write(deps, session, after, keyOf(after._id), !before);
    return { before, after };
  };
  const findDocs = async (filter: Filter, options: FindOptions = {}): Promise<T[]> => {
    let docs = matching(deps, filter, sessionOf(options));
    if (options.hint !== undefined) {
      const index = deps.indexes.get(options.hint);
      if (!index)
        throw serverError(`hint provided does not correspond to an existing index`, { code: 2, codeName: 'BadValue' });
      if (!options.sort) docs = hintedOrder(docs, index.spec, filter);
    }
    let cursor = find(docs, {}, options.projection);
    if (options.sort) cursor = cursor.sort(options.sort);
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit) cursor = cursor.limit(options.limit);
    return clone(cursor.all()) as T[];
  };
  return {
    insertOne: async (doc, options) => {
      const stored = clone(doc) as Doc;
      write(deps, sessionOf(options), stored, keyOf(stored._id), true);
    },
    findOne: async (filter, options: FindOptions = {}) => (await findDocs(filter, { ...options, limit: 1 }))[0] ?? null,
    find: findDocs,
    countDocuments: async (filter, options) => matching(deps, filter, sessionOf(options)).length,
    findOneAndUpdate: async (filter, modifier, options) => {
      const { before, after } = modify(filter, modifier, options);
      const out = options.returnDocument === 'after' ? after : before;
      return out ? (clone(out) as T) : null;
    },
    updateOne: async (filter, modifier, options = {}) => ({
      matchedCount: modify(filter, modifier, options).before ? 1 : 0,
    }),
    replaceOne: async (filter, doc, options) => {
      const session = sessionOf(options);
      const before = first(filter, session);
      if (!before) return { matchedCount: 0 };
      write(deps, session, { ...clone(doc), _id: before._id }, keyOf(before._id));
      return { matchedCount: 1 };
    },
    deleteMany: async (filter, options) => {
      const session = sessionOf(options);
      const docs = matching(deps, filter, session);
      for (const d of docs) write(deps, session, null, keyOf(d._id));
      return docs.length;
    },
    createIndex: async (spec) => {
      const existing = deps.indexes.get(spec.name);
      if (existing && JSON.stringify(existing.spec) !== JSON.stringify(spec)) {
        throw serverError(`An index with name '${spec.name}' already exists with different options`, {
          code: 85,
          codeName: 'IndexOptionsConflict',
        });
      }
      if (existing) return;
      for (const doc of deps.committed().values())
        checkUnique(deps.name, new Map([[spec.name, { spec }]]), deps.committed(), doc);
      deps.indexes.set(spec.name, {
        spec,
        partial: spec.partialFilterExpression ? new Query(spec.partialFilterExpression, {}) : undefined,
      });
    },
  };
}
