/**
 * The SMART Health Link registry: create a link (random 256-bit link id in an https manifest URL, file encrypted
 * with a fresh key that only the `shlink:/` payload carries), answer manifest requests (passcode, attempt counting,
 * expiry, embedded vs short-lived `location`), serve direct files (flag U) and revoke. State lives in the storage
 * port (see shl-link-record.ts). Passcode checks of one link run one at a time and re-check the link in a transaction
 * after the hash; wrong ones are counted by a transaction with an If-Match version check and retry, so N parallel
 * guesses against K allowed attempts consume exactly K and no guess after the K-th wrong one gets through.
 * https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html
 */
import type { DocumentReference } from '@medplum/fhirtypes';
import { OutcomeError, issue } from '../fhir/outcome.ts';
import { encodeBase64Url } from '../formats/json.ts';
import { encryptShlFile, type ShlContentType } from '../formats/shl/jwe.ts';
import { encodeShlink, newShlinkKey, type ShlinkPayload } from '../formats/shl/link.ts';
import { buildManifestResponse, type ManifestRequest, type ManifestResponse } from '../formats/shl/manifest.ts';
import type { ResourceStore } from '../storage/store.ts';
import {
  hashTicket,
  type NewLinkRecord,
  newLinkRecord,
  readLinkRecord,
  recordIdOf,
  withState,
  type ShlLinkState,
} from './shl-link-record.ts';
import { hashPasscode, passcodeMatches } from './shl-passcode.ts';

