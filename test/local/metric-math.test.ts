/**
 * The local metric math: parsing, CloudWatch's rules for missing datapoints (the User Guide's own
 * examples), FILL over a range without any datapoint, and the precise reason for what is not supported.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileMetricMath, evaluateExpression, evaluateQuery, kindOf, parseExpression, type MetricDataQuery } from '../../local/cloudwatch/metric-math';

type Series = readonly (number | undefined)[];
const _ = undefined;

/** Evaluates an expression over the named series (all the same length). */
function evaluate(expression: string, series: Record<string, Series>): Series {
  const length = Object.values(series)[0]?.length ?? 5;
  const node = parseExpression(expression);
  assert.equal(kindOf(node), 'series', `${expression} yields a time series`);
  const value = evaluateExpression(node, length, (id) => {
    const s = series[id];
    if (!s) throw new Error(`no series ${id}`);
    return s;
  });
  assert.equal(value.kind, 'series');
  return value.kind === 'series' ? value.points : [];
}

const CONSUMER_STALLED = 'IF(FILL(incoming, 0) > 0 AND FILL(polled, 0) == 0, 1, 0)';

describe('metric math evaluation', () => {
  it('the consumer-stalled expression is 1 exactly where records came in and none were polled', () => {
    assert.deepEqual(evaluate(CONSUMER_STALLED, { incoming: [5, 5, 5, _, _, 0], polled: [_, _, 5, _, 3, _] }), [1, 1, 0, 0, 0, 0]);
  });

  it('FILL gives every period of the range a value, also when the metric has no datapoint at all', () => {
    assert.deepEqual(evaluate('FILL(m1, 0)', { m1: [_, _, _, _] }), [0, 0, 0, 0]);
    assert.deepEqual(evaluate('FILL(m1, -1.5)', { m1: [_, 2, _, _] }), [-1.5, 2, -1.5, -1.5]);
    assert.deepEqual(evaluate(CONSUMER_STALLED, { incoming: [_, _, _], polled: [_, _, _] }), [0, 0, 0], 'an idle stream is 0, not missing');
  });

  it("comparison and logical operators follow the guide's example: a value missing on one side counts as 0", () => {
    const series = { metric1: [30, 20, 0, 0], metric2: [20, _, 20, _] };
    assert.deepEqual(evaluate('(metric1 < metric2)', series), [0, 0, 1, 0]);
    assert.deepEqual(evaluate('(metric1 >= 30)', series), [1, 0, 0, 0]);
    assert.deepEqual(evaluate('(metric1 > 15 AND metric2 > 15)', series), [1, 0, 0, 0]);
    assert.deepEqual(evaluate('metric1 > 15 && metric2 > 15 || metric1 == 0', series), [1, 0, 1, 1]);
    assert.deepEqual(evaluate('metric2 != 20', series), [0, _, 0, _], 'against a number only the series datapoints count');
  });

  it('arithmetic: missing on one side counts as 0, on both sides gives nothing; a division by zero drops the datapoint', () => {
    const series = { a: [4, _, 6, _, 8], b: [2, 3, 0, _, _] };
    assert.deepEqual(evaluate('a + b', series), [6, 3, 6, _, 8]);
    assert.deepEqual(evaluate('a / b', series), [2, 0, _, _, _]);
    assert.deepEqual(evaluate('a * 2 - 1', series), [7, _, 11, _, 15]);
    assert.deepEqual(evaluate('-a + 1 + 2 * 3 ^ 2', series), [15, _, 13, _, 11], 'unary minus, then ^ before * before +');
    assert.deepEqual(evaluate('(a + 1) * 2', series), [10, _, 14, _, 18]);
    assert.deepEqual(evaluate('a ^ -1', series), [0.25, _, 1 / 6, _, 0.125]);
  });

  it("IF follows the guide's examples for series and number branches", () => {
    const series = { metric1: [1, 1, 0, 0, _], metric2: [30, _, 0, 0, 30], metric3: [0, 0, 20, _, 20] };
    assert.deepEqual(evaluate('IF(metric1, metric2, metric3)', series), [30, 0, 20, _, _]);
    assert.deepEqual(evaluate('IF(metric1, 5, metric3)', series), [5, 5, 20, _, _]);
    assert.deepEqual(evaluate('IF(metric1, metric2, 5)', series), [30, 0, 5, 5, _]);
    assert.deepEqual(evaluate('IF(metric1, metric2)', series), [30, 0, _, _, _], 'no false branch: dropped');
    assert.deepEqual(evaluate('IF(metric2 > 10, 1, 0)', series), [1, _, 0, 0, 1]);
    assert.deepEqual(evaluate('IF(0, metric2, metric3)', series), [0, 0, 20, _, 20], 'a number condition picks a whole series');
  });
});

