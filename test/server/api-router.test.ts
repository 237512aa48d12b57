import { type IncomingHttpHeaders, request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import test from 'ava';
import { type CaseWorld, createCaseWorld } from '../helpers/case-world.ts';

// The API router (ADR 0006) answers the task routes on Node's server before Express: what Express and its
// middleware did for those routes it must do too — the JSON body and its problems, the query, the session,
// problem JSON, compression — and a request it does not take still reaches Express.

let w: CaseWorld;
let base: string;
let dispatcher: Record<string, string>;
let taskKey: string;

test.before(async () => {
  w = await createCaseWorld();
  base = await w.serve();
  dispatcher = await w.signIn('city.dispatcher');
  const filed = await w.file({
    source: 'hotline_12345',
    description: '小区门口垃圾堆放三天无人清运',
    categoryCode: '06001',
  });
  taskKey = (await w.openTasks(filed.id))[0].userTaskKey;
  // More open tasks, so that a page of the inbox is over compression's 1 KiB.
  for (let i = 0; i < 6; i++) {
    await w.file({ source: 'hotline_12345', description: `路灯不亮 ${i}`, categoryCode: '06001' });
  }
  await fetch(`${base}/api/tasks/${taskKey}/claim`, { method: 'POST', headers: dispatcher });
});
test.after.always(() => w?.close());

const complete = (body: string | Buffer, type = 'application/json') =>
  fetch(`${base}/api/tasks/${taskKey}/complete`, {
    method: 'POST',
    headers: { ...dispatcher, 'content-type': type },
    body,
  });

test('a body that is not JSON, too large, or not declared JSON is a 4xx problem, and the task stays open', async (t) => {
  const broken = await complete('{"action": "register",');
  t.is(broken.status, 400);
  t.regex(broken.headers.get('content-type') ?? '', /^application\/problem\+json/);
  t.like(await broken.json(), { status: 400, code: 'INVALID_JSON' });

  const large = await complete(
    JSON.stringify({ action: 'register', variables: { note: 'x'.repeat(3 * 1024 * 1024) } }),
  );
  t.is(large.status, 413);
  t.like(await large.json(), { status: 413, code: 'TOO_LARGE' });

  // Streamed without a length (chunked): refused as it passes the limit, and the 413 still reaches the client.
  const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
  let sent = 0;
  const streamed = await fetch(`${base}/api/tasks/${taskKey}/complete`, {
    method: 'POST',
    headers: { ...dispatcher, 'content-type': 'application/json' },
    body: new ReadableStream({
      pull(controller) {
        if (sent++ < 48) controller.enqueue(chunk);
        else controller.close();
      },
    }),
    duplex: 'half',
  } as RequestInit);
  t.is(streamed.status, 413);
  t.like(await streamed.json(), { status: 413, code: 'TOO_LARGE' });

  const plain = await complete(JSON.stringify({ action: 'register' }), 'text/plain');
  t.is(plain.status, 400);
  const problem = (await plain.json()) as { errors: { field: string }[] };
  t.true(
    problem.errors.some((e) => e.field === 'body.action'),
    JSON.stringify(problem),
  );

  const task = await fetch(`${base}/api/tasks/${taskKey}`, { headers: dispatcher });
  t.like(((await task.json()) as { task: unknown }).task, { state: 'CREATED', assignee: 'city.dispatcher' });
});

test('the session is required, the query is parsed as Express parsed it, and a big page goes out compressed', async (t) => {
  t.is((await fetch(`${base}/api/tasks`)).status, 401);
  const bad = await fetch(`${base}/api/tasks?page=0&page=2`, { headers: dispatcher });
  t.is(bad.status, 400);
  t.true(
    ((await bad.json()) as { errors: { field: string }[] }).errors.some((e) => e.field === 'query.page'),
  );

  // The raw bytes as they came (fetch would decode them).
  const { headers, raw } = await new Promise<{ headers: IncomingHttpHeaders; raw: Buffer }>(
    (resolve, reject) => {
      const req = request(
        `${base}/api/tasks?pageSize=200`,
        { headers: { ...dispatcher, 'accept-encoding': 'gzip' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, raw: Buffer.concat(chunks) }));
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
  t.is(headers['content-encoding'], 'gzip');
  t.is(headers.vary, 'Accept-Encoding');
  const page = JSON.parse(gunzipSync(raw).toString('utf8')) as { items: unknown[]; total: number };
  t.true(page.items.length >= 7, `${page.items.length} tasks`);
  t.is(page.total, page.items.length);

  const plain = await fetch(`${base}/api/tasks?pageSize=200`, {
    headers: { ...dispatcher, 'accept-encoding': 'identity' },
  });
  t.is(plain.headers.get('content-encoding'), null);
  t.is(((await plain.json()) as { total: number }).total, page.total);
});

test('a request the router does not take goes on to Express: another method, an unknown API path', async (t) => {
  const put = await fetch(`${base}/api/tasks/${taskKey}/complete`, { method: 'PUT', headers: dispatcher });
  t.is(put.status, 404);
  t.like(await put.json(), { code: 'NO_ROUTE' });
  t.is((await fetch(`${base}/api/auth/me`, { headers: dispatcher })).status, 200);
});

test('a client that hangs up halfway through its body completes nothing, and the server goes on answering', async (t) => {
  const body = JSON.stringify({ action: 'register', variables: { note: '半途断开' } });
  await new Promise<void>((resolve) => {
    const req = request(`${base}/api/tasks/${taskKey}/complete`, {
      method: 'POST',
      headers: { ...dispatcher, 'content-type': 'application/json', 'content-length': body.length + 100 },
    });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.write(body, () => setTimeout(() => req.destroy(), 50));
  });

  const task = await fetch(`${base}/api/tasks/${taskKey}`, { headers: dispatcher });
  t.is(task.status, 200);
  t.like(((await task.json()) as { task: unknown }).task, { state: 'CREATED', assignee: 'city.dispatcher' });
});
