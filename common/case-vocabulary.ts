/**
 * The case vocabulary every layer shares — the database, the server and the web app (which imports nothing
 * else from outside web/ except the response views in server/schemas/views.ts).
 */

/** Where a case came from (一个服务号码, 多渠道). */
export const CASE_SOURCES = [
  'grid_report',
  'hotline_12345',
  'police_110',
  'city_management',
  'video_alert',
  'web',
  'leader',
] as const;
/** One source. */
export type CaseSource = (typeof CASE_SOURCES)[number];
