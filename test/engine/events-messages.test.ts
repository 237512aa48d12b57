import test from 'ava';
import { ConflictError, NotFoundError } from '../../common/errors.ts';
import type { ActivatedJob, HistoryEvent, HistoryIntent } from '../../engine/port.ts';
import { type TestEngine, createTestEngine } from '../helpers/engine.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Activates every open job of a type for a month, so that advancing the clock does not time them out. */
function activate(te: TestEngine, type: string): Promise<ActivatedJob[]> {
  return te.engine.activateJobs({ type, worker: 'events-test', maxJobsToActivate: 100, timeout: 720 * HOUR });
}

/** `INTENT elementId` of the history events with one of the intents, in order. */
function trace(events: HistoryEvent[], intents: HistoryIntent[]): string[] {
  return events.filter((e) => intents.includes(e.intent)).map((e) => `${e.intent} ${e.elementId ?? ''}`);
}

async function correlations(te: TestEngine, processInstanceKey: string): Promise<HistoryEvent[]> {
  return (await te.engine.getHistory(processInstanceKey)).filter((e) => e.intent === 'MESSAGE_CORRELATED');
}

/** Starts ev-msg-buffered for a case; it waits at the job `ev-prepare` before the message catch `reply`. */
async function startBuffered(te: TestEngine, caseId: string): Promise<string> {
  await te.deployFixture('ev-msg-buffered');
  const pi = await te.engine.createProcessInstance({
    bpmnProcessId: 'ev-msg-buffered',
    variables: { caseId },
  });
  return pi.processInstanceKey;
}

test('a message published with a time to live before the catch event is reached is correlated when it is', async (t) => {
  const te = await createTestEngine();
  try {
    const pi = await startBuffered(te, 'C-1');
    const { messageKey } = await te.engine.publishMessage({
      name: 'ev-reply',
      correlationKey: 'C-1',
      timeToLive: HOUR,
      variables: { answer: 'yes' },
    });
    t.deepEqual(await correlations(te, pi), [], 'nothing waits yet');

    await te.advance(30 * MINUTE);
    await te.completeOne('ev-prepare');

    const [useReply] = await activate(te, 'ev-use-reply');
    t.deepEqual(useReply.variables, { caseId: 'C-1', answer: 'yes' });
    const correlated = await correlations(te, pi);
    t.is(correlated.length, 1);
    t.like(correlated[0], {
      elementId: 'reply',
      payload: { messageKey, messageName: 'ev-reply', correlationKey: 'C-1', elementId: 'reply' },
    });
  } finally {
    await te.close();
  }
});

test('a message published before the instance exists is correlated when the instance reaches the catch event', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-msg-buffered');
    await te.engine.publishMessage({ name: 'ev-reply', correlationKey: 'C-1', timeToLive: HOUR });
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-msg-buffered',
      variables: { caseId: 'C-1' },
    });

    await te.completeOne('ev-prepare');

    t.is((await activate(te, 'ev-use-reply')).length, 1);
    t.is((await correlations(te, pi.processInstanceKey)).length, 1);
  } finally {
    await te.close();
  }
});

test('a message published while the instance waits is correlated at once', async (t) => {
  const te = await createTestEngine();
  try {
    const pi = await startBuffered(te, 'C-1');
    await te.completeOne('ev-prepare');
    t.deepEqual(await activate(te, 'ev-use-reply'), []);

    await te.engine.publishMessage({ name: 'ev-reply', correlationKey: 'C-1', variables: { answer: 'no' } });

    const [useReply] = await activate(te, 'ev-use-reply');
    t.is(useReply.processInstanceKey, pi);
    t.is(useReply.variables.answer, 'no');
  } finally {
    await te.close();
  }
});

test('a buffered message whose time to live has passed is not correlated', async (t) => {
  const te = await createTestEngine();
  try {
    const pi = await startBuffered(te, 'C-1');
    await te.engine.publishMessage({ name: 'ev-reply', correlationKey: 'C-1', timeToLive: HOUR });

    await te.advance(2 * HOUR);
    await te.completeOne('ev-prepare');

    t.deepEqual(await activate(te, 'ev-use-reply'), []);
    t.deepEqual(await correlations(te, pi), []);
    await te.engine.publishMessage({ name: 'ev-reply', correlationKey: 'C-1' });
    t.is((await activate(te, 'ev-use-reply')).length, 1, 'the subscription itself is open');
  } finally {
    await te.close();
  }
});

