import test, { type ExecutionContext } from 'ava';
import { Op, QueryTypes } from 'sequelize';
import { sequelizeSql } from '../../db/sequelize-sql.ts';
import type { CaseAttributes } from '../../db/models/case.model.ts';
import { verifyAudit } from '../../server/services/audit.service.ts';
import { locatePoint } from '../../server/services/locate.service.ts';
import { type CaseWorld, createCaseWorld } from '../helpers/case-world.ts';

// Whole cases through the real engine, the real BPMN (processes/case-lifecycle.bpmn), the real workers and
// the database: one test per path of the closed loop. Users act by completing their tasks as the API does.

const MINUTE = 60_000;

async function world(t: ExecutionContext): Promise<CaseWorld> {
  const w = await createCaseWorld();
  t.teardown(async () => {
    // Every path leaves each unit's copy of the case's status (case_party, the search reads it) equal to it.
    const stale = await w.db.sequelize.query<{ case_id: number; unit_id: number }>(
      'SELECT cp.case_id, cp.unit_id FROM case_party cp JOIN cases c ON c.id = cp.case_id WHERE cp.status IS NULL OR cp.status <> c.status',
      { type: QueryTypes.SELECT },
    );
    await w.close();
    if (stale.length > 0)
      throw new Error(`case_party.status differs from the case's: ${JSON.stringify(stale)}`);
  });
  return w;
}

/** A point inside a grid of the demo city, with that grid's village and town. */
async function pointInGrid(
  w: CaseWorld,
  nth = 0,
): Promise<{ lng: number; lat: number; gridId: number; villageId: number; townId: number }> {
  const grids = await w.models.Grid.findAll({ order: [['id', 'ASC']], limit: 40, offset: nth * 40 });
  for (const g of grids) {
    const ring = (JSON.parse(g.get('geometry') as string) as { coordinates: number[][][][] })
      .coordinates[0][0];
    const lng = ring.slice(0, -1).reduce((s, p) => s + p[0], 0) / (ring.length - 1);
    const lat = ring.slice(0, -1).reduce((s, p) => s + p[1], 0) / (ring.length - 1);
    const found = await locatePoint(w.db.sequelize, lng, lat, '2026-03-02');
    if (found && found.gridId === g.get('id')) {
      return { lng, lat, gridId: found.gridId, villageId: found.villageId, townId: found.townId };
    }
  }
  throw new Error('no grid centroid found');
}

async function caseRow(w: CaseWorld, id: number): Promise<CaseAttributes> {
  return (await w.models.Case.findByPk(id))!.get({ plain: true }) as CaseAttributes;
}

async function unit(w: CaseWorld, where: Record<string, unknown>): Promise<number> {
  const u = await w.models.OrgUnit.findOne({ where, order: [['id', 'ASC']] });
  if (!u) throw new Error(`no org unit ${JSON.stringify(where)}`);
  return u.get('id') as number;
}

async function assessment(w: CaseWorld, caseId: number): Promise<Record<string, unknown>> {
  const rows = await w.db.sequelize.query<Record<string, unknown>>(
    'SELECT * FROM case_assessment WHERE case_id = ?',
    {
      replacements: [caseId],
      type: QueryTypes.SELECT,
    },
  );
  return rows[0];
}

async function auditActions(w: CaseWorld, caseId: number): Promise<string[]> {
  const rows = await w.db.sequelize.query<{ action: string; payload: string | null }>(
    'SELECT action, payload FROM audit_log WHERE case_id = ? ORDER BY chain_seq',
    { replacements: [caseId], type: QueryTypes.SELECT },
  );
  return rows.map((r) => r.action);
}

async function instanceState(w: CaseWorld, caseId: number): Promise<string> {
  const c = await caseRow(w, caseId);
  return (await w.engine.getProcessInstance(String(c.processInstanceKey))).state;
}

async function outbox(
  w: CaseWorld,
  caseId: number,
): Promise<{ template: string; audience: string; recipients: string }[]> {
  return w.db.sequelize.query(
    'SELECT template, audience, recipients FROM notification_outbox WHERE case_id = ? ORDER BY id',
    {
      replacements: [caseId],
      type: QueryTypes.SELECT,
    },
  );
}

/** Files a hotline case about exposed rubbish (urban management: a town or the city department may take it). */
async function hotlineCase(w: CaseWorld, extra: Record<string, unknown> = {}, nth = 0) {
  const p = await pointInGrid(w, nth);
  const filed = await w.file({
    source: 'hotline_12345',
    sourceTicketId: `12345-${Math.random().toString(36).slice(2)}`,
    reporterName: '王先生',
    reporterPhone: '13812345678',
    description: '小区门口垃圾堆放三天无人清运',
    lng: p.lng,
    lat: p.lat,
    categoryCode: '06001',
    ...extra,
  });
  return { ...filed, ...p };
}

