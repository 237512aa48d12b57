import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { lintCamunda88, lintDefinitions } from '../../engine/deploy/lint.ts';
import { readBpmn } from '../../engine/deploy/read-bpmn.ts';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.bpmn'));

test('the conformance suite has a fixture per behaviour', (t) => {
  t.true(files.length >= 80, `only ${files.length} fixtures`);
});

test('every conformance fixture passes the Camunda 8.8 lint, so the same files deploy to Camunda 8', async (t) => {
  const failures: string[] = [];
  for (const file of files) {
    const { definitions } = await readBpmn(readFileSync(path.join(FIXTURES, file), 'utf8'));
    for (const issue of await lintCamunda88(definitions)) {
      if (issue.category === 'error')
        failures.push(`${file} ${issue.elementId}: ${issue.rule} ${issue.message}`);
    }
  }
  t.deepEqual(failures, []);
});

test('linting the same diagram twice gives the same findings: no rule keeps state between deploys', async (t) => {
  const xml = readFileSync(path.join(FIXTURES, 'fl-call-parent.bpmn'), 'utf8');
  const first = await lintDefinitions((await readBpmn(xml)).definitions);
  await lintDefinitions(
    (await readBpmn(readFileSync(path.join(FIXTURES, 'fl-call-dynamic.bpmn'), 'utf8'))).definitions,
  );
  const again = await lintDefinitions((await readBpmn(xml)).definitions);
  t.deepEqual(again, first);
  t.false(again.some((i) => i.rule.includes('no-duplicate-sequence-flows')));
});
