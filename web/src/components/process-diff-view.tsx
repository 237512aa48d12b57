// Two versions of a process side by side, coloured by what changed (bpmn-js-differ merged with the Zeebe
// properties of web/src/lib/process-diff.ts), and the table of changes. Loaded lazily with bpmn-js.
import { Checkbox, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { diff } from 'bpmn-js-differ';
import type Canvas from 'diagram-js/lib/core/Canvas';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useI18n } from '../i18n/i18n.tsx';
import type { MessageKey } from '../i18n/zh-CN.ts';
import {
  CHANGE_KINDS,
  type ChangeKind,
  type ElementChange,
  type ModdleNode,
  diffCounts,
  diffMarkers,
  diffProcesses,
} from '../lib/process-diff.ts';
import ProcessDiagram from './process-diagram.tsx';

/** The colour of each change kind: the same as the markers (process-diagram.css). */
export const CHANGE_COLORS: Record<ChangeKind, string> = {
  added: '#2f9e44',
  removed: '#d9363e',
  changed: '#e8590c',
  'layout-changed': '#1c7ed6',
};

/** Execution properties with a name of their own in the change table. */
const PROPERTY_LABELS: Record<string, MessageKey> = {
  name: 'processes.prop.name',
  'zeebe:taskDefinition.type': 'processes.prop.taskType',
  'zeebe:taskDefinition.retries': 'processes.prop.retries',
  'zeebe:assignmentDefinition.candidateGroups': 'processes.prop.candidateGroups',
  'zeebe:assignmentDefinition.candidateUsers': 'processes.prop.candidateUsers',
  'zeebe:assignmentDefinition.assignee': 'processes.prop.assignee',
  'zeebe:formDefinition.formId': 'processes.prop.form',
  'zeebe:formDefinition.formKey': 'processes.prop.form',
  'zeebe:taskSchedule.dueDate': 'processes.prop.dueDate',
  'timer.timeDate': 'processes.prop.timeDate',
  'timer.timeDuration': 'processes.prop.timeDuration',
  'timer.timeCycle': 'processes.prop.timeCycle',
  conditionExpression: 'processes.prop.condition',
};

