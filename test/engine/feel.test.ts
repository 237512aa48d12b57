import test from 'ava';
import {
  FeelEvaluationError,
  checkFeelSyntax,
  evaluateAttribute,
  evaluateFeel,
  isFeelExpression,
} from '../../engine/feel/feel.ts';

const clock = { now: new Date('2026-01-31T10:00:00Z') };

// attributes ---------------------------------------------------------------------------------------------

test('recognises an attribute as FEEL only when it starts with = after trimming', (t) => {
  t.true(isFeelExpression('=amount'));
  t.true(isFeelExpression('  = amount'));
  t.false(isFeelExpression('amount'));
  t.false(isFeelExpression('a = b'));
  t.false(isFeelExpression(''));
});

test('returns a static attribute unchanged and evaluates an =expression', (t) => {
  t.is(evaluateAttribute('approve-case', { a: 1 }), 'approve-case');
  t.is(evaluateAttribute(' = a + 1', { a: 1 }), 2);
  t.is(evaluateAttribute('=now()', {}, clock), '2026-01-31T10:00:00Z');
});

// Zeebe semantics of variables ---------------------------------------------------------------------------

test('compares a variable against a number', (t) => {
  t.true(evaluateFeel('amount > 100', { amount: 150 }));
  t.false(evaluateFeel('amount > 100', { amount: 50 }));
});

test('reads a missing variable as null instead of failing', (t) => {
  t.is(evaluateFeel('missing', {}), null);
  t.is(evaluateFeel('amount > 100', {}), null);
  t.is(evaluateFeel('missing.field', {}), null);
  // not the built-in function of that name
  t.is(evaluateFeel('count', {}), null);
});

test('reads variables through a lookup by name as through an object, a missing one as null', (t) => {
  const held: Record<string, unknown> = { amount: 120, owner: null };
  const asked: string[] = [];
  const lookup = (name: string): unknown => {
    asked.push(name);
    return held[name];
  };
  t.is(evaluateFeel('amount > 100 and owner = null and missing = null', lookup), true);
  t.deepEqual([...asked].sort(), ['amount', 'missing', 'owner']);
  t.is(evaluateFeel('get or else(missing, "none")', lookup), 'none');
  t.is(evaluateFeel('amount * 2', lookup), evaluateFeel('amount * 2', held));
});

test('does not carry variables from one evaluation of a cached expression into the next', (t) => {
  t.is(evaluateFeel('leak', { leak: 1 }), 1);
  t.is(evaluateFeel('leak', {}), null);
  t.is(evaluateFeel('leak', { leak: 'two' }), 'two');
});

test('does not expose inherited object properties as variables', (t) => {
  t.is(evaluateFeel('constructor', {}), null);
  t.is(evaluateFeel('toString', {}), null);
});

test('leaves the variables untouched and returns copies, not the caller objects', (t) => {
  const variables = { order: { items: [{ price: 3 }] } };
  const result = evaluateFeel('context put(order, "total", 3)', variables);
  t.deepEqual(result, { items: [{ price: 3 }], total: 3 });
  t.deepEqual(variables, { order: { items: [{ price: 3 }] } });
  const same = evaluateFeel('order', variables);
  t.deepEqual(same, variables.order);
  t.not(same, variables.order);
});

// language ---------------------------------------------------------------------------------------------

test('follows a path with a list index (FEEL lists start at 1)', (t) => {
  const order = { items: [{ price: 3 }, { price: 4 }] };
  t.is(evaluateFeel('order.items[1].price', { order }), 3);
  t.is(evaluateFeel('order.items[-1].price', { order }), 4);
});

test('evaluates quantifiers, for loops and if-then-else', (t) => {
  t.true(evaluateFeel('some x in xs satisfies x > 1', { xs: [0, 2] }));
  t.false(evaluateFeel('every x in xs satisfies x > 1', { xs: [0, 2] }));
  t.deepEqual(evaluateFeel('for x in xs return x * 2', { xs: [1, 2, 3] }), [2, 4, 6]);
  t.is(evaluateFeel('if a then "x" else "y"', { a: true }), 'x');
  t.is(evaluateFeel('if a then "x" else "y"', { a: false }), 'y');
});

