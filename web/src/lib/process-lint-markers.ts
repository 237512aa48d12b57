// Pure: lint findings (of `POST /api/process-definitions/lint`, or of a refused deploy's 422 problem) turned
// into what the modeler draws: one marker and one badge per element, and the findings that belong to no
// element of the diagram (test/web/process-lint-markers.test.ts).

/** One lint finding (server/schemas/process.schema.ts LintFindingSchema). */
export interface LintFinding {
  resource: string;
  /** Empty when the finding is about the whole resource (e.g. XML that does not parse). */
  elementId: string;
  rule: string;
  message: string;
  category: 'error' | 'warn';
}

/** One entry of a refused deploy's problem `errors[]` (server/schemas/process.schema.ts DeployProblemErrorSchema). */
export interface DeployProblemError {
  /** `<resource>#<elementId>`, or just the resource. */
  field: string;
  /** `<message> (<rule>)`. */
  message: string;
  resource?: string;
  elementId?: string;
  rule?: string;
}

/** The findings on one element of the diagram, worst first. */
export interface ElementLint {
  elementId: string;
  severity: 'error' | 'warn';
  /** The marker class the element gets (web/src/components/process-diagram.css). */
  className: string;
  findings: LintFinding[];
}

/** The findings of a lint run as the modeler shows them. */
export interface LintMarkers {
  /** Elements with findings: those with errors first, then by element id. */
  elements: ElementLint[];
  /** Findings of the whole resource, or of an element the diagram does not draw. */
  general: LintFinding[];
}

/** The marker class per severity. */
export const LINT_MARKER_CLASS: Record<'error' | 'warn', string> = {
  error: 'gf-lint-error',
  warn: 'gf-lint-warn',
};

/**
 * The findings of a refused deploy (422): every entry is an error. The rule and element come from the
 * entry's own fields when the server sends them, else from `field` and the `(rule)` at the end of the message.
 */
export function findingsFromProblem(errors: readonly DeployProblemError[] | undefined): LintFinding[] {
  return (errors ?? []).map((e) => {
    const [resource, elementId = ''] = e.field.split('#');
    const tail = /^(.*) \(([^()]+)\)$/.exec(e.message);
    const rule = e.rule ?? tail?.[2] ?? 'unknown';
    const message = tail && tail[2] === rule ? tail[1] : e.message;
    return {
      resource: e.resource ?? resource,
      elementId: e.elementId ?? elementId,
      rule,
      message,
      category: 'error' as const,
    };
  });
}

/** True when a finding would refuse the deploy. */
export function hasLintErrors(findings: readonly LintFinding[]): boolean {
  return findings.some((f) => f.category === 'error');
}

/** How many errors and warnings there are. */
export function lintCounts(findings: readonly LintFinding[]): { errors: number; warnings: number } {
  const errors = findings.filter((f) => f.category === 'error').length;
  return { errors, warnings: findings.length - errors };
}

/** The findings for the list: errors before warnings, then by element, then by rule. */
export function sortFindings(findings: readonly LintFinding[]): LintFinding[] {
  const rank = (f: LintFinding): number => (f.category === 'error' ? 0 : 1);
  return [...findings].sort(
    (a, b) => rank(a) - rank(b) || a.elementId.localeCompare(b.elementId) || a.rule.localeCompare(b.rule),
  );
}

/**
 * Groups findings by the diagram element they are drawn on. `resolve` maps a finding's element id to the id
 * of the shape or connection that shows it (a timer definition → its event), or null when the diagram does
 * not draw it (the process itself, a message): those findings are `general`. An element with any error is
 * marked as an error, else as a warning.
 */
export function lintMarkers(
  findings: readonly LintFinding[],
  resolve: (elementId: string) => string | null,
): LintMarkers {
  const byElement = new Map<string, LintFinding[]>();
  const general: LintFinding[] = [];
  for (const f of sortFindings(findings)) {
    const target = f.elementId ? resolve(f.elementId) : null;
    if (!target) {
      general.push(f);
      continue;
    }
    const list = byElement.get(target) ?? [];
    list.push(f);
    byElement.set(target, list);
  }
  const elements = [...byElement].map(([elementId, list]): ElementLint => {
    const severity = hasLintErrors(list) ? 'error' : 'warn';
    return { elementId, severity, className: LINT_MARKER_CLASS[severity], findings: list };
  });
  return { elements, general };
}

/** What the badge on an element says: how many findings, e.g. `2`; with a `+` when warnings come on top of errors. */
export function badgeText(el: ElementLint): string {
  const { errors, warnings } = lintCounts(el.findings);
  if (el.severity === 'warn') return String(warnings);
  return warnings ? `${errors}+${warnings}` : String(errors);
}

/** A marker on an element. */
export interface Marker {
  elementId: string;
  className: string;
}

/**
 * The marker changes from one set of markers to the next: what to remove and what to add, so that the canvas
 * is updated without redrawing what stays.
 */
export function markerUpdates(
  previous: readonly Marker[],
  next: readonly Marker[],
): { remove: Marker[]; add: Marker[] } {
  const key = (m: Marker): string => `${m.elementId}\u0000${m.className}`;
  const before = new Set(previous.map(key));
  const after = new Set(next.map(key));
  return {
    remove: previous.filter((m) => !after.has(key(m))),
    add: next.filter((m) => !before.has(key(m))),
  };
}