interface Props {
  oldXml: string;
  newXml: string;
  oldLabel: string;
  newLabel: string;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const same = (a: Box, b: Box): boolean =>
  Math.abs(a.x - b.x) < 0.5 &&
  Math.abs(a.y - b.y) < 0.5 &&
  Math.abs(a.width - b.width) < 0.5 &&
  Math.abs(a.height - b.height) < 0.5;

/** The diff of two versions: both diagrams with coloured markers (views kept in step) and the change table. */
export default function ProcessDiffView({ oldXml, newXml, oldLabel, newLabel }: Props) {
  const { t } = useI18n();
  const [definitions, setDefinitions] = useState<{ old?: ModdleNode; new?: ModdleNode }>({});
  const [focus, setFocus] = useState<string | null>(null);
  const [linked, setLinked] = useState(true);
  const linkedRef = useRef(linked);
  useEffect(() => {
    linkedRef.current = linked;
  }, [linked]);
  const viewers = useRef<{ old?: NavigatedViewer; new?: NavigatedViewer }>({});

  /** Keeps both views on the same part of the diagram: pan or zoom one, the other follows. */
  const link = useCallback(() => {
    const { old: a, new: b } = viewers.current;
    if (!a || !b) return;
    const follow = (from: NavigatedViewer, to: NavigatedViewer): void => {
      from.on('canvas.viewbox.changed', (e: { viewbox: Box }) => {
        if (!linkedRef.current) return;
        const canvas = to.get<Canvas>('canvas');
        const { x, y, width, height } = e.viewbox;
        if (!same(canvas.viewbox(), e.viewbox)) canvas.viewbox({ x, y, width, height });
      });
    };
    follow(a, b);
    follow(b, a);
    const { x, y, width, height } = b.get<Canvas>('canvas').viewbox();
    a.get<Canvas>('canvas').viewbox({ x, y, width, height });
  }, []);

  const onOld = useCallback(
    (v: NavigatedViewer) => {
      viewers.current.old = v;
      setDefinitions((d) => ({ ...d, old: v.getDefinitions() as unknown as ModdleNode }));
      link();
    },
    [link],
  );
  const onNew = useCallback(
    (v: NavigatedViewer) => {
      viewers.current.new = v;
      setDefinitions((d) => ({ ...d, new: v.getDefinitions() as unknown as ModdleNode }));
      link();
    },
    [link],
  );

  const changes = useMemo<ElementChange[] | null>(() => {
    const { old: a, new: b } = definitions;
    return a && b ? diffProcesses(a, b, diff(a, b)) : null;
  }, [definitions]);
  const oldMarkers = useMemo(() => (changes ? diffMarkers(changes, 'old') : []), [changes]);
  const newMarkers = useMemo(() => (changes ? diffMarkers(changes, 'new') : []), [changes]);
  const counts = changes ? diffCounts(changes) : null;

  const kindTag = (k: ChangeKind) => (
    <Tag color={CHANGE_COLORS[k]} style={{ marginInlineEnd: 0 }}>
      {t(`processes.diff.${k}` as MessageKey)}
    </Tag>
  );

  const columns: ColumnsType<ElementChange> = [
    {
      title: t('processes.diff.col.kind'),
      dataIndex: 'kind',
      width: 150,
      render: (k: ChangeKind, r) => (
        <Space size={4}>
          {kindTag(k)}
          {r.layoutChanged && k !== 'layout-changed' && (
            <Tag color={CHANGE_COLORS['layout-changed']}>{t('processes.diff.moved')}</Tag>
          )}
        </Space>
      ),
    },
    {
      title: t('processes.diff.col.element'),
      key: 'element',
      width: 220,
      render: (_, r) => (
        <span>
          {r.name ?? ''} <Typography.Text type="secondary">{r.id}</Typography.Text>
        </span>
      ),
    },
    {
      title: t('processes.diff.col.type'),
      dataIndex: 'type',
      width: 140,
      render: (v: string) => v.replace(/^bpmn:/, ''),
    },
    {
      title: t('processes.diff.col.changes'),
      key: 'changes',
      render: (_, r) =>
        r.changes.length === 0 ? (
          <Typography.Text type="secondary">—</Typography.Text>
        ) : (
          <div style={{ display: 'grid', gap: 2 }}>
            {r.changes.map((c) => (
              <div key={c.property} data-testid="diff-property" data-property={c.property}>
                <Typography.Text strong>
                  {PROPERTY_LABELS[c.property] ? t(PROPERTY_LABELS[c.property]) : c.property}
                </Typography.Text>{' '}
                {PROPERTY_LABELS[c.property] && (
                  <Typography.Text type="secondary" style={{ fontSize: 11 }}>
                    {c.property}{' '}
                  </Typography.Text>
                )}
                <Typography.Text delete={c.oldValue != null} type="danger" code>
                  {c.oldValue ?? t('common.none')}
                </Typography.Text>
                {' → '}
                <Typography.Text type="success" code>
                  {c.newValue ?? t('common.none')}
                </Typography.Text>
              </div>
            ))}
          </div>
        ),
    },
  ];

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 8, flex: 1, minHeight: 0 }}>
      <Space size={12} wrap>
        {CHANGE_KINDS.map((k) => (
          <span key={k} data-testid={`diff-count-${k}`}>
            {kindTag(k)} {counts ? counts[k] : '…'}
          </span>
        ))}
        <Checkbox checked={linked} onChange={(e) => setLinked(e.target.checked)}>
          {t('processes.diff.linkViews')}
        </Checkbox>
      </Space>
      <div style={{ display: 'flex', gap: 8, flex: 1, minHeight: 260 }}>
        {[
          { side: 'old', label: oldLabel, xml: oldXml, markers: oldMarkers, onImported: onOld },
          { side: 'new', label: newLabel, xml: newXml, markers: newMarkers, onImported: onNew },
        ].map((p) => (
          <div
            key={p.side}
            style={{
              flex: 1,
              minWidth: 0,
              display: 'flex',
              flexDirection: 'column',
              border: '1px solid #e8ebf0',
              background: '#fff',
            }}
          >
            <div style={{ padding: '4px 8px', borderBottom: '1px solid #e8ebf0', fontWeight: 600 }}>
              {p.label}
            </div>
            <div style={{ flex: 1, position: 'relative' }}>
              <ProcessDiagram
                xml={p.xml}
                markers={p.markers}
                focus={focus}
                onImported={p.onImported}
                onElementClick={(id) => setFocus(id)}
                testId={`diff-${p.side}`}
              />
            </div>
          </div>
        ))}
      </div>
      <Table<ElementChange>
        size="small"
        rowKey="id"
        loading={!changes}
        columns={columns}
        dataSource={changes ?? []}
        pagination={false}
        scroll={{ y: 180 }}
        style={{ flex: 'none' }}
        locale={{ emptyText: t('processes.diff.none') }}
        onRow={(r) =>
          ({
            onClick: () => setFocus(r.id),
            style: { cursor: 'pointer', background: r.id === focus ? '#f0f5ff' : undefined },
            'data-testid': 'diff-row',
            'data-element-id': r.id,
            'data-kind': r.kind,
          }) as React.HTMLAttributes<HTMLElement>
        }
      />
    </div>
  );
}
