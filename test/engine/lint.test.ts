import { readFile, readdir } from 'node:fs/promises';

import test from 'ava';

import type { LintIssue } from '../../engine/deploy/lint.ts';
import { lintCamunda88, lintDefinitions } from '../../engine/deploy/lint.ts';
import { BpmnParseError, readBpmn } from '../../engine/deploy/read-bpmn.ts';

const fixtureDir = new URL('./lint/', import.meta.url);

async function fixture(name: string): Promise<string> {
  return readFile(new URL(`${name}.bpmn`, fixtureDir), 'utf8');
}

async function lintFixture(name: string): Promise<LintIssue[]> {
  const { definitions } = await readBpmn(await fixture(name));
  return lintDefinitions(definitions);
}

const errors = (issues: LintIssue[]) => issues.filter((issue) => issue.category === 'error');
const fromRule = (issues: LintIssue[], rule: string) => issues.filter((issue) => issue.rule === rule);
const ids = (issues: LintIssue[]) => issues.map((issue) => issue.elementId).sort();

// readBpmn

test('reads a Camunda 8.8 file into bpmn:Definitions with its processes and no warnings', async (t) => {
  const { definitions, warnings } = await readBpmn(await fixture('valid-process'));

  t.is(definitions.$type, 'bpmn:Definitions');
  t.deepEqual(
    definitions.rootElements.map((element: { id: string }) => element.id),
    ['Process_complaint'],
  );
  t.deepEqual(warnings, []);
});

test('refuses malformed XML with a parse error that names the line and column', async (t) => {
  const valid = await fixture('valid-process');
  const lines = valid.split('\n');
  const line = lines.findIndex((text) => text.includes('</bpmn:userTask>'));
  const column = lines[line].indexOf('</bpmn:userTask>');
  const xml = valid.replace('</bpmn:userTask>', '</bpmn:serviceTask>');

  const error = await t.throwsAsync(readBpmn(xml), { instanceOf: BpmnParseError });

  t.is(
    error.message,
    `Malformed BPMN XML: closing tag mismatch at line ${line + 1}, column ${column + 1} (unparsable content </bpmn:serviceTask> detected).`,
  );
});

test('refuses an empty document and text that is not XML', async (t) => {
  await t.throwsAsync(readBpmn(''), { instanceOf: BpmnParseError, message: /empty/ });
  await t.throwsAsync(readBpmn('not xml at all'), {
    instanceOf: BpmnParseError,
    message: /line 1, column 1/,
  });
});

test('refuses well-formed XML that is not a BPMN document and says what the root is', async (t) => {
  await t.throwsAsync(readBpmn('<?xml version="1.0"?><form xmlns="urn:x"><field /></form>'), {
    instanceOf: BpmnParseError,
    message: /Not a BPMN document.*<form>/,
  });
});

test('returns an unknown attribute as a warning naming the element instead of swallowing it', async (t) => {
  const xml = (await fixture('valid-process')).replace(
    '<bpmn:serviceTask id="Task_classify"',
    '<bpmn:serviceTask id="Task_classify" priority="high"',
  );

  const { definitions, warnings } = await readBpmn(xml);

  t.is(definitions.$type, 'bpmn:Definitions');
  t.is(warnings.length, 1);
  t.regex(warnings[0], /unknown attribute <priority>.*Task_classify/);
});

// lintDefinitions: what deploys

test('accepts a service task, a user task and an exclusive gateway with FEEL conditions and a default flow', async (t) => {
  const issues = await lintFixture('valid-process');

  t.deepEqual(errors(issues), []);
});

test('accepts every element the embedded engine supports, without a single issue', async (t) => {
  const issues = await lintFixture('supported-elements');

  t.deepEqual(issues, []);
});

test('warns about disconnected elements and fake joins without refusing the deploy', async (t) => {
  const issues = await lintFixture('execution-hazards');

  t.deepEqual(errors(issues), []);
  t.deepEqual(ids(fromRule(issues, 'bpmnlint/no-disconnected')), ['Task_forgotten']);
  t.deepEqual(ids(fromRule(issues, 'bpmnlint/fake-join')), ['Task_report']);
});

