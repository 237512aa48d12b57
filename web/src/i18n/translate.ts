// Pure: message lookup and interpolation (test/web/i18n.test.ts), shared by the React provider.
import { en } from './en.ts';
import { type MessageKey, zhCN } from './zh-CN.ts';

/** The languages of the UI; zh-CN is the default. */
export const LOCALES = ['zh-CN', 'en'] as const;
/** One UI language. */
export type Locale = (typeof LOCALES)[number];

const DICTIONARIES: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };

/** Message parameters: `{name}` in a message is replaced by `params.name`. */
export type MessageParams = Record<string, string | number>;

/** The message `key` in `locale`, with its `{param}`s filled in; an unknown key is returned as itself. */
export function translate(locale: Locale, key: MessageKey, params?: MessageParams): string {
  const text: string = DICTIONARIES[locale][key] ?? zhCN[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** A label from a family of keys (`status.closed`), or the raw value when the dictionary lacks it. */
export function labelOf(locale: Locale, prefix: string, value: string | null | undefined): string {
  if (value == null || value === '') return '';
  const key = `${prefix}.${value}` as MessageKey;
  return key in zhCN ? translate(locale, key) : value;
}

/** True for a string that names a locale. */
export function isLocale(v: unknown): v is Locale {
  return LOCALES.some((l) => l === v);
}