test('calls the common string and list functions', (t) => {
  t.is(evaluateFeel('string length(s)', { s: '网格治理' }), 4);
  t.is(evaluateFeel('count(list)', { list: [1, 2, 3] }), 3);
  t.is(evaluateFeel('sum(list)', { list: [1, 2, 3] }), 6);
  t.true(evaluateFeel('list contains(list, 2)', { list: [1, 2, 3] }));
  t.false(evaluateFeel('list contains(list, 5)', { list: [1, 2, 3] }));
  t.is(evaluateFeel('upper case("abc")', {}), 'ABC');
});

test('builds contexts, and their entries can use earlier entries', (t) => {
  t.deepEqual(evaluateFeel('{a: 1}', {}), { a: 1 });
  t.deepEqual(evaluateFeel('{a: 2, b: a * 3, "c d": [a]}', {}), { a: 2, b: 6, 'c d': [2] });
});

test('reads names with spaces bare or in backticks, and names with operators only in backticks', (t) => {
  t.is(evaluateFeel('first name', { 'first name': 'Ann' }), 'Ann');
  t.is(evaluateFeel('`first name`', { 'first name': 'Ann' }), 'Ann');
  t.is(evaluateFeel('order.`unit price`', { order: { 'unit price': 3 } }), 3);
  t.is(evaluateFeel('`case-id`', { 'case-id': 7 }), 7);
  // as in Zeebe, without backticks a dash is a minus
  t.is(evaluateFeel('a-b', { 'a-b': 7, a: 5, b: 2 }), 3);
});

test('ignores comments, also next to a multiplication', (t) => {
  t.is(evaluateFeel('x // the factor\n * 2', { x: 3 }), 6);
  t.is(evaluateFeel('/* a */ x * /* b */ 2', { x: 3 }), 6);
});

test('keeps number arithmetic and precedence, with null for a division by zero', (t) => {
  t.is(evaluateFeel('1 + 2 * 3 - 4 / 2', {}), 5);
  t.is(evaluateFeel('-x * 2', { x: 3 }), -6);
  t.is(evaluateFeel('7 / 0', {}), null);
  t.is(evaluateFeel('"a" * 2', {}), null);
  t.is(evaluateFeel('null * 2', {}), null);
});

test('lets a variable named like a built-in not hide the function, as in Camunda', (t) => {
  t.is(evaluateFeel('count(xs)', { count: 3, xs: [1] }), 1);
  t.is(evaluateFeel('sum(xs) + count', { count: 3, xs: [1, 2] }), 6);
  t.is(evaluateFeel('now', { now: 'a variable' }, clock), 'a variable');
  t.is(evaluateFeel('now()', { now: 'a variable' }, clock), '2026-01-31T10:00:00Z');
});

// temporal values ----------------------------------------------------------------------------------------

test('adds a duration to a date-time and returns an ISO string with offset', (t) => {
  t.is(evaluateFeel('date and time("2026-01-01T00:00:00Z") + duration("PT1H")', {}), '2026-01-01T01:00:00Z');
  t.is(evaluateFeel('date(d) + duration("P1D")', { d: '2026-01-31' }), '2026-02-01');
});

test('converts dates, times, date-times and durations to ISO-8601 strings', (t) => {
  t.is(evaluateFeel('date("2026-01-31")', {}), '2026-01-31');
  t.is(evaluateFeel('time("10:00:00")', {}), '10:00:00');
  t.is(evaluateFeel('date and time("2026-01-31T10:00:00+08:00")', {}), '2026-01-31T10:00:00+08:00');
  t.is(evaluateFeel('date and time("2026-01-31T10:00:00@Asia/Shanghai")', {}), '2026-01-31T10:00:00+08:00');
  t.is(evaluateFeel('date and time("2026-07-01T10:00:00@Europe/Paris")', {}), '2026-07-01T10:00:00+02:00');
  t.is(evaluateFeel('date and time("2026-07-01T10:00:00@Etc/UTC")', {}), '2026-07-01T10:00:00Z');
  t.is(evaluateFeel('date and time("2026-01-31T10:00:00")', {}), '2026-01-31T10:00:00');
  t.is(evaluateFeel('duration("PT1H")', {}), 'PT1H');
  t.is(evaluateFeel('duration("P1D")', {}), 'P1D');
  t.is(evaluateFeel('duration("P1Y2M")', {}), 'P1Y2M');
  t.is(evaluateFeel('date("2026-01-31") - date("2026-01-01")', {}), 'P30D');
});

