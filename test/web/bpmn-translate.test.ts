import { readFileSync } from 'node:fs';
import test from 'ava';
import { bpmnTranslate } from '../../web/src/lib/bpmn-translate.ts';
import { bpmnZhCN } from '../../web/src/lib/bpmn-zh-cn.ts';

/** The source of an installed file, from the repository's node_modules. */
const installed = (file: string): string =>
  readFileSync(new URL(`../../node_modules/${file}`, import.meta.url), 'utf8');

/** The literal templates a bpmn-js source file passes to `translate(…)` (or `this._translate(…)`). */
function translatedTemplates(source: string): string[] {
  return [...source.matchAll(/translate\(\s*'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1].replace(/\\(.)/g, '$1'));
}

test('placeholders are filled in both languages, and an empty or missing one is left as it is', (t) => {
  t.is(bpmnTranslate('zh-CN', 'Open {element}', { element: '核查处置' }), '打开 核查处置');
  t.is(bpmnTranslate('en', 'Open {element}', { element: '核查处置' }), 'Open 核查处置');
  t.is(bpmnTranslate('zh-CN', '{eventType}: {type}', { eventType: 'Start', type: 'audit' }), 'Start：audit');
  t.is(bpmnTranslate('zh-CN', 'Open {element}'), '打开 {element}');
  t.is(bpmnTranslate('en', 'Open {element}', { element: '' }), 'Open {element}');
});

test('zh-CN shows the palette, the panel’s groups and its entries in Chinese; English keeps the templates', (t) => {
  t.is(bpmnTranslate('zh-CN', 'Create task'), '创建任务');
  t.is(bpmnTranslate('zh-CN', 'Task definition'), '任务定义');
  t.is(bpmnTranslate('zh-CN', 'Candidate groups'), '候选组');
  t.is(bpmnTranslate('zh-CN', 'Timer Boundary Event (Non Interrupting)'), '定时器边界事件（非中断）');
  t.is(bpmnTranslate('en', 'Create task'), 'Create task');
  t.is(bpmnTranslate('en', 'Task definition'), 'Task definition');
});

test('a template missing from the dictionary comes back in English, its placeholders filled', (t) => {
  t.is(bpmnTranslate('zh-CN', 'Append {type} somewhere new', { type: 'X' }), 'Append X somewhere new');
  // Names an object has without being in the dictionary are not entries.
  t.is(bpmnTranslate('zh-CN', 'constructor'), 'constructor');
  t.is(bpmnTranslate('zh-CN', 'toString'), 'toString');
});

test('every palette, context pad and replace menu template of the installed bpmn-js has a Chinese entry', (t) => {
  // given the templates of the palette and context pad providers, and the replace menu's labels
  const palette = translatedTemplates(installed('bpmn-js/lib/features/palette/PaletteProvider.js'));
  const contextPad = translatedTemplates(installed('bpmn-js/lib/features/context-pad/ContextPadProvider.js'));
  const replace = [
    ...installed('bpmn-js/lib/features/popup-menu/PopupEntries.js').matchAll(/\blabel:\s*'([^']+)'/g),
    ...installed('bpmn-js/lib/features/replace/ReplaceOptions.js').matchAll(
      /^\s*[^/\s].*\blabel:\s*'([^']+)'/gm,
    ),
  ].map((m) => m[1]);
  // (a change in how bpmn-js writes them must not make this pass with nothing to check)
  t.true(palette.length >= 10, `palette: ${palette.join(', ')}`);
  t.true(contextPad.length >= 15, `context pad: ${contextPad.join(', ')}`);
  t.true(replace.length >= 60, `replace menu: ${replace.length}`);

  // when each is looked up, then none is missing
  const missing = [...new Set([...palette, ...contextPad, ...replace])].filter(
    (s) => !Object.hasOwn(bpmnZhCN, s),
  );
  t.deepEqual(missing, []);
});

test('every entry is non-empty and keeps its template’s placeholders', (t) => {
  for (const [template, zh] of Object.entries(bpmnZhCN)) {
    t.true(zh.trim().length > 0, template);
    const placeholders = (s: string) => [...s.matchAll(/{([^}]+)}/g)].map((m) => m[1]).sort();
    t.deepEqual(placeholders(zh), placeholders(template), template);
  }
});
