/**
 * A QuestionnaireResponse checked against its Questionnaire: every linkId known at its level, required items
 * answered when enabled, one answer unless the item repeats, answer types, answerOption / answerValueSet,
 * exclusive options, enableWhen, min/max length and values, decimal places, units, MIME types and reference
 * targets. Rules as the HL7 Java validator applies them (QuestionnaireValidator).
 * https://hl7.org/fhir/R4/questionnaireresponse.html#link
 */
import type { AnyResource } from '../packages/types.ts';
import type { WalkContext } from './context.ts';
import { checkStringAnswerInValueSet } from './qr-string-answer.ts';
import { checkAnswerLimits } from './qr-answer-limits.ts';
import { compare, EXT, type Json, extValue, objects } from './qr-item-extensions.ts';

/** Item type → the answer value[x] type it takes (choice and open-choice take several: see allowedTypes). */
const ANSWER_TYPE: Readonly<Record<string, string>> = {
  boolean: 'boolean',
  decimal: 'decimal',
  integer: 'integer',
  date: 'date',
  dateTime: 'dateTime',
  time: 'time',
  string: 'string',
  text: 'string',
  url: 'uri',
  attachment: 'Attachment',
  reference: 'Reference',
  quantity: 'Quantity',
};
const OPTION_TYPES = ['Coding', 'string', 'integer', 'date', 'time'];
const NO_ANSWERS = new Set(['display', 'group', 'question']);

/** The `value[x]` of an answer / option / enableWhen answer: its type suffix and value. */
function typedValueOf(obj: Json, prefix: 'value' | 'answer'): { type: string; value: unknown } | undefined {
  for (const key of Object.keys(obj)) {
    if (
      key.startsWith(prefix) &&
      key.length > prefix.length &&
      key[prefix.length] === key[prefix.length].toUpperCase()
    ) {
      const suffix = key.slice(prefix.length);
      const type =
        /^[A-Z][a-z]+$/.test(suffix) &&
        ['Boolean', 'Decimal', 'Integer', 'Date', 'Time', 'String', 'Uri'].includes(suffix)
          ? suffix.toLowerCase()
          : suffix;
      return { type: type === 'DateTime' ? 'dateTime' : type, value: obj[key] };
    }
  }
  return undefined;
}

function allowedTypes(itemType: string): string[] | undefined {
  if (itemType === 'choice' || itemType === 'open-choice') return OPTION_TYPES;
  const t = ANSWER_TYPE[itemType];
  return t === undefined ? undefined : [t];
}

/** Finds the Questionnaire the response answers: a contained one (`#id`) or a loaded canonical. */
function findQuestionnaire(ctx: WalkContext, qr: AnyResource, path: string): Json | undefined {
  const canonical = qr.questionnaire;
  if (typeof canonical !== 'string') return undefined;
  if (canonical.startsWith('#')) {
    return objects(qr.contained).find((c) => c.resourceType === 'Questionnaire' && c.id === canonical.slice(1));
  }
  const found = ctx.engine.registry.resolve(canonical);
  if (found && found.resourceType !== 'Questionnaire') {
    ctx.sink.add(
      'QR_QUESTIONNAIRE_WRONG_TYPE',
      `${path}.questionnaire`,
      `Canonical URL '${canonical}' refers to a ${found.resourceType}, not a Questionnaire`,
    );
    return undefined;
  }
  if (!found)
    ctx.sink.add(
      'QR_QUESTIONNAIRE_NOT_FOUND',
      `${path}.questionnaire`,
      `The Questionnaire ${canonical} is not loaded, so the answers were not checked against it`,
    );
  return found;
}

interface Walk {
  readonly ctx: WalkContext;
  /** Every answer in the response by linkId, for enableWhen. */
  readonly answersByLinkId: Map<string, unknown[]>;
  readonly completed: boolean;
}

function indexAnswers(items: Json[], into: Map<string, unknown[]>): void {
  for (const item of items) {
    if (typeof item.linkId === 'string') {
      const list = into.get(item.linkId) ?? [];
      for (const a of objects(item.answer)) {
        const v = typedValueOf(a, 'value');
        if (v) list.push(v.value);
        indexAnswers(objects(a.item), into);
      }
      into.set(item.linkId, list);
    }
    indexAnswers(objects(item.item), into);
  }
}

