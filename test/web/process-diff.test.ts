import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import test from 'ava';
import { readBpmn } from '../../engine/deploy/read-bpmn.ts';
import {
  type DifferResult,
  type ElementChange,
  type ModdleNode,
  diffCounts,
  diffMarkers,
  diffProcesses,
  executionModel,
} from '../../web/src/lib/process-diff.ts';

// bpmn-js-differ is the library the diff page runs in the browser; it has no typings.
const require = createRequire(import.meta.url);
const { diff } = require('bpmn-js-differ') as { diff: (a: ModdleNode, b: ModdleNode) => DifferResult };

const FIXTURE = readFileSync(path.join(import.meta.dirname, 'process-diff.bpmn'), 'utf8');
const CASE_LIFECYCLE = readFileSync(
  path.join(import.meta.dirname, '..', '..', 'processes', 'case-lifecycle.bpmn'),
  'utf8',
);

const parse = async (xml: string): Promise<ModdleNode> => (await readBpmn(xml)).definitions as ModdleNode;

/** Edits the XML, failing when the text to replace is not there (so a fixture change cannot void a test). */
function edit(xml: string, ...pairs: [string, string][]): string {
  let out = xml;
  for (const [from, to] of pairs) {
    if (!out.includes(from)) throw new Error(`fixture lacks ${from}`);
    out = out.replace(from, to);
  }
  return out;
}

async function changesBetween(oldXml: string, newXml: string): Promise<ElementChange[]> {
  const [a, b] = [await parse(oldXml), await parse(newXml)];
  return diffProcesses(a, b, diff(a, b));
}

const byId = (changes: ElementChange[], id: string): ElementChange | undefined =>
  changes.find((c) => c.id === id);

test('two identical versions have no changes', async (t) => {
  t.deepEqual(await changesBetween(FIXTURE, FIXTURE), []);
});

test('a changed timer duration is reported on the boundary event, which bpmn-js-differ does not see', async (t) => {
  const changed = edit(FIXTURE, ['>PT2H<', '>PT4H<']);
  const [a, b] = [await parse(FIXTURE), await parse(changed)];
  const raw = diff(a, b);
  t.false('handle-overdue' in raw._changed || 'handle-overdue-timer' in raw._changed, 'the differ misses it');

  const changes = diffProcesses(a, b, raw);
  t.deepEqual(changes, [
    {
      id: 'handle-overdue',
      type: 'bpmn:BoundaryEvent',
      name: '处置超时',
      kind: 'changed',
      layoutChanged: false,
      changes: [{ property: 'timer.timeDuration', oldValue: 'PT2H', newValue: 'PT4H' }],
    },
  ]);
});

test('a timer that changes from a duration to a cycle shows one property going and one coming', async (t) => {
  const changes = await changesBetween(
    FIXTURE,
    edit(FIXTURE, [
      '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT2H</bpmn:timeDuration>',
      '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R3/PT1H</bpmn:timeCycle>',
    ]),
  );
  t.deepEqual(byId(changes, 'handle-overdue')?.changes, [
    { property: 'timer.timeCycle', oldValue: null, newValue: 'R3/PT1H' },
    { property: 'timer.timeDuration', oldValue: 'PT2H', newValue: null },
  ]);
});

test('task type, retries, headers, candidate groups and form are read from the Zeebe extensions', async (t) => {
  const changes = await changesBetween(
    FIXTURE,
    edit(
      FIXTURE,
      ['type="case-accept" retries="3"', 'type="case-intake" retries="5"'],
      ['value="accepted"', 'value="received"'],
      ['candidateGroups="town-dispatchers"', 'candidateGroups="city-dispatchers"'],
      ['formId="handle"', 'formId="handle-v2"'],
    ),
  );
  t.deepEqual(
    changes.map((c) => [c.id, c.kind]),
    [
      ['accept', 'changed'],
      ['handle', 'changed'],
    ],
  );
  t.deepEqual(byId(changes, 'accept')?.changes, [
    { property: 'zeebe:taskDefinition.retries', oldValue: '3', newValue: '5' },
    { property: 'zeebe:taskDefinition.type', oldValue: 'case-accept', newValue: 'case-intake' },
    { property: 'zeebe:taskHeaders.values[stage].value', oldValue: 'accepted', newValue: 'received' },
  ]);
  t.deepEqual(byId(changes, 'handle')?.changes, [
    {
      property: 'zeebe:assignmentDefinition.candidateGroups',
      oldValue: 'town-dispatchers',
      newValue: 'city-dispatchers',
    },
    { property: 'zeebe:formDefinition.formId', oldValue: 'handle', newValue: 'handle-v2' },
  ]);
});

test('a changed condition is reported on its sequence flow', async (t) => {
  const changes = await changesBetween(
    FIXTURE,
    edit(FIXTURE, ['=lastAction = "pass"', '=lastAction = "ok"']),
  );
  t.deepEqual(byId(changes, 'flow-passed')?.changes, [
    { property: 'conditionExpression', oldValue: '=lastAction = "pass"', newValue: '=lastAction = "ok"' },
  ]);
});

