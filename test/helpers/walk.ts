import { QueryTypes } from 'sequelize';
import type { CaseWorld } from './case-world.ts';
import { api } from './http.ts';

/** A task as the inbox lists it. */
export interface InboxItem {
  userTaskKey: string;
  elementId: string;
  caseId: number;
  actions: string[];
}

/** Finds the case's task in the user's inbox over HTTP; throws when it is not there. */
export async function findTask(
  w: CaseWorld,
  username: string,
  caseId: number,
  elementId: string,
): Promise<{ item: InboxItem; headers: Record<string, string> }> {
  await w.settle();
  const headers = await w.signIn(username);
  const inbox = await api<{ items: InboxItem[] }>(w, headers, 'GET', '/api/tasks?pageSize=200');
  const item = inbox.body.items.find((i) => i.caseId === caseId && i.elementId === elementId);
  if (!item)
    throw new Error(
      `${username} has no ${elementId} task for case ${caseId}: ${JSON.stringify(inbox.body.items.map((i) => i.elementId))}`,
    );
  return { item, headers };
}

/** Finds the case's task in the user's inbox, reads it, claims it, completes it: all over HTTP. */
export async function work(
  w: CaseWorld,
  username: string,
  caseId: number,
  elementId: string,
  action: string,
  variables: Record<string, unknown>,
): Promise<void> {
  const { item, headers: h } = await findTask(w, username, caseId, elementId);
  const detail = await api<{ form: { id: string } | null }>(w, h, 'GET', `/api/tasks/${item.userTaskKey}`);
  if (detail.status !== 200 || detail.body.form?.id !== elementId)
    throw new Error(`task detail: ${detail.status}`);
  const claim = await api(w, h, 'POST', `/api/tasks/${item.userTaskKey}/claim`);
  if (claim.status !== 204) throw new Error(`claim: ${claim.status} ${JSON.stringify(claim.body)}`);
  const done = await api(w, h, 'POST', `/api/tasks/${item.userTaskKey}/complete`, { action, variables });
  if (done.status !== 204)
    throw new Error(`complete ${elementId}: ${done.status} ${JSON.stringify(done.body)}`);
  await w.settle();
}

/** The first grid of the seed and a point at its centre. */
export async function firstGrid(w: CaseWorld): Promise<{ gridId: number; lng: number; lat: number }> {
  const grid = (await w.models.Grid.findAll({ limit: 1, order: [['id', 'ASC']] }))[0];
  const ring = (JSON.parse(grid.get('geometry') as string) as { coordinates: number[][][][] })
    .coordinates[0][0];
  const lng = ring.slice(0, -1).reduce((s, p) => s + p[0], 0) / (ring.length - 1);
  const lat = ring.slice(0, -1).reduce((s, p) => s + p[1], 0) / (ring.length - 1);
  return { gridId: Number(grid.get('id')), lng, lat };
}

/** The demo users who work a case of this town, village and grid on the town's path. */
export async function partiesOf(
  w: CaseWorld,
  c: { townId: number; villageId: number },
  gridId: number,
): Promise<{ townDispatcher: string; stationHandler: string; gridWorker: string }> {
  const slugs = await w.db.sequelize.query<{ username: string; org_unit_id: number }>(
    'SELECT u.username, u.org_unit_id FROM app_user u JOIN user_role r ON r.user_id = u.id WHERE (u.org_unit_id = ? AND r.role = ?) OR (u.org_unit_id = ? AND r.role = ?)',
    { replacements: [c.townId, 'dispatcher', c.villageId, 'handler'], type: QueryTypes.SELECT },
  );
  const [gridWorker] = await w.db.sequelize.query<{ username: string }>(
    'SELECT u.username FROM app_user u JOIN user_grid g ON g.user_id = u.id WHERE g.grid_id = ?',
    { replacements: [gridId], type: QueryTypes.SELECT },
  );
  return {
    townDispatcher: slugs.find((s) => s.org_unit_id === c.townId)!.username,
    stationHandler: slugs.find((s) => s.org_unit_id === c.villageId)!.username,
    gridWorker: gridWorker.username,
  };
}

/** Registers the case as 06001 and dispatches it through the town centre to its village's station. */
export async function dispatchToStation(
  w: CaseWorld,
  caseId: number,
  c: { townId: number; villageId: number },
  townDispatcher: string,
): Promise<void> {
  await work(w, 'city.dispatcher', caseId, 'register', 'register', {
    categoryCode: '06001',
    urgency: 'normal',
    majorEmergency: false,
  });
  await work(w, 'city.dispatcher', caseId, 'dispatch-city', 'dispatch', {
    dispatchUnitKind: 'town',
    dispatchUnitId: c.townId,
  });
  await work(w, townDispatcher, caseId, 'dispatch-town', 'dispatch', { handlerUnitId: c.villageId });
}