function sameAnswer(a: unknown, b: unknown): boolean {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const x = a as Json;
    const y = b as Json;
    if ('code' in y || 'system' in y) return x.code === y.code && (y.system === undefined || x.system === y.system);
    return JSON.stringify(x) === JSON.stringify(y);
  }
  return a === b;
}

/** enableWhen over the response's answers; enableBehavior `any` or `all` (one condition: either). */
function isEnabled(w: Walk, qItem: Json): boolean {
  const conditions = objects(qItem.enableWhen);
  if (conditions.length === 0) return true;
  const results = conditions.map((c) => {
    const answers = w.answersByLinkId.get(String(c.question)) ?? [];
    const want = typedValueOf(c, 'answer');
    if (c.operator === 'exists') return answers.length > 0 === (want?.value === true);
    if (want === undefined) return false;
    return answers.some((a) => {
      if (c.operator === '=') return sameAnswer(a, want.value);
      if (c.operator === '!=') return !sameAnswer(a, want.value);
      const d = compare(a, want.value);
      if (d === undefined) return false;
      return c.operator === '>'
        ? d > 0
        : c.operator === '<'
          ? d < 0
          : c.operator === '>='
            ? d >= 0
            : c.operator === '<='
              ? d <= 0
              : false;
    });
  });
  return qItem.enableBehavior === 'any' ? results.some(Boolean) : results.every(Boolean);
}

function hasAnswer(item: Json, type: string): boolean {
  return type === 'group' ? objects(item.item).length > 0 : objects(item.answer).length > 0;
}

/** Checks the response items at one level against the Questionnaire items at the same level. */
function checkLevel(w: Walk, qItems: Json[], rItems: Json[], parentPath: string, itemsPath: string): void {
  const byLinkId = new Map(qItems.filter((q) => typeof q.linkId === 'string').map((q) => [q.linkId as string, q]));
  for (const r of rItems) {
    if (typeof r.linkId === 'string' && !byLinkId.has(r.linkId)) {
      w.ctx.sink.add('QR_LINKID_UNKNOWN', parentPath, `LinkId '${r.linkId}' not found in the questionnaire`);
    }
  }
  for (const q of qItems) {
    const type = String(q.type);
    const indexes = rItems.map((r, i) => (r.linkId === q.linkId ? i : -1)).filter((i) => i >= 0);
    const enabled = isEnabled(w, q);
    if (indexes.length > 1 && q.repeats !== true && type !== 'group') {
      for (const i of indexes.slice(1))
        w.ctx.sink.add(
          'QR_ITEM_REPEATED',
          `${itemsPath}[${i}]`,
          `Only one response item with linkId '${String(q.linkId)}' is allowed`,
        );
    }
    if (q.required === true && enabled && w.completed && !indexes.some((i) => hasAnswer(rItems[i], type))) {
      const where = indexes.length > 0 ? `${itemsPath}[${indexes[0]}]` : parentPath;
      w.ctx.sink.add('QR_REQUIRED_MISSING', where, `No answer found for the required item '${String(q.linkId)}'`);
    }
    for (const i of indexes) checkItem(w, q, rItems[i], `${itemsPath}[${i}]`, enabled);
  }
}

function checkItem(w: Walk, q: Json, r: Json, path: string, enabled: boolean): void {
  const type = String(q.type);
  const answers = objects(r.answer);
  if (answers.length > 0 && NO_ANSWERS.has(type)) {
    w.ctx.sink.add('QR_ANSWER_NOT_ALLOWED', path, `Items of type '${type}' cannot have answers`);
  } else if (answers.length > 0 && !enabled) {
    w.ctx.sink.add(
      'QR_ANSWER_NOT_ENABLED',
      path,
      `The item '${String(q.linkId)}' has answers although its enableWhen conditions are not met`,
    );
  }
  if (answers.length > 1 && q.repeats !== true && !NO_ANSWERS.has(type)) {
    w.ctx.sink.add(
      'QR_ITEM_REPEATED',
      path,
      `Only one answer is allowed for the item '${String(q.linkId)}' (it does not repeat)`,
    );
  }
  const children = objects(q.item);
  if (!NO_ANSWERS.has(type)) {
    const exclusive = answers.length > 1;
    answers.forEach((a, i) => {
      const aPath = `${path}.answer[${i}]`;
      checkAnswer(w, q, a, aPath, exclusive);
      checkLevel(w, children, objects(a.item), aPath, `${aPath}.item`);
    });
  }
  checkLevel(w, children, objects(r.item), path, `${path}.item`);
}

