// <ProcessEditor>: the bpmn-js Modeler with the Zeebe properties panel, live lint and deploy. Loaded lazily (it
// is most of the 流程管理 page's weight): the app's first page never downloads it.
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import './process-diagram.css';
import {
  CheckCircleOutlined,
  CloseCircleOutlined,
  CloudUploadOutlined,
  DownloadOutlined,
  LoadingOutlined,
  WarningOutlined,
} from '@ant-design/icons';
import { Alert, App, Button, Popconfirm, Space, Tag, Tooltip, Typography } from 'antd';
import type Modeler from 'bpmn-js/lib/Modeler';
import type Canvas from 'diagram-js/lib/core/Canvas';
import type ElementRegistry from 'diagram-js/lib/core/ElementRegistry';
import type Overlays from 'diagram-js/lib/features/overlays/Overlays';
import type Selection from 'diagram-js/lib/features/selection/Selection';
import { type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useBlocker } from 'react-router';
import { ApiError, errorText } from '../api/client.ts';
import { useI18n } from '../i18n/i18n.tsx';
import type { Locale } from '../i18n/translate.ts';
import { bpmnTranslate } from '../lib/bpmn-translate.ts';
import {
  type DeployProblemError,
  type ElementLint,
  type LintFinding,
  type Marker,
  badgeText,
  findingsFromProblem,
  hasLintErrors,
  lintCounts,
  lintMarkers,
} from '../lib/process-lint-markers.ts';
import { type Deployment, deployXml, downloadXml, lintXml } from './process-api.ts';
import {
  MODDLE_EXTENSIONS,
  applyMarkers,
  centerOn,
  drawnElementId,
  initialView,
  warningText,
} from './process-canvas.ts';

/** Room the modeler's palette takes on the left of the canvas (px). */
const PALETTE_WIDTH = 110;

/** How long the editor waits after the last change before it lints (ms). */
const LINT_DELAY_MS = 600;

/** Where the lint of the current diagram stands. */
type LintState = 'pending' | 'running' | 'done' | 'failed';

/**
 * The modeler, the properties panel and the Camunda 8 behaviours: fetched in parallel, as chunks of their own,
 * so that no single file of the page is over a megabyte.
 */
async function loadModeler() {
  const [{ default: Modeler }, panel, { default: behaviors }] = await Promise.all([
    import('bpmn-js/lib/Modeler'),
    import('bpmn-js-properties-panel'),
    import('camunda-bpmn-js-behaviors/lib/camunda-cloud'),
  ]);
  return { Modeler, panel, behaviors };
}

/**
 * The modeler's `translate` service in `locale`: palette, context pad, replace menu and properties panel all
 * ask it for their texts when they draw.
 */
function translateModule(locale: Locale) {
  const translate = (template: string, replacements?: Record<string, string>): string =>
    bpmnTranslate(locale, template, replacements);
  return { translate: ['value', translate] };
}

/** Undeployed edits carried over when a language switch rebuilds the modeler. */
interface Carried {
  /** The `xml` prop they were made on (a newer version drops them). */
  base: string;
  /** The edited XML, or null when there were no edits. */
  xml: string | null;
  /** The element that was selected. */
  selected: string | null;
}

/** What the editor is told. */
export interface ProcessEditorProps {
  /** The version's XML, as deployed. */
  xml: string;
  /** The resource name lint and deploy store the XML under (`case-lifecycle.bpmn`). */
  resourceName: string;
  /** The file name of the XML download. */
  fileName: (draft: boolean) => string;
  /** An element to select and centre on once the diagram is drawn. */
  focus?: string | null;
  /** What the toolbar shows on the left (back, title, version). */
  toolbar?: ReactNode;
  /** After a deploy the server accepted (a new version, or `created: false` for identical content). */
  onDeployed: (deployment: Deployment) => void;
}

const SEVERITY_ICON = {
  error: <CloseCircleOutlined style={{ color: '#d9363e' }} />,
  warn: <WarningOutlined style={{ color: '#e8a100' }} />,
};

