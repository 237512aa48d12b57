import { readFileSync } from 'node:fs';
import test from 'ava';
import { bpmnElementNames } from '../../web/src/lib/bpmn-names.ts';

const LIFECYCLE = readFileSync(new URL('../../processes/case-lifecycle.bpmn', import.meta.url), 'utf8');

test('the case lifecycle’s steps are named by their ids', (t) => {
  const names = bpmnElementNames(LIFECYCLE);
  t.is(names.register, '受理立案');
  t.is(names.route, '自动分拨');
  t.is(names['dispatch-city'], '一级分拨');
});

test('names with references and line breaks read as text; elements without a name are left out', (t) => {
  // given a process whose task name has an entity, a line break and attributes in another order
  const xml = `<bpmn:definitions id="d"><bpmn:process id="p" isExecutable="true">
    <bpmn:serviceTask name="核查 &amp;&#10;回访" id="t1"/>
    <bpmn:exclusiveGateway id="g1" />
    <bpmn:sequenceFlow id="f1" sourceRef="t1" targetRef="g1" name="&lt;是&gt;" />
  </bpmn:process></bpmn:definitions>`;

  // when it is read
  const names = bpmnElementNames(xml);

  // then the names are decoded, and the unnamed gateway, process and definitions are absent
  t.deepEqual(names, { t1: '核查 & 回访', f1: '<是>' });
});