/** Registers and dispatches a case down to a village station of its town; returns the station. */
async function dispatchToStation(
  w: CaseWorld,
  c: { id: number; townId: number; villageId: number },
): Promise<number> {
  await w.completeTask(c.id, 'register', 'register', {
    categoryCode: '06001',
    urgency: 'normal',
    majorEmergency: false,
  });
  await w.completeTask(c.id, 'dispatch-city', 'dispatch', {
    dispatchUnitKind: 'town',
    dispatchUnitId: c.townId,
  });
  await w.completeTask(c.id, 'dispatch-town', 'dispatch', { handlerUnitId: c.villageId });
  return c.villageId;
}

async function verifyCloseCallback(w: CaseWorld, id: number, satisfaction = 'satisfied'): Promise<void> {
  await w.completeTask(
    id,
    'verify',
    'pass',
    { verifyResult: 'pass', verifyNote: '现场已清理' },
    'grid.worker',
  );
  await w.completeTask(id, 'close', 'close', { closeConditionMet: true });
  await w.completeTask(id, 'callback', 'record', { satisfaction });
}

test('straight through: filed, registered, dispatched on two levels, handled, verified, closed, called back, assessed', async (t) => {
  const w = await world(t);
  const c = await hotlineCase(w);
  const filedRow = await caseRow(w, c.id);
  t.is(filedRow.status, 'accepted');
  t.is(filedRow.gridId, c.gridId);
  t.is(filedRow.townId, c.townId);
  t.regex(filedRow.caseNo, /^YZ20260302\d{6}$/);

  w.clock.advance(5 * MINUTE);
  await dispatchToStation(w, c);
  const handleTask = (await w.openTasks(c.id)).find((x) => x.elementId === 'handle')!;
  t.deepEqual(handleTask.candidateGroups, [`unit:${c.villageId}:handler`]);
  w.clock.advance(60 * MINUTE);
  await w.completeTask(c.id, 'handle', 'complete', { handleResult: '已清运' });
  const verifyTask = (await w.openTasks(c.id)).find((x) => x.elementId === 'verify')!;
  t.deepEqual(verifyTask.candidateGroups, [`grid:${c.gridId}:grid_worker`]);
  await verifyCloseCallback(w, c.id);

  const row = await caseRow(w, c.id);
  t.is(row.status, 'closed');
  t.is(await instanceState(w, c.id), 'COMPLETED');
  for (const stamp of ['registeredAt', 'dispatchedAt', 'handledAt', 'verifiedAt', 'closedAt'] as const) {
    t.truthy(row[stamp], `${stamp} is set`);
  }
  t.is(row.registeredAt! - row.acceptedAt!, 5 * MINUTE);
  t.is(row.dispatchedAt, row.registeredAt);
  t.is(row.handledAt! - row.dispatchedAt!, 60 * MINUTE);
  t.is(row.handleDueAt! - row.dispatchedAt!, 480 * MINUTE, 'exposed rubbish: one working day to handle');
  t.true(row.handledAt! <= row.verifiedAt! && row.verifiedAt! <= row.closedAt!);

  t.is(row.handlingUnitId, c.villageId);
  t.is(row.satisfaction, 'satisfied');
  const facts = await assessment(w, c.id);
  t.like(facts, {
    outcome: 'closed',
    returned: 0,
    reworked: 0,
    extended: 0,
    reopened: 0,
    satisfaction: 'satisfied',
  });
  t.truthy(facts.handled_on_time);
  t.truthy(facts.first_time_resolved);
  const actions = await auditActions(w, c.id);
  t.is(actions[0], 'case.created');
  t.true(actions.includes('engine.USER_TASK_COMPLETED'));
  t.true((await verifyAudit(sequelizeSql(w.db.sequelize))).ok);
  const [created] = await w.db.sequelize.query<{ payload: string }>(
    "SELECT payload FROM audit_log WHERE case_id = ? AND action = 'case.created'",
    { replacements: [c.id], type: QueryTypes.SELECT },
  );
  t.false(created.payload.includes('13812345678'), 'the reporter phone is masked in the audit log');
});