test('an expired message is not correlated even before the scheduler has removed it', async (t) => {
  const te = await createTestEngine();
  try {
    const pi = await startBuffered(te, 'C-1');
    await te.engine.publishMessage({ name: 'ev-reply', correlationKey: 'C-1', timeToLive: HOUR });

    te.clock.advance(HOUR);
    await te.completeOne('ev-prepare');

    t.deepEqual(await activate(te, 'ev-use-reply'), []);
    t.deepEqual(await correlations(te, pi), []);
  } finally {
    await te.close();
  }
});

test('a message without a time to live is dropped when nothing waits for it', async (t) => {
  const te = await createTestEngine();
  try {
    const pi = await startBuffered(te, 'C-1');
    await te.engine.publishMessage({ name: 'ev-reply', correlationKey: 'C-1', timeToLive: 0 });

    await te.completeOne('ev-prepare');

    t.deepEqual(await activate(te, 'ev-use-reply'), []);
    t.deepEqual(await correlations(te, pi), []);
  } finally {
    await te.close();
  }
});

test('a second publish with the same name, correlation key and message id is rejected while the first is buffered', async (t) => {
  const te = await createTestEngine();
  try {
    const pi = await startBuffered(te, 'C-1');
    const first = await te.engine.publishMessage({
      name: 'ev-reply',
      correlationKey: 'C-1',
      messageId: 'reply-1',
      timeToLive: HOUR,
      variables: { answer: 'first' },
    });

    const rejected = await t.throwsAsync(
      te.engine.publishMessage({
        name: 'ev-reply',
        correlationKey: 'C-1',
        messageId: 'reply-1',
        timeToLive: HOUR,
        variables: { answer: 'second' },
      }),
      { instanceOf: ConflictError },
    );
    t.is(rejected?.code, 'MESSAGE_ALREADY_PUBLISHED');

    await te.completeOne('ev-prepare');
    const [useReply] = await activate(te, 'ev-use-reply');
    t.is(useReply.variables.answer, 'first');
    const correlated = await correlations(te, pi);
    t.deepEqual(
      correlated.map((e) => e.payload.messageKey),
      [first.messageKey],
    );
  } finally {
    await te.close();
  }
});

test('a message id can be published again once the buffered message has expired', async (t) => {
  const te = await createTestEngine();
  try {
    await startBuffered(te, 'C-1');
    await te.engine.publishMessage({
      name: 'ev-reply',
      correlationKey: 'C-1',
      messageId: 'reply-1',
      timeToLive: HOUR,
      variables: { answer: 'first' },
    });
    await te.advance(2 * HOUR);

    await te.engine.publishMessage({
      name: 'ev-reply',
      correlationKey: 'C-1',
      messageId: 'reply-1',
      timeToLive: HOUR,
      variables: { answer: 'second' },
    });

    await te.completeOne('ev-prepare');
    const [useReply] = await activate(te, 'ev-use-reply');
    t.is(useReply.variables.answer, 'second');
  } finally {
    await te.close();
  }
});

test('a message id is unique only together with the message name and correlation key', async (t) => {
  const te = await createTestEngine();
  try {
    await te.engine.publishMessage({
      name: 'ev-reply',
      correlationKey: 'C-1',
      messageId: 'm-1',
      timeToLive: HOUR,
    });

    // Zeebe rejects a message only when name, correlation key and id all match a buffered one.
    await t.notThrowsAsync(
      te.engine.publishMessage({
        name: 'ev-reply',
        correlationKey: 'C-2',
        messageId: 'm-1',
        timeToLive: HOUR,
      }),
    );
    await t.notThrowsAsync(
      te.engine.publishMessage({
        name: 'ev-other',
        correlationKey: 'C-1',
        messageId: 'm-1',
        timeToLive: HOUR,
      }),
    );
  } finally {
    await te.close();
  }
});

test('a buffered message is correlated at most once to a process instance', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-msg-twice');
    const first = await te.engine.publishMessage({
      name: 'ev-note',
      correlationKey: 'C-1',
      timeToLive: HOUR,
    });

    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-msg-twice',
      variables: { caseId: 'C-1' },
    });

    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.deepEqual(trace(history, ['MESSAGE_CORRELATED', 'ELEMENT_COMPLETED']), [
      'ELEMENT_COMPLETED start',
      'MESSAGE_CORRELATED first',
      'ELEMENT_COMPLETED first',
    ]);
    t.deepEqual(await activate(te, 'ev-after-notes'), [], 'the second catch event still waits');

    const second = await te.engine.publishMessage({
      name: 'ev-note',
      correlationKey: 'C-1',
      timeToLive: HOUR,
    });

    t.is((await activate(te, 'ev-after-notes')).length, 1);
    const correlated = await correlations(te, pi.processInstanceKey);
    t.deepEqual(
      correlated.map((e) => [e.elementId, e.payload.messageKey]),
      [
        ['first', first.messageKey],
        ['second', second.messageKey],
      ],
    );
  } finally {
    await te.close();
  }
});

