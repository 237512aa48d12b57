import test from 'ava';
import {
  type LintFinding,
  badgeText,
  findingsFromProblem,
  hasLintErrors,
  lintCounts,
  lintMarkers,
  markerUpdates,
} from '../../web/src/lib/process-lint-markers.ts';

const finding = (elementId: string, rule: string, category: 'error' | 'warn' = 'error'): LintFinding => ({
  resource: 'case-lifecycle.bpmn',
  elementId,
  rule,
  message: `${rule} on ${elementId}`,
  category,
});

// The diagram draws these shapes; a timer definition belongs to its boundary event.
const SHAPES = new Set(['accept', 'register', 'register-overdue', 'flow-1']);
const OWNERS = new Map([['register-overdue-timer', 'register-overdue']]);
const resolve = (id: string): string | null => (SHAPES.has(id) ? id : (OWNERS.get(id) ?? null));

test('findings are grouped on their elements; an element with any error is marked as an error', (t) => {
  const { elements, general } = lintMarkers(
    [
      finding('register', 'camunda-compat/timer', 'warn'),
      finding('accept', 'camunda-compat/implementation'),
      finding('register', 'gridflow/element-type'),
      finding('flow-1', 'fake-join', 'warn'),
    ],
    resolve,
  );
  t.deepEqual(general, []);
  t.deepEqual(
    elements.map((e) => [e.elementId, e.severity, e.className, e.findings.map((f) => f.rule)]),
    [
      ['accept', 'error', 'gf-lint-error', ['camunda-compat/implementation']],
      ['register', 'error', 'gf-lint-error', ['gridflow/element-type', 'camunda-compat/timer']],
      ['flow-1', 'warn', 'gf-lint-warn', ['fake-join']],
    ],
  );
  t.is(badgeText(elements[1]), '1+1');
  t.is(badgeText(elements[2]), '1');
});

test('a finding on a timer definition is drawn on its event; the process and unknown ids are general', (t) => {
  const { elements, general } = lintMarkers(
    [
      finding('register-overdue-timer', 'camunda-compat/timer'),
      finding('case-lifecycle', 'camunda-compat/history-time-to-live', 'warn'),
      finding('', 'xml'),
      finding('Message_1', 'camunda-compat/message-reference'),
    ],
    resolve,
  );
  t.deepEqual(
    elements.map((e) => e.elementId),
    ['register-overdue'],
  );
  t.deepEqual(
    general.map((f) => f.elementId),
    ['', 'Message_1', 'case-lifecycle'],
  );
});

test('a refused deploy’s problem errors become error findings with the rule taken off the message', (t) => {
  const findings = findingsFromProblem([
    {
      field: 'case-lifecycle.bpmn#accept',
      message:
        'Element of type <zeebe:TaskDefinition> must have property <type> (camunda-compat/implementation)',
      resource: 'case-lifecycle.bpmn',
      elementId: 'accept',
      rule: 'camunda-compat/implementation',
    },
    // Without the extra fields (another server): read from `field` and the message.
    { field: 'other.bpmn#merge', message: 'No start event (start-event-required)' },
    { field: 'broken.bpmn', message: 'Malformed BPMN XML: unclosed tag (x) (xml)' },
  ]);
  t.deepEqual(findings, [
    {
      resource: 'case-lifecycle.bpmn',
      elementId: 'accept',
      rule: 'camunda-compat/implementation',
      message: 'Element of type <zeebe:TaskDefinition> must have property <type>',
      category: 'error',
    },
    {
      resource: 'other.bpmn',
      elementId: 'merge',
      rule: 'start-event-required',
      message: 'No start event',
      category: 'error',
    },
    {
      resource: 'broken.bpmn',
      elementId: '',
      rule: 'xml',
      message: 'Malformed BPMN XML: unclosed tag (x)',
      category: 'error',
    },
  ]);
  t.deepEqual(findingsFromProblem(undefined), []);
});

test('only errors block a deploy', (t) => {
  t.false(hasLintErrors([finding('a', 'fake-join', 'warn')]));
  t.true(hasLintErrors([finding('a', 'fake-join', 'warn'), finding('b', 'x')]));
  t.deepEqual(lintCounts([finding('a', 'r', 'warn'), finding('b', 'x'), finding('c', 'y')]), {
    errors: 2,
    warnings: 1,
  });
});

test('marker updates remove what went, add what came, and leave what stays', (t) => {
  const before = [
    { elementId: 'accept', className: 'gf-lint-error' },
    { elementId: 'register', className: 'gf-lint-warn' },
  ];
  const after = [
    { elementId: 'register', className: 'gf-lint-error' },
    { elementId: 'accept', className: 'gf-lint-error' },
  ];
  t.deepEqual(markerUpdates(before, after), {
    remove: [{ elementId: 'register', className: 'gf-lint-warn' }],
    add: [{ elementId: 'register', className: 'gf-lint-error' }],
  });
  t.deepEqual(markerUpdates(after, []), { remove: after, add: [] });
});