test('auto-routed: a power repair goes straight to the power company, without a dispatcher', async (t) => {
  const w = await world(t);
  const c = await hotlineCase(w, {
    categoryCode: '22002',
    description: '整栋楼停电两小时',
    urgency: 'urgent',
  });
  await w.completeTask(c.id, 'register', 'register', {
    categoryCode: '22002',
    urgency: 'urgent',
    majorEmergency: false,
  });
  const power = await unit(w, { kind: 'department', level: 'city', departmentKind: 'power' });

  const open = await w.openTasks(c.id);
  t.deepEqual(
    open.map((x) => x.elementId),
    ['handle'],
  );
  t.deepEqual(open[0].candidateGroups, [`unit:${power}:handler`]);
  // The route entered the handling stage itself (ADR 0005, amended): no 记录处置 job ran.
  const routed = await caseRow(w, c.id);
  t.like(routed, { status: 'handling', handlingUnitId: power, dispatchedAt: w.clock.now() });
  const power22002 = await w.models.Category.findOne({ where: { code: '22002' } });
  t.is(routed.handleDueAt! - routed.dispatchedAt!, (power22002!.get('limitHandleMin') as number) * MINUTE);
  const jobs = await w.db.sequelize.query<{ elementId: string }>(
    "SELECT element_id AS elementId FROM engine_history_event WHERE process_instance_key = ? AND intent = 'JOB_CREATED' ORDER BY position",
    { replacements: [c.processInstanceKey], type: QueryTypes.SELECT },
  );
  t.deepEqual(
    jobs.map((j) => j.elementId),
    ['accept', 'route'],
  );
  await w.completeTask(c.id, 'handle', 'complete', { handleResult: '已抢修恢复供电' });
  await verifyCloseCallback(w, c.id);

  t.is((await caseRow(w, c.id)).handlingUnitId, power);
  t.is(await instanceState(w, c.id), 'COMPLETED');
  t.like(await assessment(w, c.id), { outcome: 'closed', returned: 0 });
});

test('returned twice, then the city centre decides who handles it', async (t) => {
  const w = await world(t);
  const c = await hotlineCase(w);
  await dispatchToStation(w, c);
  await w.completeTask(c.id, 'handle', 'return', { returnReason: '不属于本村管辖' });
  t.deepEqual(
    (await w.openTasks(c.id)).map((x) => x.elementId),
    ['dispatch-town'],
  );
  t.is((await caseRow(w, c.id)).status, 'returned');
  await w.completeTask(c.id, 'dispatch-town', 'dispatch', { handlerUnitId: c.villageId });
  await w.completeTask(c.id, 'handle', 'return', { returnReason: '仍不属于本村' });

  t.deepEqual(
    (await w.openTasks(c.id)).map((x) => x.elementId),
    ['decide-return'],
  );
  const zhifa = await unit(w, {
    kind: 'department',
    level: 'town',
    parentId: c.townId,
    departmentKind: 'urban_management',
  });
  await w.completeTask(c.id, 'decide-return', 'dispatch', {
    handlerUnitId: zhifa,
    decisionNote: '由镇综合执法局处置',
  });
  const handle = (await w.openTasks(c.id)).find((x) => x.elementId === 'handle')!;
  t.deepEqual(handle.candidateGroups, [`unit:${zhifa}:handler`]);
  await w.completeTask(c.id, 'handle', 'complete', { handleResult: '已清运' });
  await verifyCloseCallback(w, c.id);

  t.like(await assessment(w, c.id), { returned: 2, outcome: 'closed' });
  t.is(await instanceState(w, c.id), 'COMPLETED');
});

test('an extension approved by the centre moves the handling deadline', async (t) => {
  const w = await world(t);
  const c = await hotlineCase(w);
  await dispatchToStation(w, c);
  const before = (await caseRow(w, c.id)).handleDueAt!;
  await w.completeTask(c.id, 'handle', 'extend', { extensionDays: 2, extensionReason: '需协调环卫车辆' });
  t.deepEqual(
    (await w.openTasks(c.id)).map((x) => x.elementId),
    ['approve-extension'],
  );
  await w.completeTask(c.id, 'approve-extension', 'approve', { extensionDays: 2, extensionOpinion: '同意' });

  const after = (await caseRow(w, c.id)).handleDueAt!;
  t.is(after - before, 2 * 480 * MINUTE);
  t.deepEqual(
    (await w.openTasks(c.id)).map((x) => x.elementId),
    ['handle'],
  );
  await w.completeTask(c.id, 'handle', 'complete', { handleResult: '已清运' });
  await verifyCloseCallback(w, c.id);
  t.like(await assessment(w, c.id), { extended: 1, outcome: 'closed' });
});