test('converts temporal values nested in lists and contexts', (t) => {
  t.deepEqual(evaluateFeel('[date("2026-01-31"), {d: duration("PT1H"), n: 1, z: null}]', {}), [
    '2026-01-31',
    { d: 'PT1H', n: 1, z: null },
  ]);
});

test('evaluates now() and today() with the injected clock in UTC', (t) => {
  t.is(evaluateFeel('now()', {}, clock), '2026-01-31T10:00:00Z');
  t.is(evaluateFeel('today()', {}, { now: new Date('2026-01-31T23:59:59Z') }), '2026-01-31');
  t.is(evaluateFeel('now() + duration("P1D")', {}, clock), '2026-02-01T10:00:00Z');
  t.true(evaluateFeel('now() > date and time(due)', { due: '2026-01-31T09:00:00Z' }, clock));
  t.false(evaluateFeel('now() > date and time(due)', { due: '2026-01-31T11:00:00Z' }, clock));
});

test('evaluates now() with the system clock when no clock is given', (t) => {
  const before = Date.now();
  const now = Date.parse(evaluateFeel('now()', {}) as string);
  t.true(now >= before - 1 && now <= Date.now() + 1);
});

test('multiplies and divides durations, which feelin alone returns as null', (t) => {
  t.is(evaluateFeel('duration("PT1H") * 2', {}), 'PT2H');
  t.is(evaluateFeel('2 * duration("PT1H")', {}), 'PT2H');
  t.is(evaluateFeel('duration("PT1H") * 1.5', {}), 'PT1H30M');
  t.is(evaluateFeel('duration("P1D") * -1', {}), '-P1D');
  t.is(evaluateFeel('-duration("PT1H")', {}), '-PT1H');
  t.is(evaluateFeel('duration("P1Y") * 2', {}), 'P2Y');
  t.is(evaluateFeel('duration("P1Y") * 1.5', {}), 'P1Y6M');
  t.is(evaluateFeel('duration("PT1H") / 4', {}), 'PT15M');
  t.is(evaluateFeel('duration("PT1H") / duration("PT30M")', {}), 2);
  t.is(evaluateFeel('duration("P1Y") / duration("P6M")', {}), 2);
  t.is(evaluateFeel('duration("P1Y") / duration("PT1H")', {}), null);
  t.is(evaluateFeel('duration("PT1H") * "x"', {}), null);
  t.is(
    evaluateFeel('date and time(start) + duration("PT10M") * n', { start: '2026-01-01T00:00:00Z', n: 3 }),
    '2026-01-01T00:30:00Z',
  );
});

// Camunda built-ins ------------------------------------------------------------------------------------

test('supplies get or else, also with named parameters', (t) => {
  t.is(evaluateFeel('get or else(x, 1)', {}), 1);
  t.is(evaluateFeel('get or else(x, 1)', { x: null }), 1);
  t.is(evaluateFeel('get or else(x, 1)', { x: 5 }), 5);
  t.is(evaluateFeel('get or else(x, 1)', { x: false }), false);
  t.is(evaluateFeel('get or else(value: x, default: "d")', {}), 'd');
});

test('get or else falls back on the clock only when the value is missing, and still follows the clock then', (t) => {
  const expression = 'get or else(due, now() + duration("PT10M"))';
  t.is(evaluateFeel(expression, { due: '2026-02-01T08:00:00.000Z' }, clock), '2026-02-01T08:00:00.000Z');
  t.is(evaluateFeel(expression, {}, clock), '2026-01-31T10:10:00Z');
  t.is(evaluateFeel(expression, {}, { now: new Date('2026-01-31T11:00:00Z') }), '2026-01-31T11:10:00Z');
  t.is(evaluateFeel('get or else(x, get or else(y, 3))', { y: 2 }), 2);
  t.is(evaluateFeel('get or else(x, null)', {}), null);
});

