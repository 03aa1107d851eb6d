import { createCountingSink, createIssueSink } from '../../../src/validation/issues.ts';

const texts = (sink: ReturnType<typeof createIssueSink>) => sink.issues.map((i) => i.details?.text);

describe('issue sinks', () => {
  test('when an empty sink takes another sink’s list, then later duplicates of it are still dropped', () => {
    const inner = createIssueSink();
    inner.add('CARDINALITY_MIN', 'Patient', 'a');
    inner.add('CODE_NOT_CHECKED', 'Patient.gender', 'b');
    inner.add('CARDINALITY_MIN', 'Patient', 'a'); // duplicate inside the inner sink
    const outer = createIssueSink();
    outer.addAll(inner.issues, true);
    outer.add('CARDINALITY_MIN', 'Patient', 'a'); // duplicate of a taken issue
    outer.add('CARDINALITY_MIN', 'Patient', 'c');
    outer.addAll(inner.issues, true); // not empty any more: compared issue by issue
    expect(texts(outer)).toEqual(['a', 'b', 'c']);
    expect(outer.errorCount()).toBe(2);
  });

  test('when a list is not marked unique, then an empty sink still drops its duplicates', () => {
    const inner = createIssueSink();
    inner.add('CARDINALITY_MIN', 'Patient', 'a');
    const outer = createIssueSink();
    outer.addAll([...inner.issues, ...inner.issues]);
    expect(texts(outer)).toEqual(['a']);
    expect(outer.errorCount()).toBe(1);
  });

  test('when a sink holds many issues, then a repeat is still dropped and issues differing in one field are kept', () => {
    const sink = createIssueSink();
    for (let i = 0; i < 40; i++) sink.add('CODE_NOT_CHECKED', `CodeSystem.concept[${i}].designation[0].use`, `t${i}`);
    sink.add('CODE_NOT_CHECKED', 'CodeSystem.concept[3].designation[0].use', 't3'); // a repeat
    sink.add('CODE_NOT_CHECKED', 'CodeSystem.concept[3].designation[0].use', 'other text');
    sink.add('CODE_NOT_CHECKED', 'CodeSystem.concept[3].designation[0].use', 't3', 'warning');
    sink.add('CARDINALITY_MIN', 'CodeSystem.concept[3].designation[0].use', 't3');
    sink.add('CODE_NOT_CHECKED', 'CodeSystem.concept[3].designation[0].use', 'other text'); // a repeat of a repeat
    sink.add('CARDINALITY_MIN', 'CodeSystem', 'x');
    sink.add('CARDINALITY_MIN', 'CodeSystem', 'x'); // a repeat
    expect(sink.issues).toHaveLength(44);
    expect(sink.errorCount()).toBe(2);
  });

  test('when a trial only counts, then it counts errors and keeps no issue', () => {
    const trial = createCountingSink();
    trial.add('CODE_NOT_CHECKED', 'Patient.gender', 'information only');
    expect(trial.errorCount()).toBe(0);
    trial.add('CARDINALITY_MIN', 'Patient', 'an error');
    trial.add('CODE_NOT_CHECKED', 'Patient.gender', 'made an error', 'error');
    const other = createIssueSink();
    other.add('CARDINALITY_MAX', 'Patient', 'one more');
    trial.addAll(other.issues);
    expect(trial.errorCount()).toBe(3);
    expect(trial.issues).toHaveLength(0);
  });
});
