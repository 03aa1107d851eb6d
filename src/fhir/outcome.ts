/**
 * OperationOutcome is the error type of the whole server: every failure that reaches a client is one.
 * Code throws `OutcomeError` with a typed kind; `http/outcome.ts` maps the kind to the HTTP status.
 * Issue codes come from http://hl7.org/fhir/ValueSet/issue-type.
 */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { MessageId } from './message-ids.ts';

export type OutcomeKind =
  | 'invalid' // 400
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'not-allowed' // 405
  | 'not-acceptable' // 406
  | 'conflict' // 409
  | 'gone' // 410
  | 'precondition-failed' // 412
  | 'too-large' // 413
  | 'unsupported-media-type' // 415
  | 'unprocessable' // 422
  | 'too-many-requests' // 429
  | 'internal' // 500
  | 'not-implemented'; // 501

export type IssueSeverity = OperationOutcomeIssue['severity'];
export type IssueCode = OperationOutcomeIssue['code'];

/** The system of our stable message ids, carried in `issue.details.coding`. */
export const MESSAGE_SYSTEM = 'https://gdhcn-gateway.org/fhir/CodeSystem/message-id';

export interface IssueInit {
  severity?: IssueSeverity;
  code: IssueCode;
  /** Stable message id, e.g. `JSON_DUPLICATE_KEY`, from the catalogue (fhir/message-ids.ts); tests pin it. */
  id: MessageId;
  text: string;
  expression?: string | string[];
}

export function issue(init: IssueInit): OperationOutcomeIssue {
  const out: OperationOutcomeIssue = {
    severity: init.severity ?? 'error',
    code: init.code,
    details: { coding: [{ system: MESSAGE_SYSTEM, code: init.id }], text: init.text },
  };
  if (init.expression !== undefined) {
    out.expression = Array.isArray(init.expression) ? init.expression : [init.expression];
  }
  return out;
}

export function outcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** Convenience for the common single-issue "all is well" outcome. */
export function informationOutcome(id: MessageId, text: string): OperationOutcome {
  return outcome([issue({ severity: 'information', code: 'informational', id, text })]);
}

export class OutcomeError extends Error {
  readonly kind: OutcomeKind;
  readonly outcome: OperationOutcome;

  constructor(kind: OutcomeKind, issues: OperationOutcomeIssue | OperationOutcomeIssue[]) {
    const list = Array.isArray(issues) ? issues : [issues];
    super(list.map((i) => i.details?.text ?? i.code).join('; '));
    this.name = 'OutcomeError';
    this.kind = kind;
    this.outcome = outcome(list);
  }
}

/** Shorthand: throw a one-issue OutcomeError. */
export function fail(kind: OutcomeKind, init: IssueInit): never {
  throw new OutcomeError(kind, issue(init));
}

/** Message id of the first issue: handy in tests and logs. */
export function messageIdOf(o: OperationOutcome): string | undefined {
  return o.issue?.[0]?.details?.coding?.[0]?.code;
}