// remembered results ---------------------------------------------------------------------------------------

test('the same expression with other values gives their result, values that print alike told apart', (t) => {
  t.is(evaluateFeel('x + x', { x: 1 }), 2);
  t.is(evaluateFeel('x + x', { x: '1' }), '11');
  t.is(evaluateFeel('x + x', { x: 1 }), 2);
  t.is(evaluateFeel('a + b', { a: 'ab', b: 'c' }), 'abc');
  t.is(evaluateFeel('a + b', { a: 'a', b: 'bc' }), 'abc');
  t.is(evaluateFeel('x = true', { x: true }), true);
  t.is(evaluateFeel('x = true', { x: 'true' }), null);
  t.is(evaluateFeel('x = true', {}), false);
  t.is(evaluateFeel('x = null', { x: 'null' }), false);
  t.is(evaluateFeel('x = null', { x: null }), true);
});

test("a list result is the caller's own: changing it does not change what the next evaluation gives", (t) => {
  const first = evaluateFeel('["unit:" + string(id) + ":dispatcher"]', { id: 7 }) as string[];
  first.push('changed');
  first[0] = 'changed';
  t.deepEqual(evaluateFeel('["unit:" + string(id) + ":dispatcher"]', { id: 7 }), ['unit:7:dispatcher']);
});

test('past its bound an expression starts remembering afresh, and its results stay right', (t) => {
  for (let round = 0; round < 2; round++) {
    for (let x = 0; x < 1200; x++)
      if (evaluateFeel('x * 2 + 1', { x }) !== x * 2 + 1) return t.fail(`x = ${x}`);
  }
  t.is(evaluateFeel('x * 2 + 1', { x: 3 }), 7);
});

test('values too long or not primitive are evaluated each time, with their own result', (t) => {
  const long = 'x'.repeat(100);
  t.is(evaluateFeel('string length(s)', { s: long }), 100);
  t.is(evaluateFeel('string length(s)', { s: long + 'y' }), 101);
  t.is(evaluateFeel('count(items)', { items: [1, 2] }), 2);
  t.is(evaluateFeel('count(items)', { items: [1, 2, 3] }), 3);
  t.deepEqual(evaluateFeel('{a: x}', { x: 1 }), { a: 1 });
  t.deepEqual(evaluateFeel('{a: x}', { x: 2 }), { a: 2 });
});

test('supplies is defined, false for a missing variable and for null', (t) => {
  t.false(evaluateFeel('is defined(x)', {}));
  t.false(evaluateFeel('is defined(x)', { x: null }));
  t.true(evaluateFeel('is defined(x)', { x: 0 }));
  t.true(evaluateFeel('is defined(x)', { x: false }));
  t.false(evaluateFeel('is defined(order.missing)', { order: {} }));
});

test('supplies get value with a key or a key path', (t) => {
  t.is(evaluateFeel('get value({a: 1}, "a")', {}), 1);
  t.is(evaluateFeel('get value(m, ["a", "b"])', { m: { a: { b: 2 } } }), 2);
  t.is(evaluateFeel('get value(m, ["a", "x"])', { m: { a: { b: 2 } } }), null);
  t.is(evaluateFeel('get value(m, "missing")', { m: {} }), null);
});

test('supplies get entries, context put and context merge', (t) => {
  t.deepEqual(evaluateFeel('get entries({a: 1, b: "x"})', {}), [
    { key: 'a', value: 1 },
    { key: 'b', value: 'x' },
  ]);
  t.deepEqual(evaluateFeel('context put({a: 1}, "b", 2)', {}), { a: 1, b: 2 });
  t.deepEqual(evaluateFeel('context put({a: {b: 1}}, ["a", "c"], 2)', {}), { a: { b: 1, c: 2 } });
  t.deepEqual(evaluateFeel('context merge([{a: 1}, {b: 2}, {a: 3}])', {}), { a: 3, b: 2 });
});