describe('metric math errors name what is not supported, and where', () => {
  const cases: readonly [string, RegExp][] = [
    ['SUM(METRICS())', /^SUM\(\) is not supported by the local metric math \(supported functions: FILL, IF\) \(column 1\)$/],
    ["SEARCH('{AWS/Lambda} Errors', 'Sum')", /^SEARCH\(\) is not supported by the local metric math .*\(column 1\)$/],
    ['ANOMALY_DETECTION_BAND(m1, 2)', /^ANOMALY_DETECTION_BAND\(\) is not supported by the local metric math/],
    ['m1 + RATE(m1)', /^RATE\(\) is not supported by the local metric math .*\(column 6\)$/],
    ['FILL(m1, REPEAT)', /^FILL\(…, REPEAT\) is not supported by the local metric math; fill with a number \(column 10\)$/],
    ['FILL(m1)', /^FILL takes 2 arguments \(a time series and a number\), got 1 \(column 1\)$/],
    ['IF(m1)', /^IF takes 2 or 3 arguments/],
    ['fill(m1, 0)', /^functions are written in uppercase: FILL\(…\), not fill\(…\) \(column 1\)$/],
    ['NOT m1', /^unknown function or keyword "NOT" \(metric ids start with a lowercase letter\) \(column 1\)$/],
    ['M1 * 2', /^unknown function or keyword "M1"/],
    ['m1 = 0', /^"=" is not an operator; compare with "==" \(column 4\)$/],
    ['m1 & m2', /^"&" is not an operator; use "&&" or AND \(column 4\)$/],
    ['MAX([m1, m2])', /^MAX\(\) is not supported/],
    ['[m1, m2]', /^arrays of time series \(\[…\]\) are not supported by the local metric math \(column 1\)$/],
    ['SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2")', /^Metrics Insights queries \(SELECT …\) are not supported by the local metric math \(column 1\)$/],
    ['m1 +', /^unexpected end of expression \(column 5\)$/],
    ['(m1 + 1', /^expected "\)" to close the parenthesis, found end of expression \(column 8\)$/],
    ['m1 m2', /^unexpected "m2" after a complete expression \(column 4\)$/],
    ['2 ^ m1 ^ 2', /^chained "\^" needs parentheses, e\.g\. \(a \^ b\) \^ c \(column 8\)$/],
    ['   ', /^the expression is empty \(column 1\)$/],
  ];
  for (const [expression, reason] of cases) {
    it(expression, () => assert.throws(() => parseExpression(expression), (error: Error) => (assert.match(error.message, reason), true)));
  }

  it('type errors: FILL of a number, IF choosing between numbers, a result that is no time series', () => {
    assert.throws(() => kindOf(parseExpression('FILL(1, 0)')), /FILL needs a time series as its first argument \(column 1\)/);
    assert.throws(() => kindOf(parseExpression('FILL(m1, m2)')), /FILL with a time series as filler is not supported by the local metric math; fill with a number \(column 10\)/);
    assert.throws(() => kindOf(parseExpression('IF(1, 5, 6)')), /IF with a number as condition needs time series as values \(column 1\)/);
    assert.equal(kindOf(parseExpression('1 + 2 * 3')), 'number');
  });
});