/** The modeler, its properties panel, the lint findings (list and markers) and the deploy button. */
export default function ProcessEditor({
  xml,
  resourceName,
  fileName,
  focus,
  toolbar,
  onDeployed,
}: ProcessEditorProps) {
  const { t, locale } = useI18n();
  // bpmn-js translates as it draws, so the modeler is built in one language; a switch rebuilds it (below).
  const [modelerLocale, setModelerLocale] = useState<Locale>(locale);
  const carried = useRef<Carried | null>(null);
  // True once the current modeler's import has ended (before that, it has nothing of the user's to carry).
  const ready = useRef(false);
  const { message, modal } = App.useApp();
  const canvasRef = useRef<HTMLDivElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);
  const modelerRef = useRef<Modeler | null>(null);
  // Edits since the import; a lint answer counts only for the revision it was asked for.
  const revision = useRef(0);
  const lintTimer = useRef<number | undefined>(undefined);
  const lintAbort = useRef<AbortController | null>(null);
  const appliedMarkers = useRef<Marker[]>([]);
  const [imported, setImported] = useState(0);
  const [importError, setImportError] = useState<string | null>(null);
  const [warnings, setWarnings] = useState<string[]>([]);
  const [findings, setFindings] = useState<LintFinding[]>([]);
  const [lintState, setLintState] = useState<LintState>('pending');
  const [lintError, setLintError] = useState<string | null>(null);
  const [dirty, setDirty] = useState(false);
  const dirtyRef = useRef(false);
  /** Set when a deploy succeeded: the page then moves to the new version without asking. */
  const deployed = useRef(false);
  const [deploying, setDeploying] = useState(false);

  const lint = useCallback(async (): Promise<void> => {
    const modeler = modelerRef.current;
    if (!modeler) return;
    const asked = revision.current;
    lintAbort.current?.abort();
    const abort = new AbortController();
    lintAbort.current = abort;
    setLintState('running');
    try {
      const { xml: current = '' } = await modeler.saveXML({ format: true });
      const result = await lintXml(current, resourceName, abort.signal);
      if (abort.signal.aborted || asked !== revision.current) return;
      setFindings(result);
      setLintError(null);
      setLintState('done');
    } catch (err) {
      if (abort.signal.aborted || asked !== revision.current) return;
      setLintError(errorText(err));
      setLintState('failed');
    }
  }, [resourceName]);
  const lintRef = useRef(lint);
  useEffect(() => {
    lintRef.current = lint;
  }, [lint]);

  // A language switch rebuilds the modeler in the new language, with the undeployed edits and the selection
  // carried over (the undo history is not).
  useEffect(() => {
    if (locale === modelerLocale) return;
    let cancelled = false;
    const carry = async (): Promise<void> => {
      const modeler = modelerRef.current;
      if (modeler && ready.current) {
        const edited = dirty ? ((await modeler.saveXML({ format: true })).xml ?? null) : null;
        const selected = modeler.get<Selection>('selection').get()[0]?.id ?? null;
        if (cancelled) return;
        carried.current = { base: xml, xml: edited, selected };
      }
      setModelerLocale(locale);
    };
    // If the edits cannot be saved, the modeler stays in the old language rather than lose them.
    carry().catch(() => {});
    return () => {
      cancelled = true;
    };
  }, [locale, modelerLocale, dirty, xml]);

  // One modeler per XML and language. StrictMode mounts twice: the first modeler is destroyed before its import
  // ends (and both runs read the same carried edits).
  useEffect(() => {
    let destroyed = false;
    let created: Modeler | null = null;
    const carry = carried.current?.base === xml ? carried.current : null;
    if (!carry) carried.current = null;
    ready.current = false;
    appliedMarkers.current = [];
    revision.current = 0;
    deployed.current = false;
    setDirty(false);
    setFindings([]);
    setLintState('pending');
    setImportError(null);
    const start = async (): Promise<void> => {
      const { Modeler: ModelerClass, panel, behaviors } = await loadModeler();
      if (destroyed) return;
      const modeler = new ModelerClass({
        container: canvasRef.current!,
        propertiesPanel: { parent: panelRef.current!, tooltip: panel.ZeebeTooltipProvider },
        additionalModules: [
          panel.BpmnPropertiesPanelModule,
          panel.BpmnPropertiesProviderModule,
          panel.ZeebePropertiesProviderModule,
          behaviors,
          translateModule(modelerLocale),
        ],
        moddleExtensions: MODDLE_EXTENSIONS,
      });
      created = modeler;
      modelerRef.current = modeler;
      modeler.on('commandStack.changed', (e: { trigger?: string | null }) => {
        // The import clears the command stack, which is not an edit.
        if (destroyed || e.trigger === 'clear') return;
        revision.current += 1;
        setDirty(true);
        setLintState('pending');
        window.clearTimeout(lintTimer.current);
        lintTimer.current = window.setTimeout(() => void lintRef.current(), LINT_DELAY_MS);
      });
      const { warnings: w } = await modeler.importXML(carry?.xml ?? xml);
      if (destroyed) return;
      ready.current = true;
      if (carry?.xml != null) setDirty(true);
      setWarnings(w.map(warningText));
      const canvas = modeler.get<Canvas>('canvas');
      initialView(canvas, PALETTE_WIDTH);
      setImported((n) => n + 1);
      void lintRef.current();
      // The properties panel follows a selection made once it listens: its (preact) effects run a frame and a
      // tick after the import drew it, so the selection waits for the frame and then the tick.
      const target = carry ? carry.selected : focus;
      window.requestAnimationFrame(() =>
        window.setTimeout(() => {
          if (destroyed || !target) return;
          const registry = modeler.get<ElementRegistry>('elementRegistry');
          const el = registry.get(target);
          if (!el) return;
          modeler.get<Selection>('selection').select(el);
          centerOn(canvas, target, registry);
        }, 0),
      );
    };
    start().catch((err: unknown) => {
      if (!destroyed) setImportError(err instanceof Error ? err.message : String(err));
    });
    return () => {
      destroyed = true;
      window.clearTimeout(lintTimer.current);
      lintAbort.current?.abort();
      created?.destroy();
      if (modelerRef.current === created) modelerRef.current = null;
    };
    // `focus` is read once per import on purpose: changing it later must not rebuild the modeler.
  }, [xml, modelerLocale]);

  // Leaving the page (reload, closing the tab) with undeployed edits asks first.
  useEffect(() => {
    if (!dirty) return;
    const ask = (e: BeforeUnloadEvent): void => e.preventDefault();
    window.addEventListener('beforeunload', ask);
    return () => window.removeEventListener('beforeunload', ask);
  }, [dirty]);

  // So does leaving it inside the app (the menu, another version, back), except to the version just deployed.
  dirtyRef.current = dirty;
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) =>
      dirtyRef.current &&
      !deployed.current &&
      (currentLocation.pathname !== nextLocation.pathname || currentLocation.search !== nextLocation.search),
  );
  useEffect(() => {
    if (blocker.state !== 'blocked') return;
    modal.confirm({
      title: t('processes.leaveTitle'),
      content: t('processes.leaveBody'),
      okText: t('processes.leave'),
      okButtonProps: { danger: true, 'data-testid': 'leave-confirm' },
      cancelText: t('processes.stay'),
      cancelButtonProps: { 'data-testid': 'leave-cancel' },
      onOk: () => blocker.proceed(),
      onCancel: () => blocker.reset(),
    });
  }, [blocker, modal, t]);

  /** Selects an element and brings it into view (a finding clicked in the list or on its badge). */
  const select = useCallback((elementId: string): void => {
    const modeler = modelerRef.current;
    if (!modeler) return;
    const registry = modeler.get<ElementRegistry>('elementRegistry');
    const el = registry.get(elementId);
    if (!el) return;
    modeler.get<Selection>('selection').select(el);
    centerOn(modeler.get<Canvas>('canvas'), elementId, registry);
  }, []);

  const markers = useMemo(() => {
    const modeler = modelerRef.current;
    if (!modeler || !imported) return { elements: [] as ElementLint[], general: findings };
    const registry = modeler.get<ElementRegistry>('elementRegistry');
    const canvas = modeler.get<Canvas>('canvas');
    return lintMarkers(findings, (id) => drawnElementId(registry, canvas, id));
  }, [findings, imported]);

  // Findings on the diagram: a marker (red or amber outline) and a badge with the count on each element.
  useEffect(() => {
    const modeler = modelerRef.current;
    if (!modeler || !imported) return;
    const canvas = modeler.get<Canvas>('canvas');
    const registry = modeler.get<ElementRegistry>('elementRegistry');
    const overlays = modeler.get<Overlays>('overlays');
    appliedMarkers.current = applyMarkers(
      canvas,
      registry,
      appliedMarkers.current,
      markers.elements.map((e) => ({ elementId: e.elementId, className: e.className })),
    );
    overlays.remove({ type: 'gf-lint' });
    for (const e of markers.elements) {
      if (!registry.get(e.elementId)) continue;
      const badge = document.createElement('div');
      badge.className = `gf-lint-badge gf-lint-badge-${e.severity}`;
      badge.textContent = badgeText(e);
      badge.title = e.findings.map((f) => `${f.message} (${f.rule})`).join('\n');
      badge.dataset.elementId = e.elementId;
      badge.addEventListener('click', () => select(e.elementId));
      overlays.add(e.elementId, 'gf-lint', { position: { top: -9, right: 9 }, html: badge });
    }
  }, [markers, imported, select]);

  const saveXml = async (): Promise<string> => {
    const modeler = modelerRef.current;
    if (!modeler) throw new Error('no diagram');
    return (await modeler.saveXML({ format: true })).xml ?? '';
  };

  const deploy = async (): Promise<void> => {
    const asked = revision.current;
    setDeploying(true);
    try {
      const deployment = await deployXml(await saveXml(), resourceName);
      deployed.current = true;
      onDeployed(deployment);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        const refused = findingsFromProblem(err.problem.errors as DeployProblemError[] | undefined);
        if (refused.length && asked === revision.current) {
          setFindings(refused);
          setLintState('done');
        }
        void message.error(t('processes.deployRefused', { n: refused.length }));
      } else {
        void message.error(errorText(err));
      }
    } finally {
      setDeploying(false);
    }
  };

  const download = async (): Promise<void> => {
    try {
      downloadXml(await saveXml(), fileName(dirty));
    } catch (err) {
      void message.error(errorText(err));
    }
  };

  const counts = lintCounts(findings);
  const blocked = hasLintErrors(findings) && lintState === 'done';
  const listed = [...markers.general, ...markers.elements.flatMap((e) => e.findings)];
  const elementName = (id: string): string => {
    const bo = modelerRef.current?.get<ElementRegistry>('elementRegistry').get(id)?.businessObject as
      { name?: string } | undefined;
    return bo?.name ? `${bo.name} (${id})` : id;
  };

  /** The drawn element a finding's element belongs to (itself, or the event owning a timer definition). */
  function drawnId(id: string): string {
    const modeler = modelerRef.current;
    if (!modeler) return id;
    return (
      drawnElementId(modeler.get<ElementRegistry>('elementRegistry'), modeler.get<Canvas>('canvas'), id) ?? id
    );
  }

  let status: ReactNode;
  if (lintState === 'pending' || lintState === 'running')
    status = (
      <Tag icon={<LoadingOutlined />} color="processing">
        {t('processes.lint.running')}
      </Tag>
    );
  else if (lintState === 'failed')
    status = (
      <Tooltip title={lintError}>
        <Tag color="default">{t('processes.lint.failed')}</Tag>
      </Tooltip>
    );
  else if (counts.errors)
    status = (
      <Tag icon={<CloseCircleOutlined />} color="error">
        {t('processes.lint.errors', { n: counts.errors })}
        {counts.warnings ? ` · ${t('processes.lint.warnings', { n: counts.warnings })}` : ''}
      </Tag>
    );
  else if (counts.warnings)
    status = (
      <Tag icon={<WarningOutlined />} color="warning">
        {t('processes.lint.warnings', { n: counts.warnings })}
      </Tag>
    );
  else
    status = (
      <Tag icon={<CheckCircleOutlined />} color="success">
        {t('processes.lint.ok')}
      </Tag>
    );

  return (
    <div style={{ display: 'flex', flexDirection: 'column', height: '100%', minHeight: 0 }}>
      <div
        style={{
          display: 'flex',
          alignItems: 'center',
          justifyContent: 'space-between',
          gap: 8,
          padding: '6px 8px',
          background: '#fff',
          borderBottom: '1px solid #e8ebf0',
          flexWrap: 'wrap',
        }}
      >
        <Space size={8} wrap>
          {toolbar}
          {dirty && <Tag color="gold">{t('processes.unsaved')}</Tag>}
        </Space>
        <Space size={8}>
          <span
            data-testid="lint-status"
            data-state={lintState === 'done' ? (counts.errors ? 'error' : 'ok') : lintState}
          >
            {status}
          </span>
          <Button
            size="small"
            icon={<DownloadOutlined />}
            onClick={() => void download()}
            data-testid="download-xml"
          >
            {t('processes.download')}
          </Button>
          <Popconfirm
            title={t('processes.deployConfirm')}
            description={t('processes.deployConfirmHint')}
            okText={t('processes.deploy')}
            cancelText={t('common.cancel')}
            onConfirm={() => void deploy()}
            disabled={blocked || !imported}
          >
            <Tooltip title={blocked ? t('processes.deployBlocked') : undefined}>
              <Button
                size="small"
                type="primary"
                icon={<CloudUploadOutlined />}
                loading={deploying}
                disabled={blocked || !imported}
                data-testid="deploy"
              >
                {t('processes.deploy')}
              </Button>
            </Tooltip>
          </Popconfirm>
        </Space>
      </div>
      {importError && (
        <Alert type="error" showIcon banner message={t('processes.importFailed')} description={importError} />
      )}
      {warnings.length > 0 && (
        <Alert
          type="warning"
          showIcon
          banner
          closable
          message={t('processes.importWarnings', { n: warnings.length })}
          description={warnings.join('; ')}
        />
      )}
      <div style={{ flex: 1, display: 'flex', minHeight: 0 }}>
        <div style={{ flex: 1, position: 'relative', minWidth: 0 }}>
          <div className="gf-bpmn-host" ref={canvasRef} data-testid="modeler" data-imported={imported > 0} />
        </div>
        <div className="gf-properties" ref={panelRef} data-testid="properties-panel" />
      </div>
      <div
        style={{ maxHeight: 132, overflow: 'auto', background: '#fff', borderTop: '1px solid #e8ebf0' }}
        data-testid="lint-findings"
      >
        {listed.length === 0 ? (
          <Typography.Text type="secondary" style={{ display: 'block', padding: '4px 8px', fontSize: 12 }}>
            {lintState === 'done' ? t('processes.lint.none') : t('processes.lint.hint')}
          </Typography.Text>
        ) : (
          listed.map((f, i) => (
            <div
              key={`${f.elementId}-${f.rule}-${i}`}
              className="gf-finding"
              data-testid="lint-finding"
              data-element-id={f.elementId}
              data-category={f.category}
              onClick={() => f.elementId && select(drawnId(f.elementId))}
            >
              {SEVERITY_ICON[f.category]}
              <Typography.Text strong style={{ fontSize: 12, flex: 'none' }}>
                {f.elementId ? elementName(drawnId(f.elementId)) : t('processes.lint.wholeFile')}
              </Typography.Text>
              <span style={{ flex: 1 }}>{f.message}</span>
              <Typography.Text type="secondary" style={{ fontSize: 11, flex: 'none' }}>
                {f.rule}
              </Typography.Text>
            </div>
          ))
        )}
      </div>
    </div>
  );
}
