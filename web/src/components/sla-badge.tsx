import { Badge, Tooltip } from 'antd';
import { useI18n } from '../i18n/i18n.tsx';
import { type SlaLevel, formatDuration, slaLevel, slaRemainingMs } from '../lib/sla.ts';

/** The colours of the SLA levels (antd status colours, orange in between). */
export const SLA_COLORS: Record<SlaLevel, string> = {
  green: '#52c41a',
  yellow: '#fadb14',
  orange: '#fa8c16',
  red: '#f5222d',
  none: '#bfbfbf',
};

/** A task's SLA: a coloured dot and the time left (or overdue), the level named in the tooltip. */
export function SlaBadge({
  createdAt,
  dueAt,
  now,
  compact,
}: {
  createdAt: string;
  dueAt: string | null | undefined;
  now: number;
  compact?: boolean;
}) {
  const { t } = useI18n();
  const level = slaLevel(createdAt, dueAt, now);
  const left = slaRemainingMs(dueAt, now);
  const units = {
    day: t('unit.day'),
    hour: t('unit.hour'),
    minute: t('unit.minute'),
    gap: '',
    sep: t('unit.day') === '天' ? '' : ' ',
  };
  const text =
    left == null
      ? t('sla.none')
      : left < 0
        ? t('sla.over', { time: formatDuration(left, units) })
        : t('sla.left', { time: formatDuration(left, units) });
  return (
    <Tooltip title={`${t(`sla.${level}`)}${dueAt ? ` · ${new Date(dueAt).toLocaleString()}` : ''}`}>
      <span data-sla={level} style={{ whiteSpace: 'nowrap' }}>
        <Badge color={SLA_COLORS[level]} text={compact ? undefined : text} />
        {compact && <span style={{ marginInlineStart: 4, fontSize: 12 }}>{text}</span>}
      </span>
    </Tooltip>
  );
}
