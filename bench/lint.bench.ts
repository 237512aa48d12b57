// Deploy-time lint speed: how long bpmnlint (Camunda 8.8 rules + the engine's own) takes on a diagram of more
// than 50 elements, cold and warm. Prints figures; the modeler lints as the administrator edits, so the warm
// figure should stay well under 200 ms. Run: node --import=tsx bench/lint.bench.ts
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readBpmn } from '../engine/deploy/read-bpmn.ts';
import { lintDefinitions } from '../engine/deploy/lint.ts';

const file = path.join(import.meta.dirname, '..', 'test', 'engine', 'lint', 'supported-elements.bpmn');
const { definitions } = await readBpmn(await readFile(file, 'utf8'));
const time = async (): Promise<number> => {
  const started = performance.now();
  await lintDefinitions(definitions);
  return performance.now() - started;
};
const cold = await time();
const warm: number[] = [];
for (let run = 0; run < 20; run++) warm.push(await time());
warm.sort((a, b) => a - b);
console.log(
  `lint of ${path.basename(file)}: cold ${cold.toFixed(1)} ms, warm median ${warm[10].toFixed(1)} ms, fastest ${warm[0].toFixed(1)} ms (target: warm well under 200 ms)`,
);
