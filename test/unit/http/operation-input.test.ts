/** The one reader of operation input (typed by the OperationDefinition) and the routes defined from profiles/. */
import { readdirSync } from 'node:fs';
import type { OperationDefinition, Parameters } from '@medplum/fhirtypes';
import { OutcomeError } from '../../../src/fhir/outcome.ts';
import { defineOperation, operationRoute } from '../../../src/http/operations/define.ts';
import { loadOperationDefinition, readOperationInput } from '../../../src/http/operations/input.ts';

const DEF: OperationDefinition = {
  resourceType: 'OperationDefinition',
  status: 'active',
  kind: 'operation',
  name: 'Sample',
  code: 'sample',
  url: 'https://example.org/OperationDefinition/sample',
  system: false,
  type: true,
  instance: true,
  resource: ['Patient', 'Bundle'],
  parameter: [
    { name: 'label', use: 'in', min: 0, max: '1', type: 'string' },
    { name: 'tag', use: 'in', min: 1, max: '*', type: 'code' },
    { name: 'count', use: 'in', min: 0, max: '1', type: 'integer' },
    { name: 'flag', use: 'in', min: 0, max: '1', type: 'boolean' },
    { name: 'since', use: 'in', min: 0, max: '1', type: 'dateTime' },
    { name: 'picture', use: 'in', min: 0, max: '1', type: 'Attachment' },
    { name: 'result', use: 'out', min: 1, max: '1', type: 'string' },
  ],
};

const body = (...parameter: NonNullable<Parameters['parameter']>): Parameters => ({
  resourceType: 'Parameters',
  parameter,
});
const read = (query: Array<[string, string]>, b?: unknown) => readOperationInput(DEF, { query, body: b });

function refusal(fn: () => unknown): { id?: string; text?: string; expression?: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OutcomeError);
    const i = (e as OutcomeError).outcome.issue![0]!;
    expect((e as OutcomeError).kind).toBe('invalid');
    return { id: i.details?.coding?.[0]?.code, text: i.details?.text, expression: i.expression?.[0] };
  }
  throw new Error('expected a refusal');
}

