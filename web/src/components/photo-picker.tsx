import { CameraOutlined, DeleteOutlined, FileOutlined } from '@ant-design/icons';
import { Button, Space, Typography } from 'antd';
import { useEffect, useMemo, useRef } from 'react';

/**
 * Photos (or files) chosen before the case exists: uploaded after it is created. On a phone `capture` opens
 * the camera. Shows thumbnails; files can be removed before sending.
 */
export function PhotoPicker({
  files,
  onChange,
  label,
  capture,
  accept = 'image/*',
}: {
  files: File[];
  onChange: (files: File[]) => void;
  label: string;
  capture?: 'environment' | 'user';
  accept?: string;
}) {
  const input = useRef<HTMLInputElement>(null);
  const previews = useMemo(
    () => files.map((f) => (f.type.startsWith('image/') ? URL.createObjectURL(f) : null)),
    [files],
  );
  useEffect(() => () => previews.forEach((u) => u && URL.revokeObjectURL(u)), [previews]);
  return (
    <div>
      <input
        ref={input}
        type="file"
        accept={accept}
        multiple
        capture={capture}
        style={{ display: 'none' }}
        data-testid="photo-input"
        onChange={(e) => {
          const picked = Array.from(e.target.files ?? []);
          if (picked.length > 0) onChange([...files, ...picked].slice(0, 9));
          e.target.value = '';
        }}
      />
      <Button icon={<CameraOutlined />} onClick={() => input.current?.click()}>
        {label}
      </Button>
      {files.length > 0 && (
        <Space wrap style={{ marginTop: 8, display: 'flex' }}>
          {files.map((f, i) => (
            <div key={`${f.name}-${i}`} style={{ position: 'relative', width: 72 }}>
              {previews[i] ? (
                <img
                  src={previews[i]!}
                  alt={f.name}
                  style={{ width: 72, height: 72, objectFit: 'cover', borderRadius: 4, display: 'block' }}
                />
              ) : (
                <div
                  style={{
                    width: 72,
                    height: 72,
                    background: '#f0f2f5',
                    display: 'grid',
                    placeItems: 'center',
                  }}
                >
                  <FileOutlined />
                </div>
              )}
              <Typography.Text ellipsis style={{ fontSize: 11, width: 72, display: 'block' }}>
                {f.name}
              </Typography.Text>
              <Button
                size="small"
                type="text"
                danger
                icon={<DeleteOutlined />}
                style={{ position: 'absolute', top: 0, right: 0, background: 'rgba(255,255,255,.8)' }}
                onClick={() => onChange(files.filter((_, j) => j !== i))}
              />
            </div>
          ))}
        </Space>
      )}
    </div>
  );
}

/** Uploads files to a case, one request (the API takes up to 9 files under the field `file`). */
export async function uploadToCase(
  caseId: number,
  files: File[],
  post: (path: string, form: FormData) => Promise<unknown>,
): Promise<void> {
  if (files.length === 0) return;
  const form = new FormData();
  for (const f of files) form.append('file', f, f.name);
  await post(`/api/cases/${caseId}/attachments`, form);
}
