/**
 * One image of the room, large: its frames rendered by WADO-RS (`/frames/<n>/rendered`, with the
 * session's token like every call), one at a time, stepped with buttons or the arrow keys. The
 * number of frames comes from QIDO (NumberOfFrames), since a live image event does not carry it.
 */
import { useEffect, useState } from 'react';
import { labels } from '../labels.ts';
import { apiFetch } from '../session.ts';
import { AuthorizedImage } from './AuthorizedImage.tsx';

export interface RoomImage {
  study: string;
  series: string;
  instance: string;
}

export function instancePath(image: RoomImage): string {
  return `/dicomweb/studies/${image.study}/series/${image.series}/instances/${image.instance}`;
}

async function framesOf(image: RoomImage): Promise<number> {
  const response = await apiFetch(`/dicomweb/studies/${image.study}/series/${image.series}/instances?SOPInstanceUID=${image.instance}&includefield=00280008`, { headers: { accept: 'application/dicom+json' } });
  if (!response.ok) return 1;
  const [found] = (await response.json()) as Record<string, { Value?: unknown[] }>[];
  return Math.max(1, Number(found?.['00280008']?.Value?.[0] ?? 1) || 1);
}

export function ImageViewer({ image, onClose }: { image: RoomImage; onClose: () => void }) {
  const [frames, setFrames] = useState(1);
  const [frame, setFrame] = useState(1);
  useEffect(() => {
    let current = true;
    framesOf(image).then((count) => current && setFrames(count), () => undefined);
    return () => { current = false; };
  }, [image]);
  useEffect(() => {
    const keys = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') onClose();
      else if (event.key === 'ArrowRight') setFrame((n) => Math.min(frames, n + 1));
      else if (event.key === 'ArrowLeft') setFrame((n) => Math.max(1, n - 1));
    };
    window.addEventListener('keydown', keys);
    return () => window.removeEventListener('keydown', keys);
  }, [frames, onClose]);

  return (
    <div className="viewer" role="dialog" aria-modal="true" aria-label={labels.imageViewer}>
      <AuthorizedImage src={`${instancePath(image)}/frames/${frame}/rendered`} alt={`${labels.imageOf}, ${labels.frame} ${frame}`} instance={image.instance} />
      <p className="viewer-controls">
        <button type="button" className="previous-frame" disabled={frame <= 1} onClick={() => setFrame(frame - 1)} aria-label={labels.previousFrame}>◀</button>
        <span className="frame-of">{labels.frame} {frame} / {frames}</span>
        <button type="button" className="next-frame" disabled={frame >= frames} onClick={() => setFrame(frame + 1)} aria-label={labels.nextFrame}>▶</button>
        <button type="button" className="close-viewer" onClick={onClose}>{labels.close}</button>
      </p>
    </div>
  );
}