describe('metric data queries: ids, references and periods', () => {
  const stat = (period = 60): NonNullable<MetricDataQuery['MetricStat']> => ({ Metric: { Namespace: 'Test', MetricName: 'M', Dimensions: [] }, Period: period, Stat: 'Sum' });
  const reason = (queries: MetricDataQuery[]): string => {
    const result = compileMetricMath(queries);
    assert.equal(result.ok, false, 'the queries are rejected');
    return result.ok ? '' : result.reason;
  };

  it('rejects unknown ids, cycles, self references, duplicate or malformed ids, mixed periods', () => {
    assert.equal(reason([{ Id: 'e1', Expression: 'FILL(m1, 0)' }]), 'Metrics[0] (e1): the expression uses "m1", which is not the Id of any query');
    assert.equal(
      reason([
        { Id: 'a', Expression: 'b + 1' },
        { Id: 'b', Expression: 'a * m1' },
        { Id: 'm1', MetricStat: stat() },
      ]),
      'expressions use each other in a cycle: a → b → a',
    );
    assert.equal(reason([{ Id: 'e1', Expression: 'e1 + 1' }]), 'Metrics[0] (e1): the expression uses its own Id');
    assert.equal(reason([{ Id: 'm1', MetricStat: stat() }, { Id: 'm1', MetricStat: stat() }]), 'Metrics[1] (m1): Id "m1" is used by more than one query');
    assert.match(reason([{ Id: 'M1', MetricStat: stat() }]), /^Metrics\[0\] \(M1\): an Id starts with a lowercase letter/);
    assert.equal(
      reason([
        { Id: 'e1', Expression: 'm1 + m2' },
        { Id: 'm1', MetricStat: stat(60) },
        { Id: 'm2', MetricStat: stat(300) },
      ]),
      'Metrics[0] (e1): the expression combines periods of 60 s and 300 s; not evaluated locally',
    );
    assert.equal(reason([{ Id: 'e1', Expression: '1 + 1' }]), 'Metrics[0] (e1): Expression "1 + 1": yields a single number, not a time series');
    assert.equal(reason([{ Id: 'e1', Expression: 'm1', MetricStat: stat() }]), 'Metrics[0] (e1): exactly one of Expression and MetricStat is required');
    assert.equal(reason([{ Id: 'm1', MetricStat: stat(), AccountId: '123456789012' }]), 'Metrics[0] (m1): cross-account queries (AccountId) are not evaluated locally');
    assert.equal(
      reason([{ Id: 'e1', Expression: 'STDDEV(m1)' }, { Id: 'm1', MetricStat: stat() }]),
      'Metrics[0] (e1): Expression "STDDEV(m1)": STDDEV() is not supported by the local metric math (supported functions: FILL, IF) (column 1)',
    );
  });

  it('evaluates expressions over expressions, fetching each metric once for the aligned range', () => {
    const compiled = compileMetricMath([
      { Id: 'rate', Expression: '100 * errors_filled / requests', ReturnData: true },
      { Id: 'errors_filled', Expression: 'FILL(errors, 0)', ReturnData: false },
      { Id: 'errors', MetricStat: stat(), ReturnData: false },
      { Id: 'requests', MetricStat: { ...stat(), Metric: { Namespace: 'Test', MetricName: 'Requests' } }, ReturnData: false },
    ]);
    assert.ok(compiled.ok);
    const fetched: string[] = [];
    const values = evaluateQuery(compiled.program, 'rate', { start: 600_000, count: 4 }, (s, start, end) => {
      fetched.push(`${s.Metric.MetricName} ${start}-${end}`);
      return s.Metric.MetricName === 'M' ? new Map([[660_000, 5]]) : new Map([[600_000, 50], [660_000, 50], [720_000, 10]]);
    });
    assert.deepEqual(values, [0, 10, 0, undefined], 'no errors: 0; no requests and no errors: 0 / 0 is dropped');
    assert.deepEqual(fetched, ['M 600000-840000', 'Requests 600000-840000']);
  });
});
