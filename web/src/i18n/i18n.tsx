import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { type Locale, type MessageParams, isLocale, labelOf, translate } from './translate.ts';
import type { MessageKey } from './zh-CN.ts';

const STORAGE_KEY = 'gf.locale';

/** What components get from useI18n(). */
export interface I18n {
  locale: Locale;
  setLocale(locale: Locale): void;
  t(key: MessageKey, params?: MessageParams): string;
  /** A label from a key family: `label('status', 'closed')` → 已办结. */
  label(prefix: string, value: string | null | undefined): string;
}

const I18nContext = createContext<I18n | null>(null);

function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (isLocale(saved)) return saved;
  } catch {
    // Storage may be off (private mode): the default then.
  }
  return 'zh-CN';
}

/** Provides the UI language (zh-CN by default; the choice is kept in localStorage). */
export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((l: Locale) => {
    setLocaleState(l);
    try {
      localStorage.setItem(STORAGE_KEY, l);
    } catch {
      // Not kept, but switched for this page.
    }
    document.documentElement.lang = l;
  }, []);
  const value = useMemo<I18n>(
    () => ({
      locale,
      setLocale,
      t: (key, params) => translate(locale, key, params),
      label: (prefix, v) => labelOf(locale, prefix, v),
    }),
    [locale, setLocale],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

/** The UI language and its messages. */
export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}