test('a message is correlated to only one of two subscriptions waiting in the same instance', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-msg-parallel');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-msg-parallel',
      variables: { caseId: 'C-1' },
    });

    await te.engine.publishMessage({ name: 'ev-ping', correlationKey: 'C-1' });

    const after = [...(await activate(te, 'ev-after-a')), ...(await activate(te, 'ev-after-b'))];
    t.is(after.length, 1);
    t.is((await correlations(te, pi.processInstanceKey)).length, 1);

    await te.engine.publishMessage({ name: 'ev-ping', correlationKey: 'C-1' });
    const rest = [...(await activate(te, 'ev-after-a')), ...(await activate(te, 'ev-after-b'))];
    t.is(rest.length, 1);
    t.not(rest[0].elementId, after[0].elementId, 'the second message goes to the other catch event');
  } finally {
    await te.close();
  }
});

test('a message is correlated to waiting instances of different processes with the same correlation key', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-msg-wait-ping', 'ev-msg-parallel');
    const waiting = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-msg-wait-ping',
      variables: { caseId: 'C-1' },
    });
    const parallel = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-msg-parallel',
      variables: { caseId: 'C-1' },
    });
    const other = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-msg-wait-ping',
      variables: { caseId: 'C-2' },
    });

    await te.engine.publishMessage({ name: 'ev-ping', correlationKey: 'C-1' });

    t.deepEqual(
      (await activate(te, 'ev-after-ping')).map((j) => j.processInstanceKey),
      [waiting.processInstanceKey],
    );
    const parallelAfter = [...(await activate(te, 'ev-after-a')), ...(await activate(te, 'ev-after-b'))];
    t.deepEqual(
      parallelAfter.map((j) => j.processInstanceKey),
      [parallel.processInstanceKey],
    );
    t.deepEqual(await correlations(te, other.processInstanceKey), []);
  } finally {
    await te.close();
  }
});

test('a published message is correlated to only one instance of the same process', async (t) => {
  const te = await createTestEngine();
  try {
    // Zeebe's message cardinality: a message is correlated once per process (BPMN process id), whatever
    // the number of instances that wait for it with the same correlation key.
    await te.deployFixture('ev-msg-wait-ping');
    for (let i = 0; i < 2; i++) {
      await te.engine.createProcessInstance({
        bpmnProcessId: 'ev-msg-wait-ping',
        variables: { caseId: 'C-1' },
      });
    }

    await te.engine.publishMessage({ name: 'ev-ping', correlationKey: 'C-1' });

    t.is((await activate(te, 'ev-after-ping')).length, 1);
  } finally {
    await te.close();
  }
});

test('a buffered message is not correlated again to a second instance of the same process', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-msg-wait-ping');
    await te.engine.publishMessage({ name: 'ev-ping', correlationKey: 'C-1', timeToLive: HOUR });

    const first = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-msg-wait-ping',
      variables: { caseId: 'C-1' },
    });
    const second = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-msg-wait-ping',
      variables: { caseId: 'C-1' },
    });

    t.is((await correlations(te, first.processInstanceKey)).length, 1);
    t.deepEqual(await correlations(te, second.processInstanceKey), []);
    t.deepEqual(
      (await activate(te, 'ev-after-ping')).map((j) => j.processInstanceKey),
      [first.processInstanceKey],
    );
  } finally {
    await te.close();
  }
});

test('a message catch event subscribes with the correlation key taken from a variable and merges the message variables', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-catch-message');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-catch-message',
      variables: { orderId: 42, status: 'open' },
    });

    await te.engine.publishMessage({
      name: 'ev-payment',
      correlationKey: '43',
      variables: { status: 'paid' },
    });
    t.deepEqual(await activate(te, 'ev-book'), [], 'another correlation key does not match');

    await te.engine.publishMessage({
      name: 'ev-payment',
      correlationKey: '42',
      variables: { status: 'paid', amount: 120 },
    });

    const [book] = await activate(te, 'ev-book');
    t.is(book.processInstanceKey, pi.processInstanceKey);
    const variables = await te.engine.getVariables(pi.processInstanceKey);
    t.deepEqual(
      variables.map((v) => [v.scopeKey, v.name, v.value]),
      [
        [pi.processInstanceKey, 'amount', 120],
        [pi.processInstanceKey, 'orderId', 42],
        [pi.processInstanceKey, 'status', 'paid'],
      ],
    );
  } finally {
    await te.close();
  }
});