export interface ShlContext {
  store: ResourceStore;
  /** Public https base of the SHL endpoints, e.g. `https://gw.example.org/shl` (manifest URL = base + '/' + linkId). */
  shlBaseUrl: string;
  randomBytes: (size: number) => Uint8Array;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

/** What a link's holder chose (expiry, passcode, label) and whom it is for, as link-record fields (SHL and VHL). */
export async function linkRecordOptions(
  input: { exp?: Date; passcode?: string; maxAttempts?: number; label?: string; patientId?: string },
  randomBytes: (n: number) => Uint8Array,
): Promise<Partial<NewLinkRecord>> {
  return {
    ...(input.exp ? { exp: input.exp } : {}),
    ...(input.passcode !== undefined
      ? {
          passcodeHash: await hashPasscode(input.passcode, randomBytes),
          maxAttempts: input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        }
      : {}),
    ...(input.label ? { label: input.label } : {}),
    ...(input.patientId ? { patientId: input.patientId } : {}),
  };
}
const TICKET_SECONDS = 300;

/** Wrong or missing passcode: HTTP 401 with `remainingAttempts` in the body (SHL spec, manifest request). */
export class ShlPasscodeError extends OutcomeError {
  readonly remainingAttempts: number;
  constructor(remainingAttempts: number) {
    super(
      'unauthorized',
      issue({
        code: 'security',
        id: 'SHL_PASSCODE_INVALID',
        text: `The passcode is missing or wrong; ${remainingAttempts} attempt(s) left`,
      }),
    );
    this.remainingAttempts = remainingAttempts;
  }
}

function inactive(id: 'SHL_NOT_FOUND' | 'SHL_EXPIRED' | 'SHL_DISABLED', text: string): OutcomeError {
  return new OutcomeError('not-found', issue({ code: id === 'SHL_EXPIRED' ? 'expired' : 'not-found', id, text }));
}

export interface CreateShlLinkInput {
  content: string | Uint8Array;
  contentType: ShlContentType;
  now: Date;
  passcode?: string;
  exp?: Date;
  label?: string;
  /** Letters L and/or U (P is set from `passcode`). */
  flag?: string;
  maxAttempts?: number;
  patientId?: string;
  /** The record the content came from (`Bundle/…`). */
  source?: string;
  viewerUrl?: string;
}

export interface CreatedShlLink {
  /** `shlink:/…` (viewer-prefixed when a viewer URL was given). */
  link: string;
  payload: ShlinkPayload;
  /** The secret path segment of the manifest URL (≥ 256 bits of entropy). */
  linkId: string;
  manifestUrl: string;
  recordId: string;
}

function linkFlag(input: CreateShlLinkInput): string {
  const letters = new Set((input.flag ?? '').toUpperCase().replace(/[^LU]/g, ''));
  if (input.passcode !== undefined) letters.add('P');
  return ['L', 'P', 'U'].filter((l) => letters.has(l)).join('');
}

/**
 * Create a link and store it. Throws FormatError SHLINK_INVALID for P with U, or a URL over 128 characters.
 * @example const { link } = await createShlLink(ctx, { content: JSON.stringify(ips), contentType: 'application/fhir+json', now, passcode: '1234' })
 * @see https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html#create-a-smart-health-link
 */
export async function createShlLink(ctx: ShlContext, input: CreateShlLinkInput): Promise<CreatedShlLink> {
  const linkId = encodeBase64Url(ctx.randomBytes(32));
  const manifestUrl = `${ctx.shlBaseUrl.replace(/\/+$/, '')}/${linkId}`;
  const key = newShlinkKey(ctx.randomBytes);
  const flag = linkFlag(input);
  const payload: ShlinkPayload = { url: manifestUrl, key, v: 1 };
  if (input.exp) payload.exp = Math.floor(input.exp.getTime() / 1000);
  if (flag) payload.flag = flag;
  if (input.label) payload.label = input.label;
  const link = encodeShlink(payload, input.viewerUrl ? { viewerUrl: input.viewerUrl } : {});
  const jwe = await encryptShlFile(input.content, key, { contentType: input.contentType, zip: true });
  const recordId = recordIdOf(linkId);
  const record = newLinkRecord({
    recordId,
    flag,
    contentType: input.contentType,
    jwe,
    now: input.now,
    ...(await linkRecordOptions(input, ctx.randomBytes)),
    ...(input.source ? { source: input.source } : {}),
  });
  await ctx.store.update(record);
  return { link, payload, linkId, manifestUrl, recordId };
}

async function load(store: ResourceStore, linkId: string): Promise<{ doc: DocumentReference; state: ShlLinkState }> {
  const read = await store.read('DocumentReference', recordIdOf(linkId));
  const doc = read.status === 'found' ? (read.resource as DocumentReference) : undefined;
  const state = doc && readLinkRecord(doc);
  if (!doc || !state) throw inactive('SHL_NOT_FOUND', 'No active SMART Health Link at this address');
  return { doc, state };
}

function assertUsable(state: ShlLinkState, now: Date): void {
  if (!state.active)
    throw inactive('SHL_DISABLED', 'This SMART Health Link was disabled after too many wrong passcodes');
  if (state.exp && now.getTime() > Date.parse(state.exp))
    throw inactive('SHL_EXPIRED', `This SMART Health Link expired at ${state.exp}`);
}

/** One atomic read-modify-write of a link's state; retried when another writer got there first. */
async function mutate<T>(
  store: ResourceStore,
  linkId: string,
  change: (state: ShlLinkState) => { state: ShlLinkState; result: T },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await store.transaction(async (tx) => {
        const { doc, state } = await load(tx, linkId);
        const next = change(state);
        await tx.update(withState(doc, next.state), state.versionId ? { ifMatch: state.versionId } : {});
        return next.result;
      });
    } catch (e) {
      if (!(e instanceof OutcomeError) || (e.kind !== 'precondition-failed' && e.kind !== 'conflict') || attempt >= 50)
        throw e;
    }
  }
}

/** A wrong guess: consume one attempt (disabling the link at zero) and report what is left. */
async function consumeAttempt(store: ResourceStore, linkId: string): Promise<never> {
  const remaining = await mutate(store, linkId, (state) => {
    if (!state.active)
      throw inactive('SHL_DISABLED', 'This SMART Health Link was disabled after too many wrong passcodes');
    const left = Math.max(0, (state.attemptsRemaining ?? 0) - 1);
    return { state: { ...state, attemptsRemaining: left, active: left > 0 }, result: left };
  });
  throw new ShlPasscodeError(remaining);
}

