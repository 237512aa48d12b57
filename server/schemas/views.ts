/**
 * The API's response views: types only, no imports, so the web app imports them as they are (STYLE.md: the
 * shapes shared with the server live in one place). The services build them; the web reads them.
 */

/** A case as the API shows it: the reporter's phone masked. */
export interface CaseView {
  id: number;
  caseNo: string;
  source: string;
  sourceTicketId: string | null;
  reporterName: string | null;
  reporterPhone: string | null;
  description: string;
  address: string | null;
  lng: number | null;
  lat: number | null;
  gridId: number | null;
  villageId: number | null;
  townId: number | null;
  categoryId: number | null;
  categoryName: string | null;
  urgency: string;
  status: string;
  majorEmergency: boolean;
  processInstanceKey: string | null;
  duplicateOfId: number | null;
  handlingUnitId: number | null;
  satisfaction: string | null;
  acceptedAt: string | null;
  registeredAt: string | null;
  dispatchedAt: string | null;
  handledAt: string | null;
  verifiedAt: string | null;
  closedAt: string | null;
  handleDueAt: string | null;
}

/** One step of a case's timeline. */
export interface TimelineEntry {
  at: string;
  kind: 'case' | 'task';
  title: string;
  action: string | null;
  actor: string | null;
  state?: string;
}

/** One row of the inbox. */
export interface InboxItem {
  userTaskKey: string;
  name: string | null;
  elementId: string;
  caseId: number | null;
  caseNo: string | null;
  processInstanceKey: string;
  assignee: string | null;
  dueAt: string | null;
  createdAt: string;
  townId: number | null;
  categoryId: number | null;
  source: string | null;
  urgency: string | null;
  actions: string[];
}