function checkAnswer(w: Walk, q: Json, answer: Json, path: string, several: boolean): void {
  const sink = w.ctx.sink;
  const type = String(q.type);
  const v = typedValueOf(answer, 'value');
  if (!v) return;
  const vPath = `${path}.value.ofType(${v.type})`;
  const allowed = allowedTypes(type);
  if (allowed && !allowed.includes(v.type)) {
    sink.add('QR_ANSWER_TYPE', vPath, `Answer value must be of the type ${allowed[0]} not ${v.type}`);
    return;
  }
  const options = objects(q.answerOption);
  if (options.length > 0 && !(type === 'open-choice' && v.type === 'string')) {
    const match = options.find((o) => {
      const ov = typedValueOf(o, 'value');
      return ov !== undefined && ov.type === v.type && sameAnswer(v.value, ov.value);
    });
    if (!match)
      sink.add(
        'QR_ANSWER_NOT_IN_OPTIONS',
        vPath,
        `The ${v.type} ${describeValue(v.value)} is not in the set of permitted values`,
      );
    else if (several && extValue(match, EXT.optionExclusive) === true) {
      sink.add(
        'QR_ANSWER_EXCLUSIVE',
        path,
        `The selected answer ${describeValue(v.value)} is an exclusive option: nothing else can be selected with it`,
      );
    }
  } else if (typeof q.answerValueSet === 'string' && v.type === 'Coding') {
    checkValueSet(w, q.answerValueSet, v.value as Json, path);
  } else if (typeof q.answerValueSet === 'string' && type === 'string' && v.type === 'string') {
    checkStringAnswerInValueSet(w.ctx, q.answerValueSet, v.value, vPath);
  }
  checkAnswerLimits(w.ctx, q, v, vPath);
}

function describeValue(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    const c = value as Json;
    return `${String(c.system ?? '')}#${String(c.code ?? '')}`;
  }
  return String(value);
}

/**
 * answerValueSet: a code outside the options value set is a warning here (the HL7 validator says error). The DDCC
 * IG's own example responses answer `disease` with a code outside its answerValueSet, and a published IG example
 * must not fail; the warning still names the code and the value set.
 */
function checkValueSet(w: Walk, valueSet: string, coding: Json, path: string): void {
  w.ctx.engine.terminology.checkBinding(w.ctx.sink, { strength: 'extensible', valueSet }, coding, 'Coding', path);
  // A display that is not the code's (in a code system we hold) fails the option, as the HL7 validator judges it:
  // the answer no longer says what the option says.
  const { system, code, display } = coding;
  if (typeof system !== 'string' || typeof code !== 'string' || typeof display !== 'string') return;
  const concept = w.ctx.engine.terminology.codeSystem(system)?.concepts.get(code);
  if (!concept?.display) return;
  const wanted = display.toLowerCase();
  if ([concept.display, ...concept.designations].some((d) => d.toLowerCase() === wanted)) return;
  // The display itself is an error here (as the HL7 validator reports a wrong display), then the option it fails.
  w.ctx.sink.add(
    'CODE_DISPLAY_MISMATCH',
    `${path}.value.ofType(Coding).display`,
    `Wrong display '${display}' for ${system}#${code}: should be '${concept.display}'`,
    'error',
  );
  w.ctx.sink.add(
    'QR_ANSWER_DISPLAY_INVALID',
    path,
    `The code '${code}' in the system '${system}' is not the option of the value set ${valueSet}: its display is '${concept.display}', not '${display}'`,
  );
}

/**
 * Checks a QuestionnaireResponse against the Questionnaire it names, when that Questionnaire is loaded or contained.
 * @example checkQuestionnaireResponse(ctx, qr, 'QuestionnaireResponse')
 */
export function checkQuestionnaireResponse(ctx: WalkContext, qr: AnyResource, path: string): void {
  const questionnaire = findQuestionnaire(ctx, qr, path);
  if (!questionnaire) return;
  const rItems = objects(qr.item);
  const answersByLinkId = new Map<string, unknown[]>();
  indexAnswers(rItems, answersByLinkId);
  const completed = qr.status === 'completed' || qr.status === 'amended';
  checkLevel({ ctx, answersByLinkId, completed }, objects(questionnaire.item), rItems, path, `${path}.item`);
}