/** Per store, the tail of each link's chain of passcode checks (so checks of one link run one at a time). */
const passcodeChains = new WeakMap<ResourceStore, Map<string, Promise<unknown>>>();

/** Runs `work` after every earlier passcode check of the same link (in arrival order) has finished. */
function oneAtATime<T>(store: ResourceStore, linkId: string, work: () => Promise<T>): Promise<T> {
  let chains = passcodeChains.get(store);
  if (!chains) passcodeChains.set(store, (chains = new Map()));
  const links = chains;
  const run = (links.get(linkId) ?? Promise.resolve()).then(work);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  links.set(linkId, tail);
  void tail.then(() => {
    if (links.get(linkId) === tail) links.delete(linkId);
  });
  return run;
}

/** The right passcode is accepted only if, in one transaction after the (slow) hash, the link is still usable. */
async function confirmUsable(store: ResourceStore, linkId: string, now: Date): Promise<void> {
  await store.transaction(async (tx) => {
    const { state } = await load(tx, linkId);
    assertUsable(state, now);
    if ((state.attemptsRemaining ?? 1) <= 0)
      throw inactive('SHL_DISABLED', 'This SMART Health Link was disabled after too many wrong passcodes');
  });
}

/**
 * Passcode gate (flag P). Resolves when the passcode is right. The checks of one link run one at a time, each
 * reading the state fresh, so the K-th wrong guess disables the link before the next guess is looked at (and no
 * hash is computed for a disabled link); the verdict is re-checked in a transaction after the hash, and wrong
 * guesses are counted by an If-Match transaction, so the count holds across processes sharing a database too.
 */
async function checkPasscode(
  store: ResourceStore,
  linkId: string,
  passcode: string | undefined,
  now: Date,
): Promise<void> {
  await oneAtATime(store, linkId, async () => {
    const { state } = await load(store, linkId);
    assertUsable(state, now);
    if (!state.passcodeHash) return;
    if (passcode !== undefined && (await passcodeMatches(passcode, state.passcodeHash)))
      return confirmUsable(store, linkId, now);
    await consumeAttempt(store, linkId);
  });
}

/**
 * Answer a manifest POST. Throws ShlPasscodeError (401 + remainingAttempts) or 404 OutcomeErrors SHL_NOT_FOUND,
 * SHL_EXPIRED, SHL_DISABLED.
 * @example await answerManifest(ctx, linkId, { recipient: 'Dr. B', passcode: '1234' }, now)
 * @see https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html#manifest-request
 */
export async function answerManifest(
  ctx: ShlContext,
  linkId: string,
  request: ManifestRequest,
  now: Date,
): Promise<ManifestResponse> {
  const { state } = await load(ctx.store, linkId);
  assertUsable(state, now);
  await checkPasscode(ctx.store, linkId, request.passcode, now);
  const max = request.embeddedLengthMax;
  if (max === undefined || state.jwe.length <= max) {
    return buildManifestResponse([
      {
        contentType: state.contentType,
        jwe: state.jwe,
        location: 'https://unused.invalid/',
        lastUpdated: state.lastUpdated,
      },
    ]);
  }
  const ticket = encodeBase64Url(ctx.randomBytes(32));
  const exp = new Date(now.getTime() + TICKET_SECONDS * 1000).toISOString();
  await mutate(ctx.store, linkId, (s) => ({
    state: {
      ...s,
      tickets: [...s.tickets.filter((t) => Date.parse(t.exp) > now.getTime()), { hash: hashTicket(ticket), exp }],
    },
    result: undefined,
  }));
  const location = `${ctx.shlBaseUrl.replace(/\/+$/, '')}/${linkId}/file/${ticket}`;
  return buildManifestResponse(
    [{ contentType: state.contentType, jwe: state.jwe, location, lastUpdated: state.lastUpdated }],
    max,
  );
}