// lintDefinitions: what the embedded engine cannot run

test('refuses a complex gateway and names it', async (t) => {
  const issues = await lintFixture('complex-gateway');

  const [issue] = fromRule(issues, 'gridflow/element-type');
  t.is(issue.elementId, 'ComplexGateway_dispatch');
  t.is(issue.category, 'error');
  t.regex(issue.message, /Complex gateways are not supported by the embedded engine/);
  t.deepEqual(ids(fromRule(issues, 'camunda-compat/element-type')), ['ComplexGateway_dispatch']);
});

test('refuses compensation, which Camunda 8.8 accepts, on the boundary event, the throw event and the handler', async (t) => {
  const issues = await lintFixture('compensation');

  t.deepEqual(ids(fromRule(errors(issues), 'gridflow/event-type')), [
    'Boundary_compensate',
    'Throw_compensate',
  ]);
  t.deepEqual(ids(fromRule(errors(issues), 'gridflow/compensation-handler')), ['Task_cancel_booking']);
  t.regex(
    issues.find((issue) => issue.elementId === 'Boundary_compensate')!.message,
    /Compensation boundary events/,
  );
});

test('refuses a transaction sub-process', async (t) => {
  const issues = await lintFixture('transaction');

  t.deepEqual(ids(fromRule(errors(issues), 'gridflow/element-type')), ['Transaction_payment']);
});

test('refuses a business rule task that calls a DMN decision', async (t) => {
  const issues = await lintFixture('business-rule-task-dmn');

  t.deepEqual(
    errors(issues).map(({ rule, elementId }) => ({ rule, elementId })),
    [{ rule: 'gridflow/business-rule-task', elementId: 'Task_decide' }],
  );
});

test('refuses a service task without a job type through the Camunda rules', async (t) => {
  const issues = await lintFixture('service-task-without-job');

  const [issue] = fromRule(issues, 'camunda-compat/implementation');
  t.is(issue.elementId, 'Task_notify');
  t.is(issue.category, 'error');
  t.regex(issue.message, /zeebe:TaskDefinition/);
});

test('refuses a timer whose duration is not ISO 8601 or FEEL', async (t) => {
  const issues = await lintFixture('invalid-timer');

  t.deepEqual(ids(fromRule(errors(issues), 'camunda-compat/timer')), ['Timer_wait']);
});

test('refuses execution and task listeners and names their job types', async (t) => {
  const issues = await lintFixture('listeners');

  const [execution] = fromRule(errors(issues), 'gridflow/execution-listeners');
  t.is(execution.elementId, 'Task_audited');
  t.regex(execution.message, /audit-start, audit-end/);
  const [task] = fromRule(errors(issues), 'gridflow/task-listeners');
  t.is(task.elementId, 'Task_handle');
});

test('lints every executable process of a collaboration and skips the documentation-only pool', async (t) => {
  const issues = await lintFixture('collaboration');

  t.deepEqual(ids(errors(issues)), ['Process_office', 'Task_triage']);
  t.false(issues.some((issue) => /archive/i.test(issue.elementId)));
});

test('deploys a collaboration whose documentation-only pool has no start event, which the Camunda rules flag', async (t) => {
  const { definitions } = await readBpmn(await fixture('documentation-pool'));

  const issues = await lintDefinitions(definitions);
  const camundaIssues = await lintCamunda88(definitions);

  t.deepEqual(issues, []);
  t.deepEqual(
    camundaIssues.map(({ rule, elementId }) => `${rule} ${elementId}`),
    ['bpmnlint/start-event-required Process_street'],
  );
});

test('refuses every event the engine cannot run, each with its own reason', async (t) => {
  const issues = await lintFixture('unsupported-events');

  const byElement = Object.fromEntries(
    fromRule(issues, 'gridflow/event-type').map((issue) => [issue.elementId, issue.message]),
  );
  t.deepEqual(Object.keys(byElement).sort(), [
    'Boundary_conditional',
    'Catch_conditional',
    'Catch_link',
    'Catch_multiple',
    'End_compensation',
    'Start_conditional',
    'Start_embedded_message',
    'Start_error_top',
    'Start_event_sub_none',
    'Throw_link',
  ]);
  t.regex(byElement.Start_error_top, /only supported in event sub-processes/);
  t.regex(byElement.Start_embedded_message, /embedded sub-process must start with a none start event/);
  t.regex(byElement.Catch_multiple, /more than one event definition/);
});

