// Pure: the `translate` service of bpmn-js, diagram-js and the properties panel in the UI's language
// (test/web/bpmn-translate.test.ts). <ProcessEditor> registers it in the Modeler as `{ translate: ['value', …] }`.
import type { Locale } from '../i18n/translate.ts';
import { bpmnZhCN } from './bpmn-zh-cn.ts';

/**
 * `template` in `locale` with its `{placeholders}` filled from `replacements`: the zh-CN text when the dictionary
 * has one, else the English template. Placeholders are filled as diagram-js's default translate fills them (an
 * empty or missing replacement leaves `{name}` as it is).
 */
export function bpmnTranslate(
  locale: Locale,
  template: string,
  replacements: Record<string, string | number | undefined> = {},
): string {
  const text = locale === 'zh-CN' && Object.hasOwn(bpmnZhCN, template) ? bpmnZhCN[template] : template;
  return text.replace(/{([^}]+)}/g, (_, key: string) => String(replacements[key] || `{${key}}`));
}
