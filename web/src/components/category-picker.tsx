import { TreeSelect } from 'antd';
import { useReference } from '../hooks/use-reference.ts';
import { useI18n } from '../i18n/i18n.tsx';

/** The 大类 → 小类 picker with search over names and codes; the value is the 小类 code. */
export function CategoryPicker({
  value,
  onChange,
  size,
}: {
  value?: string;
  onChange?: (code: string | undefined) => void;
  size?: 'small' | 'middle' | 'large';
}) {
  const { t } = useI18n();
  const ref = useReference();
  return (
    <TreeSelect
      size={size}
      value={value}
      onChange={(v?: string) => onChange?.(v)}
      allowClear
      showSearch
      treeNodeFilterProp="title"
      placeholder={t('intake.category.placeholder')}
      treeData={ref.categoryTree('code')}
      treeExpandAction="click"
      listHeight={360}
      style={{ width: '100%' }}
      data-testid="category-picker"
    />
  );
}
