/**
 * An image from the DICOMweb API fetched with the session's token (an <img src> cannot carry
 * one) and shown from a blob URL, released when the image goes.
 */
import { useEffect, useState } from 'react';
import { apiFetch } from '../session.ts';

/** `size`: drawn in a square of that many pixels; without it, at its own size. */
export function AuthorizedImage({ src, alt, size, instance }: { src: string; alt: string; size?: number; instance: string }) {
  const [url, setUrl] = useState<string | undefined>();
  useEffect(() => {
    let created: string | undefined;
    let cancelled = false;
    apiFetch(src, { headers: { accept: 'image/jpeg' } })
      .then(async (response) => (response.ok ? response.blob() : undefined))
      .then((blob) => {
        if (!blob || cancelled) return;
        created = URL.createObjectURL(blob);
        setUrl(created);
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
      if (created) URL.revokeObjectURL(created);
    };
  }, [src]);
  return <img src={url} alt={alt} {...(size ? { width: size, height: size } : {})} data-instance={instance} data-loaded={url ? 'true' : undefined} />;
}
