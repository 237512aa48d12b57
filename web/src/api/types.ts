// The API's response shapes as the web app reads them. The case, timeline and inbox views come from the
// server's own declarations (server/schemas/views.ts: types only); the rest mirror the server's zod schemas,
// which import server-only modules.
import type { CaseView, InboxItem, TimelineEntry } from '../../../server/schemas/views.ts';
import type { ReplayEvent } from '../lib/replay.ts';

export type { CaseView, InboxItem, TimelineEntry };

/** The signed-in user (`GET /api/auth/me`). */
export interface User {
  userId: number;
  username: string;
  displayName: string;
  orgUnit: { id: number; name: string; level: string; kind: string; parentId: number | null };
  roles: string[];
  gridIds: number[];
  groups: string[];
}

/** A page of rows and the total. */
export interface Page<T> {
  items: T[];
  /** The number of matches; the case search stops counting at 10 000, the inbox at 1 000 (then `totalCapped`). */
  total: number;
  totalCapped?: boolean;
}

/** `GET /api/tasks/:key`: the engine's user task, its form (form-js JSON) and the data to fill it. */
export interface TaskDetail {
  task: {
    userTaskKey: string;
    name?: string | null;
    elementId: string;
    processInstanceKey: string;
    state: string;
    assignee?: string | null;
    candidateGroups: string[];
    dueDate?: string | null;
    creationDate: string;
    completionDate?: string | null;
    completedBy?: string | null;
    formKey?: string | null;
    actions: string[];
  };
  form: unknown;
  data: Record<string, unknown>;
}

/** `GET /api/cases/:id` (and `POST /api/cases`, with `created`). */
export interface CaseDetail {
  case: CaseView;
  timeline: TimelineEntry[];
  created?: boolean;
}

/** An attachment (`GET /api/cases/:id/attachments`). */
export interface Attachment {
  id: number;
  caseId: number;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  createdAt: string;
  url: string;
  created?: boolean;
}

/** An org unit (`GET /api/org-units`). */
export interface OrgUnit {
  id: number;
  code: string;
  name: string;
  level: 'city' | 'town' | 'village';
  kind: 'centre' | 'station' | 'department' | 'joint_team';
  parentId: number | null;
  sortOrder: number;
  active: boolean;
}

/** A category, 大类 (major) or 小类 (minor) (`GET /api/categories`). */
export interface Category {
  id: number;
  code: string;
  name: string;
  level: 'major' | 'minor';
  parentCode: string | null;
  urgency: string;
  active: boolean;
}

/** A grid (`GET /api/grids`, a GeoJSON Feature). */
export interface GridFeature {
  type: 'Feature';
  id: number;
  geometry: { type: 'MultiPolygon'; coordinates: number[][][][] };
  properties: { id: number; code: string; name: string; villageId: number; townId: number | null };
}

/** Where a point lies (`GET /api/grids/locate`). */
export interface GridLocation {
  grid: { id: number; code: string; name: string } | null;
  village: { id: number; code: string; name: string } | null;
  town: { id: number; code: string; name: string } | null;
}

/** RFC 9457 problem JSON, as every API error carries it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
  errors?: { field: string; message: string }[];
}

/** A process instance (engine/port.ts ProcessInstance). */
export interface ProcessInstanceView {
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  version: number;
  state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED';
  startDate: string;
  endDate?: string;
  hasIncident: boolean;
}

/** `GET /api/cases/:id/history` (server/http/routes/case.routes.ts): the instance and its history events
 * (engine/port.ts HistoryEvent, typed as the replay reads them). */
export interface CaseHistory {
  processInstance: ProcessInstanceView | null;
  events: ReplayEvent[];
}

/** `GET /api/cases/:id/audit` (server/http/routes/case.routes.ts CaseAuditSchema): the case's audit chain. */
export interface CaseAudit {
  verification: {
    ok: boolean;
    records: number;
    chains: number;
    broken?: { seq: number; chain: string; chainSeq: number; reason: string };
  };
  records: {
    chainSeq: number;
    at: string;
    actor: string;
    action: string;
    entityType: string;
    entityId: string | null;
    hash: string;
    /** An engine record's events: every event of one command on the instance, in order (ADR 0007). */
    events?: { intent: string; elementId: string | null; elementType: string | null; name?: string }[];
  }[];
  truncated: boolean;
}
