import test from 'ava';
import { type CaseWorld, createCaseWorld } from '../helpers/case-world.ts';
import { api } from '../helpers/http.ts';

// Every operation of the OpenAPI document, asked with odd path parameters, queries and bodies by users of
// several roles: no answer is a 5xx, and every refusal is an RFC 9457 problem whose status is the response's.
// (bad-input.test.ts checks the named fields and that nothing is written; this sweep guards the rest.)

let w: CaseWorld;
test.before(async () => {
  w = await createCaseWorld();
});
test.after.always(() => w?.close());

const ODD_IDS = ['abc', '-1', '0', '99999999999999999999', '1.5', '%E4%B8%AD', 'x'.repeat(300)];
const ODD_QUERIES = [
  '',
  '?page=-1&pageSize=abc',
  '?pageSize=100000&page=1e9',
  '?sort=zzz&from=notadate&to=2026-13-45',
  '?status=xx&townId=abc&overdue=maybe',
  `?q=%27%22%3B--${'x'.repeat(500)}`,
  '?lng=abc&lat=200',
  '?status=handling&status=closed&source[a]=b',
];
const ODD_BODIES: unknown[] = [
  undefined,
  '{bad json',
  '[]',
  'null',
  '123',
  { variables: 'x', action: 5 },
  { xml: '<not-bpmn', username: ['a'], password: {} },
  { source: 'hotline_12345', description: 'x', lng: 'a', lat: 'b', sourceTicketId: { $gt: '' } },
];

test('no operation answers odd input with a server error; every refusal is a problem document', async (t) => {
  const signedIn = await Promise.all(
    ['city.admin', 'city.dispatcher', 'zhenzhou.xupu.grid1', 'city.auditor'].map((u) => w.signIn(u)),
  );
  const users = [{ 'content-type': 'application/json' }, ...signedIn];
  const doc = (
    await api<{ paths: Record<string, Record<string, unknown>> }>(w, {}, 'GET', '/api/openapi.json')
  ).body;
  const operations = Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.keys(ops)
      .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map((m) => [m.toUpperCase(), p] as const),
  );
  t.true(operations.length >= 35, `the document lists ${operations.length} operations`);
  const failures: string[] = [];
  let asked = 0;
  for (const [method, template] of operations) {
    for (const headers of users) {
      for (const id of template.includes('{') ? ODD_IDS : ['']) {
        const path = template.replace(/\{\w+\}/g, id);
        for (const query of method === 'GET' ? ODD_QUERIES : ['']) {
          for (const body of method === 'GET' ? [undefined] : ODD_BODIES) {
            const res = await api<{ status?: number }>(w, headers, method, path + query, body);
            asked++;
            const where = `${method} ${path.slice(0, 60)}${query.slice(0, 40)} ${JSON.stringify(body)?.slice(0, 40)}`;
            if (res.status >= 500) failures.push(`${res.status} ${where}`);
            else if (res.status >= 400) {
              const type = res.headers.get('content-type') ?? '';
              if (!type.startsWith('application/problem+json') || res.body?.status !== res.status)
                failures.push(`${res.status} not a problem (${type}) ${where}`);
            }
          }
        }
      }
    }
  }
  t.true(asked > 1000, `${asked} requests`);
  t.deepEqual(failures.slice(0, 20), []);
});
