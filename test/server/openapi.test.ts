import test from 'ava';
import type { Express } from 'express';
import { silentLogger } from '../../common/logger.ts';
import { createApp } from '../../server/app.ts';
import { OPERATIONS } from '../../server/http/openapi.ts';
import { type CaseWorld, createCaseWorld } from '../helpers/case-world.ts';
import { api } from '../helpers/http.ts';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every method + path the Express app routes, read from its routers. */
function routesOf(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]): void => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') out.push(`${method} ${layer.route.path}`);
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  // The routes on the API router (ADR 0006), which answers before Express.
  out.push(...(app.locals.apiRoutes as string[]));
  return out.filter((r) => r.split(' ')[1].startsWith('/api/')).sort();
}

let w: CaseWorld;
test.before(async () => {
  w = await createCaseWorld();
});
test.after.always(() => w?.close());

test('the OpenAPI document lists exactly the routes the app serves', (t) => {
  const app = createApp({
    ...w.deps,
    log: silentLogger,
    dataDir: w.db.dataDir,
    info: { engine: 'embedded', database: 'test' },
  });
  const documented = OPERATIONS.map((o) => `${o.method} ${o.path}`).sort();
  t.deepEqual(documented, routesOf(app));
  t.is(new Set(documented).size, documented.length, 'no operation documented twice');
});

test('GET /api/openapi.json serves an OpenAPI 3.1 document built from the request schemas', async (t) => {
  const res = await api<{
    openapi: string;
    paths: Record<
      string,
      Record<
        string,
        {
          requestBody?: {
            content: Record<string, { schema: { required?: string[]; properties: Record<string, unknown> } }>;
          };
          parameters?: { name: string; in: string }[];
          responses: Record<string, unknown>;
        }
      >
    >;
  }>(w, {}, 'GET', '/api/openapi.json');
  t.is(res.status, 200);
  t.is(res.body.openapi, '3.1.0');
  const intake = res.body.paths['/api/cases'].post.requestBody!.content['application/json'].schema;
  t.true(intake.required?.includes('description'));
  t.truthy(intake.properties.reporterPhone);
  const inbox = res.body.paths['/api/tasks'].get.parameters!.map((p) => p.name);
  t.true(inbox.includes('overdue') && inbox.includes('dueWithinHours'));
  t.truthy(res.body.paths['/api/tasks/{key}/complete'].post.responses['409']);
});

test('every $ref in the document resolves and every operation has a unique operationId', async (t) => {
  const res = await api<Record<string, unknown>>(w, {}, 'GET', '/api/openapi.json');
  const doc = res.body;
  const refs: string[] = [];
  const ids: string[] = [];
  const walk = (v: unknown, key = ''): void => {
    if (Array.isArray(v)) v.forEach((x) => walk(x));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    else if (key === '$ref' && typeof v === 'string') refs.push(v);
    else if (key === 'operationId' && typeof v === 'string') ids.push(v);
  };
  walk(doc);
  t.true(refs.length > 1, 'the tree endpoint’s recursive schema is referenced');
  for (const ref of refs) {
    const target = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], doc);
    t.truthy(target, `unresolved ${ref}`);
  }
  t.is(ids.length, OPERATIONS.length);
  t.is(new Set(ids).size, ids.length);
});