test('parked (挂账) stops the clock; resumed, it continues with what was left', async (t) => {
  const w = await world(t);
  const c = await hotlineCase(w);
  await dispatchToStation(w, c);
  w.clock.advance(100 * MINUTE);
  await w.completeTask(c.id, 'handle', 'park', { parkCategory: 'budget', parkReason: '需列入年度预算' });
  t.is((await caseRow(w, c.id)).status, 'parked');
  t.deepEqual(
    (await w.openTasks(c.id)).map((x) => x.elementId),
    ['resume-parked'],
  );

  w.clock.advance(30 * 24 * 60 * MINUTE);
  await w.completeTask(c.id, 'resume-parked', 'resume', { resumeNote: '预算已批' });
  const row = await caseRow(w, c.id);
  t.is(row.status, 'handling');
  t.is(row.handleDueAt! - w.clock.now(), (480 - 100) * MINUTE);
  await w.completeTask(c.id, 'handle', 'complete', { handleResult: '已处置' });
  await verifyCloseCallback(w, c.id);
  t.is(await instanceState(w, c.id), 'COMPLETED');
});

test('joint handling: three departments handle in parallel, then the lead unit reports back', async (t) => {
  const w = await world(t);
  const c = await hotlineCase(w);
  await w.completeTask(c.id, 'register', 'register', { categoryCode: '06001' });
  await w.completeTask(c.id, 'dispatch-city', 'dispatch', {
    dispatchUnitKind: 'town',
    dispatchUnitId: c.townId,
  });
  const departments = (
    await w.models.OrgUnit.findAll({
      where: { parentId: c.townId, kind: { [Op.in]: ['department', 'joint_team'] } },
      order: [['id', 'ASC']],
    })
  )
    .map((u) => u.get('id') as number)
    .slice(0, 3);
  t.is(departments.length, 3);
  await w.completeTask(c.id, 'dispatch-town', 'joint', {
    jointUnitIds: departments,
    leadUnitId: departments[0],
  });

  const joint = (await w.openTasks(c.id)).filter((x) => x.elementId === 'joint-handle');
  t.deepEqual(
    joint.map((x) => x.candidateGroups[0]).sort(),
    departments.map((d) => `unit:${d}:handler`).sort(),
  );
  for (const task of joint) {
    await w.engine.completeUserTask({
      userTaskKey: task.userTaskKey,
      variables: { jointResult: '已配合处置', lastAction: 'complete' },
      action: 'complete',
    });
    await w.settle();
  }
  const lead = (await w.openTasks(c.id)).find((x) => x.elementId === 'handle')!;
  t.deepEqual(lead.candidateGroups, [`unit:${departments[0]}:handler`]);
  await w.completeTask(c.id, 'handle', 'complete', { handleResult: '联合处置完毕' });
  await verifyCloseCallback(w, c.id);
  t.is((await caseRow(w, c.id)).handlingUnitId, departments[0]);
  t.is(await instanceState(w, c.id), 'COMPLETED');
});

test('self-handled by the grid worker: a light review at the town closes it', async (t) => {
  const w = await world(t);
  const p = await pointInGrid(w);
  const worker = await w.models.User.findOne({
    include: [{ model: w.models.UserGrid, as: 'grids', where: { gridId: p.gridId } }],
  });
  const c = await w.file(
    {
      source: 'grid_report',
      description: '路边小广告，已现场清除',
      lng: p.lng,
      lat: p.lat,
      categoryCode: '07001',
      selfHandled: true,
    },
    {
      userId: worker!.get('id') as number,
      username: worker!.get('username') as string,
      orgUnitId: p.villageId,
    },
  );
  const review = (await w.openTasks(c.id)).find((x) => x.elementId === 'review-self-handled')!;
  t.deepEqual(review.candidateGroups, [`unit:${p.townId}:dispatcher`]);
  await w.completeTask(c.id, 'review-self-handled', 'approve', { reviewNote: '属实' });

  t.is((await caseRow(w, c.id)).status, 'closed');
  t.is(await instanceState(w, c.id), 'COMPLETED');
  t.like(await assessment(w, c.id), { outcome: 'closed' });
});

test('verification fails, the handler reworks it, the second verification passes', async (t) => {
  const w = await world(t);
  const c = await hotlineCase(w);
  await dispatchToStation(w, c);
  await w.completeTask(c.id, 'handle', 'complete', { handleResult: '已清运' });
  await w.completeTask(c.id, 'verify', 'fail', { verifyResult: 'fail', verifyNote: '仍有残留' });
  t.is((await caseRow(w, c.id)).status, 'handling');
  t.deepEqual(
    (await w.openTasks(c.id)).map((x) => x.elementId),
    ['handle'],
  );
  await w.completeTask(c.id, 'handle', 'complete', { handleResult: '已彻底清理' });
  await verifyCloseCallback(w, c.id);

  t.like(await assessment(w, c.id), { reworked: 1, outcome: 'closed' });
  t.falsy((await assessment(w, c.id)).first_time_resolved);
});

