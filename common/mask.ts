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
// Not inside a longer run of letters or digits: a sha256 or a key is not a phone number.
const MOBILE_IN_TEXT = /(?<![0-9A-Za-z])(1[3-9]\d)(\d{4})(\d{4})(?![0-9A-Za-z])/g;

/** A deep copy with phone fields masked and mobile numbers inside free text masked too. */
export function maskPersonalData<T>(value: T): T {
  return maskValue(value, '') as T;
}

/** A string as `maskPersonalData` leaves it, `key` being the name of the field that holds it ('' for none). */
export function maskString(value: string, key: string): string {
  if (key !== '' && PHONE_KEYS.test(key)) return maskPhone(value)!;
  return value.replace(MOBILE_IN_TEXT, '$1****$3');
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