describe('operation input read against its OperationDefinition', () => {
  test('when values come from the query as text, then each getter gives its declared type', () => {
    const input = read([
      ['tag', 'a'],
      ['tag', 'b'],
      ['count', '12'],
      ['flag', 'false'],
      ['since', '2023-03'],
      ['label', 'x'],
    ]);
    expect(input.strings('tag')).toEqual(['a', 'b']);
    expect(input.integer('count', { min: 1, max: 20 })).toBe(12);
    expect(input.boolean('flag')).toBe(false);
    expect(input.dateTime('since')).toEqual(new Date('2023-03'));
    expect(input.string('label')).toBe('x');
    expect(input.attachment('picture')).toBeUndefined();
  });

  test('when values come from a Parameters body, then the typed value[x] of each is read', () => {
    const input = read(
      [],
      body(
        { name: 'tag', valueCode: 'a' },
        { name: 'count', valueInteger: 3 },
        { name: 'flag', valueBoolean: true },
        { name: 'since', valueDateTime: '2021-06-01T10:00:00+02:00' },
        { name: 'picture', valueAttachment: { contentType: 'image/png', data: 'AA==' } },
      ),
    );
    expect([
      input.strings('tag'),
      input.integer('count', { min: 1, max: 5 }),
      input.boolean('flag'),
      input.dateTime('since')?.toISOString(),
      input.attachment('picture')?.contentType,
    ]).toEqual([['a'], 3, true, '2021-06-01T08:00:00.000Z', 'image/png']);
  });

  test.each([
    [
      'an undeclared parameter is given',
      [
        ['tag', 'a'],
        ['colour', 'red'],
      ],
      'OPERATION_PARAM_UNKNOWN',
      '$sample has no input parameter "colour"',
    ],
    ['a required parameter is missing', [], 'OPERATION_PARAM_MISSING', '$sample needs the parameter "tag"'],
    [
      'a single-valued parameter is repeated',
      [
        ['tag', 'a'],
        ['label', 'x'],
        ['label', 'y'],
      ],
      'OPERATION_PARAM_REPEATED',
      '$sample takes "label" at most 1 time(s)',
    ],
  ] as Array<[string, Array<[string, string]>, string, string]>)(
    'when %s, then %s names it',
    (_what, query, id, text) => {
      expect(refusal(() => read(query))).toMatchObject({ id, text });
    },
  );

  test.each([
    [
      'an integer is out of range',
      () =>
        read([
          ['tag', 'a'],
          ['count', '21'],
        ]).integer('count', { min: 1, max: 20 }),
      'OPERATION_PARAM_RANGE',
      'count',
    ],
    [
      'an integer is not a number',
      () =>
        read([
          ['tag', 'a'],
          ['count', 'ten'],
        ]).integer('count', { min: 1, max: 20 }),
      'OPERATION_PARAM_RANGE',
      'count',
    ],
    [
      'a boolean is neither true nor false',
      () =>
        read([
          ['tag', 'a'],
          ['flag', 'yes'],
        ]).boolean('flag'),
      'OPERATION_PARAM_TYPE',
      'flag',
    ],
    [
      'a dateTime has a time without an offset',
      () =>
        read([
          ['tag', 'a'],
          ['since', '2021-06-01T10:00:00'],
        ]).dateTime('since'),
      'PARAMETER_DATETIME_INVALID',
      'since',
    ],
    [
      'a text parameter carries a number',
      () => read([], body({ name: 'tag', valueInteger: 1 })).strings('tag'),
      'OPERATION_PARAM_TYPE',
      'tag',
    ],
    [
      'an Attachment parameter carries text',
      () =>
        read([], body({ name: 'tag', valueCode: 'a' }, { name: 'picture', valueString: 'x' })).attachment('picture'),
      'OPERATION_PARAM_TYPE',
      'picture',
    ],
  ] as Array<[string, () => unknown, string, string]>)(
    'when %s, then the 400 is %s on the parameter',
    (_what, fn, id, expression) => {
      expect(refusal(fn)).toMatchObject({ id, expression });
    },
  );

  test('when the body is a resource and the operation takes no resource parameter, then OPERATION_BODY_NOT_PARAMETERS', () => {
    expect(refusal(() => read([['tag', 'a']], { resourceType: 'Patient' })).id).toBe('OPERATION_BODY_NOT_PARAMETERS');
  });

  test('when a getter does not match the declared type, then it is a programming error, not a 400', () => {
    const input = read([
      ['tag', 'a'],
      ['count', '1'],
    ]);
    expect(() => input.string('count')).toThrow(
      '$sample: parameter "count" is not declared as text in its OperationDefinition',
    );
    expect(() => input.boolean('nothing')).toThrow(Error);
  });
});

describe('operations defined from their OperationDefinition', () => {
  test('when a route is defined, then code, canonical, levels, resource types and methods come from the definition', () => {
    const route = operationRoute(DEF, { scope: 'system/$sample', handle: async () => ({ status: 200 }) });
    expect({
      code: route.code,
      definition: route.definition,
      levels: route.levels,
      resourceTypes: route.resourceTypes,
      methods: route.methods,
      scope: route.scope,
    }).toEqual({
      code: 'sample',
      definition: 'https://example.org/OperationDefinition/sample',
      levels: ['type', 'instance'],
      resourceTypes: ['Patient', 'Bundle'],
      methods: ['POST'],
      scope: 'system/$sample',
    });
    expect(operationRoute({ ...DEF, affectsState: false }, { handle: async () => ({ status: 200 }) }).methods).toEqual([
      'GET',
      'POST',
    ]);
  });

  test('when every definition in profiles/ is defined as a route, then each reads back its own code, canonical and levels', () => {
    const ids = readdirSync(new URL('../../../profiles/', import.meta.url))
      .filter((f) => f.startsWith('OperationDefinition-'))
      .map((f) => f.slice('OperationDefinition-'.length, -'.json'.length));
    expect(ids.length).toBeGreaterThanOrEqual(10);
    for (const id of ids) {
      const def = loadOperationDefinition(id);
      const route = defineOperation(id, { handle: async () => ({ status: 200 }) });
      expect([route.code, route.definition, route.levels.length > 0]).toEqual([def.code, def.url, true]);
      // Resource is FHIR's "any type": no list, so the router accepts every type.
      if (def.resource?.map(String).includes('Resource')) expect(route.resourceTypes).toBeUndefined();
    }
  });
});