test('an unsatisfied call-back reopens the case once; a second unsatisfied call-back closes it', async (t) => {
  const w = await world(t);
  const c = await hotlineCase(w);
  await dispatchToStation(w, c);
  await w.completeTask(c.id, 'handle', 'complete', { handleResult: '已清运' });
  await verifyCloseCallback(w, c.id, 'unsatisfied');
  t.is((await caseRow(w, c.id)).status, 'handling');
  t.deepEqual(
    (await w.openTasks(c.id)).map((x) => x.elementId),
    ['handle'],
  );

  await w.completeTask(c.id, 'handle', 'complete', { handleResult: '再次清运并加派巡查' });
  await verifyCloseCallback(w, c.id, 'unsatisfied');
  t.is(await instanceState(w, c.id), 'COMPLETED');
  t.like(await assessment(w, c.id), { reopened: 1, satisfaction: 'unsatisfied' });
});

test('a second report of the same problem nearby is merged into the first', async (t) => {
  const w = await world(t);
  const first = await hotlineCase(w);
  const second = await w.file({
    source: 'web',
    description: '同一处垃圾无人清运',
    lng: first.lng + 0.0005,
    lat: first.lat,
    categoryCode: '06001',
  });

  const row = await caseRow(w, second.id);
  t.is(row.status, 'merged');
  t.is(row.duplicateOfId, first.id);
  t.is(await instanceState(w, second.id), 'COMPLETED');
  t.deepEqual(
    (await outbox(w, second.id)).map((o) => [o.template, o.audience]),
    [['merged', 'reporter']],
  );
  t.is((await caseRow(w, first.id)).status, 'accepted');
});

test('a major emergency is reported to the leaders at once while it is handled', async (t) => {
  const w = await world(t);
  const c = await hotlineCase(w, {
    categoryCode: '21001',
    description: '小区燃气泄漏，有明显气味',
    urgency: 'emergency',
    majorEmergency: true,
  });
  await w.completeTask(c.id, 'register', 'register', {
    categoryCode: '21001',
    urgency: 'emergency',
    majorEmergency: true,
  });

  const notes = await outbox(w, c.id);
  const leaders = notes.find((n) => n.audience === 'leaders');
  t.truthy(leaders);
  t.is(leaders!.template, 'emergency');
  t.true(JSON.parse(leaders!.recipients).length >= 1);
  await w.completeTask(c.id, 'dispatch-city', 'dispatch', {
    dispatchUnitKind: 'town',
    dispatchUnitId: c.townId,
  });
  const anjian = await unit(w, {
    kind: 'department',
    level: 'town',
    parentId: c.townId,
    departmentKind: 'emergency',
  });
  await w.completeTask(c.id, 'dispatch-town', 'dispatch', { handlerUnitId: anjian });
  await w.completeTask(c.id, 'handle', 'complete', { handleResult: '已关阀并疏散，泄漏点已修复' });
  await verifyCloseCallback(w, c.id);
  t.is(await instanceState(w, c.id), 'COMPLETED');
});

test('overdue: past the handling limit the supervisors are notified and given a 督办 task', async (t) => {
  const w = await world(t);
  const c = await hotlineCase(w);
  await dispatchToStation(w, c);
  const due = (await caseRow(w, c.id)).handleDueAt!;

  await w.advance(due - w.clock.now() - MINUTE);
  t.deepEqual(
    (await outbox(w, c.id)).map((o) => o.template),
    ['warning'],
  );
  await w.advance(2 * MINUTE);

  t.deepEqual(
    (await outbox(w, c.id)).map((o) => o.template),
    ['warning', 'overdue'],
  );
  const open = (await w.openTasks(c.id)).map((x) => x.elementId).sort();
  t.deepEqual(open, ['handle', 'supervise']);
  await w.completeTask(c.id, 'supervise', 'urge', { superviseMethod: 'phone', superviseNote: '已电话督办' });
  await w.completeTask(c.id, 'handle', 'complete', { handleResult: '已清运' });
  await verifyCloseCallback(w, c.id);
  const facts = await assessment(w, c.id);
  t.falsy(facts.handled_on_time);
  t.is(Number(facts.supervised), 1);
});