test('a message catch event with an output mapping passes on only what it maps', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-catch-message-output');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-catch-message-output',
      variables: { orderId: 'O-1' },
    });

    await te.engine.publishMessage({
      name: 'ev-payment',
      correlationKey: 'O-1',
      variables: { amount: 120, note: 'paid in cash' },
    });

    const [book] = await activate(te, 'ev-book');
    t.deepEqual(book.variables, { orderId: 'O-1', paidAmount: 120 });
    const variables = await te.engine.getVariables(pi.processInstanceKey);
    t.deepEqual(
      variables.map((v) => [v.scopeKey, v.name, v.value]),
      [
        [pi.processInstanceKey, 'orderId', 'O-1'],
        [pi.processInstanceKey, 'paidAmount', 120],
      ],
    );
  } finally {
    await te.close();
  }
});

test('correlateMessage returns the key of the instance the message was correlated to', async (t) => {
  const te = await createTestEngine();
  try {
    const pi = await startBuffered(te, 'C-1');
    await startBuffered(te, 'C-2');
    const jobs = await activate(te, 'ev-prepare');
    for (const job of jobs) await te.engine.completeJob({ jobKey: job.key });

    const result = await te.engine.correlateMessage({
      name: 'ev-reply',
      correlationKey: 'C-1',
      variables: { answer: 'yes' },
    });

    t.is(result.processInstanceKey, pi);
    const correlated = await correlations(te, pi);
    t.deepEqual(
      correlated.map((e) => e.payload.messageKey),
      [result.messageKey],
    );
    const [useReply] = await activate(te, 'ev-use-reply');
    t.deepEqual([useReply.processInstanceKey, useReply.variables.answer], [pi, 'yes']);
  } finally {
    await te.close();
  }
});

test('correlateMessage fails with NO_SUBSCRIPTION when nothing waits, and buffers nothing', async (t) => {
  const te = await createTestEngine();
  try {
    const pi = await startBuffered(te, 'C-1');

    const error = await t.throwsAsync(
      te.engine.correlateMessage({ name: 'ev-reply', correlationKey: 'C-1' }),
      {
        instanceOf: NotFoundError,
      },
    );
    t.is(error?.code, 'NO_SUBSCRIPTION');

    await te.completeOne('ev-prepare');
    t.deepEqual(await correlations(te, pi), []);
    t.deepEqual(await activate(te, 'ev-use-reply'), []);
  } finally {
    await te.close();
  }
});

test('a message start event creates an instance with the message variables', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-msg-start');

    const { messageKey } = await te.engine.publishMessage({
      name: 'ev-report',
      correlationKey: '',
      variables: { reportId: 'R-1' },
    });

    const [triage] = await activate(te, 'ev-triage');
    t.like(triage, {
      bpmnProcessId: 'ev-msg-start',
      processDefinitionVersion: 1,
      variables: { reportId: 'R-1' },
    });
    const history = await te.engine.getHistory(triage.processInstanceKey);
    t.deepEqual(trace(history, ['ELEMENT_ACTIVATED']), [
      'ELEMENT_ACTIVATED report-received',
      'ELEMENT_ACTIVATED triage',
    ]);
    const correlated = history.filter((e) => e.intent === 'MESSAGE_CORRELATED');
    t.is(correlated.length, 1);
    t.like(correlated[0].payload, { messageKey, messageName: 'ev-report', elementId: 'report-received' });

    const result = await te.engine.correlateMessage({
      name: 'ev-report',
      correlationKey: '',
      variables: { reportId: 'R-2' },
    });
    const [second] = await activate(te, 'ev-triage');
    t.is(second.processInstanceKey, result.processInstanceKey);
    t.is(second.variables.reportId, 'R-2');
  } finally {
    await te.close();
  }
});

test('after a changed version is deployed only its message start event starts instances', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-msg-start');
    await te.deployFixture('ev-msg-start-v2');

    await te.engine.publishMessage({ name: 'ev-report', correlationKey: '', variables: { reportId: 'R-1' } });

    t.deepEqual(await activate(te, 'ev-triage'), [], 'version 1 starts nothing');
    const started = await activate(te, 'ev-triage-v2');
    t.deepEqual(
      started.map((j) => [j.bpmnProcessId, j.processDefinitionVersion]),
      [['ev-msg-start', 2]],
    );
  } finally {
    await te.close();
  }
});

test('a message start event does not start a second instance for a correlation key whose instance is active', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-msg-start');
    await te.engine.publishMessage({ name: 'ev-report', correlationKey: 'R-1' });

    await te.engine.publishMessage({ name: 'ev-report', correlationKey: 'R-1' });
    await te.engine.publishMessage({ name: 'ev-report', correlationKey: 'R-2' });

    const started = await activate(te, 'ev-triage');
    t.is(started.length, 2, 'one instance for R-1, one for R-2');
  } finally {
    await te.close();
  }
});
