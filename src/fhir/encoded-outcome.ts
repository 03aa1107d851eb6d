/**
 * An OperationOutcome serialized where it was made (a validation worker), handed to the main thread as bytes.
 * A hostile `$validate` body (8,400 nested extensions, each an "unknown extension" warning) gets a 3 MB outcome:
 * cloning its 8,400 issue objects back to the main thread and serializing them there held the event loop ~80 ms.
 * The bytes move by transfer (no copy) and are written to the socket as they are (ADR 0066).
 */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

export interface EncodedOutcome {
  kind: 'encoded-outcome';
  /** The whole OperationOutcome as FHIR JSON, UTF-8; its buffer is this view's alone (transferable). */
  json: Uint8Array;
  /**
   * The verdict the main thread reads without the bytes (metrics: valid or invalid): the first error or fatal
   * issue of the outcome, none when it has none.
   */
  verdict: OperationOutcome;
}

export function encodeOutcome(o: OperationOutcome): EncodedOutcome {
  const first = (o.issue ?? []).find((i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal');
  return {
    kind: 'encoded-outcome',
    // TextEncoder gives a buffer of its own; Buffer.from would share Node's pool, which a transfer would detach.
    json: new TextEncoder().encode(JSON.stringify(o)),
    verdict: { resourceType: 'OperationOutcome', issue: first ? [first] : [] },
  };
}

export function isEncodedOutcome(value: unknown): value is EncodedOutcome {
  return (value as EncodedOutcome | undefined)?.kind === 'encoded-outcome';
}