test('supplies string join with a delimiter, prefix and suffix, skipping nulls', (t) => {
  t.is(evaluateFeel('string join(["a", "b"])', {}), 'ab');
  t.is(evaluateFeel('string join(["a", "b"], ", ")', {}), 'a, b');
  t.is(evaluateFeel('string join(["a", null, "c"], "-")', {}), 'a-c');
  t.is(evaluateFeel('string join(["a", "b"], ", ", "[", "]")', {}), '[a, b]');
  t.is(evaluateFeel('string join(["a", 1], ",")', {}), null);
});

test('supplies is empty, is blank and trim', (t) => {
  t.true(evaluateFeel('is empty([])', {}));
  t.false(evaluateFeel('is empty(xs)', { xs: [1] }));
  t.true(evaluateFeel('is blank("  ")', {}));
  t.false(evaluateFeel('is blank(" a ")', {}));
  t.is(evaluateFeel('trim("  a b ")', {}), 'a b');
});

// errors -------------------------------------------------------------------------------------------------

test('throws FeelEvaluationError naming the expression and the reason on a syntax error', (t) => {
  const error = t.throws(() => evaluateFeel('amount >', { amount: 1 }), { instanceOf: FeelEvaluationError });
  t.is(error.expression, 'amount >');
  t.is(error.reason, 'syntax error at position 8: Incomplete <Comparison>');
  t.is(
    error.message,
    "failed to evaluate FEEL expression 'amount >': syntax error at position 8: Incomplete <Comparison>",
  );
});

test('throws the same error again for a bad expression that is cached', (t) => {
  t.throws(() => evaluateFeel('foo(', {}), { instanceOf: FeelEvaluationError, message: /Incomplete/ });
  t.throws(() => evaluateFeel('foo(', {}), { instanceOf: FeelEvaluationError, message: /Incomplete/ });
});

test('throws on an empty expression', (t) => {
  t.throws(() => evaluateFeel('  ', {}), { instanceOf: FeelEvaluationError, message: /empty/ });
  t.throws(() => evaluateAttribute('=', {}), { instanceOf: FeelEvaluationError, message: /empty/ });
});

test('throws when the result is a function or a range', (t) => {
  t.throws(() => evaluateFeel('function(a) a', {}), {
    instanceOf: FeelEvaluationError,
    message: /not a value/,
  });
  t.throws(() => evaluateFeel('[1..3]', {}), {
    instanceOf: FeelEvaluationError,
    message: /not a value \(a range\)/,
  });
  t.throws(() => evaluateFeel('{f: function(x) x}', {}), {
    instanceOf: FeelEvaluationError,
    message: /not a value/,
  });
});

test('turns numbers JSON cannot hold into null', (t) => {
  t.is(evaluateFeel('10 ** 400', {}), null);
});

test('checks syntax at deploy time without evaluating', (t) => {
  t.is(checkFeelSyntax('amount > 100'), null);
  t.is(checkFeelSyntax('get or else(amount, 0) > 100'), null);
  t.is(checkFeelSyntax('amount >'), 'syntax error at position 8: Incomplete <Comparison>');
  t.regex(checkFeelSyntax('1 +* 2') ?? '', /^syntax error at position 3/);
});

// speed --------------------------------------------------------------------------------------------------

test('evaluates a cached simple comparison in well under 50 µs', (t) => {
  const variables: Record<string, unknown> = { amount: 150 };
  for (let i = 0; i < 30; i++) variables[`v${i}`] = { index: i, label: 'x' };
  for (let i = 0; i < 2000; i++) evaluateFeel('amount > 100', variables);
  const runs = 20_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) evaluateFeel('amount > 100', variables);
  const micros = Number(process.hrtime.bigint() - started) / runs / 1000;
  t.log(`amount > 100: ${micros.toFixed(2)} µs per evaluation`);
  t.true(micros < 50);
});
