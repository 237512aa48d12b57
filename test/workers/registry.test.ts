import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { Sequelize } from 'sequelize';
import { systemClock } from '../../common/clock.ts';
import { silentLogger } from '../../common/logger.ts';
import type { Models } from '../../db/models/index.ts';
import { createWorkers } from '../../workers/index.ts';

const PROCESSES = path.join(import.meta.dirname, '..', '..', 'processes');

test('the job types of the shipped processes and the registered workers are the same set', (t) => {
  const inBpmn = new Set<string>();
  for (const file of readdirSync(PROCESSES).filter((f) => f.endsWith('.bpmn'))) {
    const xml = readFileSync(path.join(PROCESSES, file), 'utf8');
    for (const m of xml.matchAll(/<zeebe:taskDefinition[^>]*\stype="([^"]+)"/g)) inBpmn.add(m[1]);
  }
  const workers = createWorkers({
    sequelize: {} as Sequelize,
    models: {} as Models,
    clock: systemClock,
    log: silentLogger,
    settings: { duplicateRadiusM: 250, duplicateWindowHours: 72, bounceLimit: 2 },
  });
  t.deepEqual(workers.map((w) => w.type).sort(), [...inBpmn].sort());
  t.is(workers.length, inBpmn.size);
});