test('refuses standard loops, ad-hoc sub-processes, multi-instance event sub-processes and data transformations', async (t) => {
  const issues = await lintFixture('unsupported-activities');

  t.deepEqual(
    issues
      .filter((issue) => issue.rule.startsWith('gridflow/'))
      .map(({ rule, elementId }) => `${rule} ${elementId}`)
      .sort(),
    [
      'gridflow/data-association Task_transform',
      'gridflow/element-type AdHoc_collect',
      'gridflow/loop-characteristics EventSub_multi',
      'gridflow/loop-characteristics Task_loop',
    ],
  );
});

test('refuses a sequence flow whose target is missing from the file, which readBpmn only warns about', async (t) => {
  const xml = (await fixture('valid-process')).replace(
    'sourceRef="Task_classify" targetRef="Task_review"',
    'sourceRef="Task_classify" targetRef="Task_deleted"',
  );
  const { definitions, warnings } = await readBpmn(xml);

  const issues = await lintDefinitions(definitions);

  t.regex(warnings.join('\n'), /unresolved reference <Task_deleted>/);
  t.deepEqual(
    errors(issues).map(({ rule, elementId }) => `${rule} ${elementId}`),
    ['gridflow/broken-reference Flow_2'],
  );
});

test('reports a rule that fails on an element as an error on that element instead of passing the file', async (t) => {
  const { definitions } = await readBpmn(await fixture('valid-process'));
  const task = definitions.rootElements[0].flowElements.find(
    (element: { id: string }) => element.id === 'Task_classify',
  );
  task.get = () => {
    throw new Error('element cannot be read');
  };

  const issues = await lintDefinitions(definitions);

  const failures = issues.filter((issue) => /validator failed/.test(issue.message));
  t.true(failures.some((issue) => issue.elementId === 'Task_classify'));
  t.true(failures.every((issue) => issue.category === 'error'));
  t.regex(failures[0].message, /element cannot be read/);
});

test('reports each problem once, with an element id and a one-sentence reason', async (t) => {
  for (const name of await fixtureNames()) {
    const issues = await lintFixture(name);

    const keys = issues.map(({ elementId, rule, message }) => `${elementId} ${rule} ${message}`);
    t.is(new Set(keys).size, keys.length, name);
    for (const issue of issues) {
      t.not(issue.elementId, '', `${name}: ${issue.rule}`);
      if (issue.rule.startsWith('gridflow/')) t.regex(issue.message, /^[A-Z][^.]*(\.[^.\s][^.]*)*\.$/);
    }
  }
});

test('refuses to lint something that is not parsed BPMN', async (t) => {
  await t.throwsAsync(lintDefinitions({ rootElements: [] }), { instanceOf: TypeError });
});

// lintCamunda88

test('checks only Camunda 8.8 compatibility, without the engine rules', async (t) => {
  for (const name of await fixtureNames()) {
    const { definitions } = await readBpmn(await fixture(name));

    const issues = await lintCamunda88(definitions);

    // Camunda's config brings exactly one core rule along: bpmnlint/start-event-required
    t.deepEqual(
      issues.filter(
        (issue) =>
          !issue.rule.startsWith('camunda-compat/') && issue.rule !== 'bpmnlint/start-event-required',
      ),
      [],
      name,
    );
  }
  const { definitions } = await readBpmn(await fixture('business-rule-task-dmn'));
  t.deepEqual(await lintCamunda88(definitions), []);
});

async function fixtureNames(): Promise<string[]> {
  const files = await readdir(fixtureDir);
  return files.filter((file) => file.endsWith('.bpmn')).map((file) => file.replace(/\.bpmn$/, ''));
}