/**
 * The encrypted file behind a short-lived `location` ticket. Throws 404 SHL_NOT_FOUND / SHL_EXPIRED.
 * @example const jwe = await readShlFile(ctx, linkId, ticket, now)
 */
export async function readShlFile(ctx: ShlContext, linkId: string, ticket: string, now: Date): Promise<string> {
  const { state } = await load(ctx.store, linkId);
  assertUsable(state, now);
  const hash = hashTicket(ticket);
  const t = state.tickets.find((x) => x.hash === hash);
  const jwe = t ? state.jwes[t.doc ?? 0] : undefined;
  if (!t || jwe === undefined || Date.parse(t.exp) < now.getTime())
    throw inactive('SHL_NOT_FOUND', 'This file location is unknown or has expired; request the manifest again');
  return jwe;
}

/**
 * Passcode and state gate of a manifest request, for manifests answered elsewhere (the VHL List search): throws as
 * answerManifest does (ShlPasscodeError, 404 SHL_NOT_FOUND / SHL_EXPIRED / SHL_DISABLED).
 * @example await passManifestGate(ctx, folderId, passcode, now)
 */
export async function passManifestGate(
  ctx: ShlContext,
  linkId: string,
  passcode: string | undefined,
  now: Date,
): Promise<void> {
  const { state } = await load(ctx.store, linkId);
  assertUsable(state, now);
  await checkPasscode(ctx.store, linkId, passcode, now);
}

/**
 * One short-lived file ticket per file index, stored hashed on the link (expired ones dropped); the file is then
 * served at `<shlBase>/<linkId>/file/<ticket>`.
 * @example const [ticket] = await issueFileTickets(ctx, folderId, [0], now)
 */
export async function issueFileTickets(
  ctx: ShlContext,
  linkId: string,
  docs: readonly number[],
  now: Date,
): Promise<string[]> {
  const tickets = docs.map(() => encodeBase64Url(ctx.randomBytes(32)));
  const exp = new Date(now.getTime() + TICKET_SECONDS * 1000).toISOString();
  await mutate(ctx.store, linkId, (s) => ({
    state: {
      ...s,
      tickets: [
        ...s.tickets.filter((t) => Date.parse(t.exp) > now.getTime()),
        ...tickets.map((t, i) => ({ hash: hashTicket(t), exp, doc: docs[i] as number })),
      ],
    },
    result: undefined,
  }));
  return tickets;
}

/**
 * Direct file download for flag U links (GET on the link URL). Throws 404s as answerManifest, 400 SHL_NOT_DIRECT.
 * @see https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html#flag-u
 * @example const jwe = await readDirectFile(ctx, linkId, now)
 */
export async function readDirectFile(ctx: ShlContext, linkId: string, now: Date): Promise<string> {
  const { state } = await load(ctx.store, linkId);
  assertUsable(state, now);
  if (!state.flag.includes('U'))
    throw new OutcomeError(
      'invalid',
      issue({
        code: 'not-supported',
        id: 'SHL_NOT_DIRECT',
        text: 'This link has no U flag: POST a manifest request instead',
      }),
    );
  return state.jwe;
}

/**
 * Revoke a link by deleting its record; later requests get 404 SHL_NOT_FOUND. Returns false when there was none.
 * @example await revokeShlLink(ctx, linkId)
 */
export async function revokeShlLink(ctx: ShlContext, linkId: string): Promise<boolean> {
  return revokeShlRecord(ctx.store, recordIdOf(linkId));
}

/**
 * Revoke a link by its record id (the credential id its issuance Provenance names); `$revoke-credential` does this,
 * as plain FHIR deletes of link records are refused. Returns false when there was none.
 * @example await revokeShlRecord(store, recordId)
 */
export async function revokeShlRecord(store: ShlContext['store'], recordId: string): Promise<boolean> {
  const { versionId } = await store.delete('DocumentReference', recordId);
  return versionId !== undefined;
}