test('a renamed element shows the old name as old and the new one as new (the differ swaps them)', async (t) => {
  const changes = await changesBetween(FIXTURE, edit(FIXTURE, ['name="受理"', 'name="受理登记"']));
  t.deepEqual(byId(changes, 'accept'), {
    id: 'accept',
    type: 'bpmn:ServiceTask',
    name: '受理登记',
    kind: 'changed',
    layoutChanged: false,
    changes: [{ property: 'name', oldValue: '受理', newValue: '受理登记' }],
  });
});

test('a moved element is layout-changed; moved and retimed it is changed and says it moved', async (t) => {
  const moved = edit(FIXTURE, ['<dc:Bounds x="682" y="102"', '<dc:Bounds x="700" y="102"']);
  const onlyMoved = await changesBetween(FIXTURE, moved);
  t.is(byId(onlyMoved, 'done')?.kind, 'layout-changed');
  t.true(byId(onlyMoved, 'done')?.layoutChanged);
  t.deepEqual(byId(onlyMoved, 'done')?.changes, []);

  const both = await changesBetween(
    FIXTURE,
    edit(FIXTURE, ['>PT2H<', '>PT3H<'], ['<dc:Bounds x="432" y="142"', '<dc:Bounds x="452" y="142"']),
  );
  const event = byId(both, 'handle-overdue');
  t.is(event?.kind, 'changed');
  t.true(event?.layoutChanged);
  t.is(event?.changes.length, 1);
});

test('an added task lists what it runs; the reverse diff reports it removed', async (t) => {
  const added = edit(
    FIXTURE,
    [
      '<bpmn:endEvent id="done"',
      '<bpmn:serviceTask id="notify" name="通知"><bpmn:extensionElements><zeebe:taskDefinition type="case-notify" /></bpmn:extensionElements></bpmn:serviceTask>\n    <bpmn:endEvent id="done"',
    ],
    [
      '<bpmndi:BPMNShape id="done_di"',
      '<bpmndi:BPMNShape id="notify_di" bpmnElement="notify"><dc:Bounds x="800" y="80" width="100" height="80" /></bpmndi:BPMNShape>\n      <bpmndi:BPMNShape id="done_di"',
    ],
  );
  const forward = await changesBetween(FIXTURE, added);
  t.deepEqual(byId(forward, 'notify'), {
    id: 'notify',
    type: 'bpmn:ServiceTask',
    name: '通知',
    kind: 'added',
    layoutChanged: false,
    changes: [{ property: 'zeebe:taskDefinition.type', oldValue: null, newValue: 'case-notify' }],
  });
  const backward = await changesBetween(added, FIXTURE);
  t.is(byId(backward, 'notify')?.kind, 'removed');
  t.deepEqual(byId(backward, 'notify')?.changes, [
    { property: 'zeebe:taskDefinition.type', oldValue: 'case-notify', newValue: null },
  ]);
  t.deepEqual(diffCounts(forward), { added: 1, removed: 0, changed: 0, 'layout-changed': 0 });
});

test('markers: an added element only on the new side, a removed one only on the old, changes on both', (t) => {
  const changes: ElementChange[] = [
    { id: 'a', type: 'bpmn:Task', name: null, kind: 'added', layoutChanged: false, changes: [] },
    { id: 'r', type: 'bpmn:Task', name: null, kind: 'removed', layoutChanged: false, changes: [] },
    { id: 'c', type: 'bpmn:Task', name: null, kind: 'changed', layoutChanged: true, changes: [] },
    { id: 'l', type: 'bpmn:Task', name: null, kind: 'layout-changed', layoutChanged: true, changes: [] },
  ];
  t.deepEqual(diffMarkers(changes, 'old'), [
    { elementId: 'r', className: 'gf-diff-removed' },
    { elementId: 'c', className: 'gf-diff-changed' },
    { elementId: 'l', className: 'gf-diff-layout' },
  ]);
  t.deepEqual(diffMarkers(changes, 'new'), [
    { elementId: 'a', className: 'gf-diff-added' },
    { elementId: 'c', className: 'gf-diff-changed' },
    { elementId: 'l', className: 'gf-diff-layout' },
  ]);
});

test('the case lifecycle: the register timer edited in the modeler is the one change', async (t) => {
  const changes = await changesBetween(
    CASE_LIFECYCLE,
    edit(CASE_LIFECYCLE, ['duration("PT10M")', 'duration("PT20M")']),
  );
  t.deepEqual(
    changes.map((c) => [c.id, c.kind, c.changes.map((x) => x.property)]),
    [['register-overdue', 'changed', ['timer.timeDate']]],
  );
  t.is(changes[0].changes[0].newValue, '=get or else(stageDueAt, now() + duration("PT20M"))');
});

test('the execution model keeps timer definitions and multi-instance parts under their element', async (t) => {
  const model = executionModel(await parse(CASE_LIFECYCLE));
  t.is(model.ownerOf.get('register-overdue-timer'), 'register-overdue');
  t.is(model.elements.get('accept')?.props['zeebe:taskDefinition.type'], 'case-accept');
  t.is(model.elements.get('register-overdue')?.props.eventDefinition, 'timerEventDefinition');
});
