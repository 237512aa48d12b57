/**
 * Masks personal data for display and logs: mobile numbers keep their first 3 and last 4 digits
 * (`138****5678`), as Chinese public services show them. The full number stays in the database only.
 */
export function maskPhone(phone: string | null | undefined): string | null {
  if (phone == null || phone === '') return phone ?? null;
  const digits = phone.replace(/\s+/g, '');
  if (digits.length >= 7) return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
  return '*'.repeat(digits.length);
}

const PHONE_KEYS = /phone|mobile|tel/i;

/**
 * A mobile number in text, with +86 / 0086 / 86 in front or not, its groups run together or split 3-4-4.
 * Neither pattern matches inside a longer run of letters or digits, nor after a decimal point: a sha256, a
 * key or a fraction is not a phone number.
 */
const MOBILE_IN_TEXT =
  /(?<![0-9A-Za-z.])((?:\+|00)?86[- ]?)?(1[3-9]\d)([- ]?)\d{4}([- ]?)(\d{4})(?![0-9A-Za-z])/g;
/** A landline number in text: a 3- or 4-digit area code from 0 (in brackets or not), then 7 or 8 digits. */
const LANDLINE_IN_TEXT = /(?<![0-9A-Za-z.])(\(?0\d{2,3}\)?)([- ]?)\d{3,4}(\d{4})(?![0-9A-Za-z])/g;

/**
 * Matches the JSON text of every value in which `maskText` would change a string: the numbers' own
 * characters are never escaped in JSON, and the neighbours are checked more loosely here (any non-digit)
 * than in the text (a letter or a digit); `\u` catches a control character escaped just before a number.
 * Numbers outside strings may match too: they only cost a look at the value.
 */
export const MAY_HOLD_PHONE_NUMBER =
  /\\u|(?<!\d)(?:(?:\+|00)?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)|(?<!\d)\(?0\d{2,3}\)?[- ]?\d{7,8}(?!\d)/;

/** A deep copy with phone fields masked and phone numbers inside free text masked too. */
export function maskPersonalData<T>(value: T): T {
  return maskValue(value, '') as T;
}

/** A string as `maskPersonalData` leaves it, `key` being the name of the field that holds it ('' for none). */
export function maskString(value: string, key: string): string {
  if (key !== '' && PHONE_KEYS.test(key)) return maskPhone(value)!;
  return maskText(value);
}

/**
 * Free text with the phone numbers in it masked, as they are shown: a mobile keeps its first 3 and last 4
 * digits (`联系人 138****5678`, `138-****-5678`), a landline its area code and last 4 (`0514-****4321`).
 */
export function maskText(text: string): string {
  return text
    .replace(
      MOBILE_IN_TEXT,
      (_m, prefix: string | undefined, head: string, s1: string, s2: string, tail: string) =>
        `${prefix ?? ''}${head}${s1}****${s2}${tail}`,
    )
    .replace(LANDLINE_IN_TEXT, '$1$2****$3');
}

/** A `JSON.stringify` replacer that masks the phone numbers in every string (Express's `json replacer`). */
export const maskingReplacer = (_key: string, value: unknown): unknown =>
  typeof value === 'string' ? maskText(value) : value;

/**
 * What the API answers with: every string in `value` with the phone numbers in its text masked, keys and
 * non-strings as they are; the value itself when no string in it changes (`json` is its JSON text).
 */
export function maskTextIn<T>(value: T, json: string): T {
  return MAY_HOLD_PHONE_NUMBER.test(json) ? (maskTexts(value) as T) : value;
}

/** `value` with its strings masked: the same value, or array or object, where nothing in it changed. */
function maskTexts(value: unknown): unknown {
  if (typeof value === 'string') return maskText(value);
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = maskTexts(value[i]);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    let out: Record<string, unknown> | null = null;
    for (const [k, v] of Object.entries(value)) {
      const m = maskTexts(v);
      if (m !== v) (out ??= { ...value })[k] = m;
    }
    return out ?? value;
  }
  return value;
}

function maskValue(value: unknown, key: string): unknown {
  if (typeof value === 'string') return maskString(value, key);
  if (Array.isArray(value)) return value.map((v) => maskValue(v, key));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskValue(v, k);
    return out;
  }
  return value;
}
