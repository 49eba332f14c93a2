/** A device's status in words, with an icon (never colour alone) and the reason it gave. */
import { labels } from '../labels.ts';
import type { Device } from './model.ts';

const ICON: Record<string, string> = { active: '✔', inactive: '✖', 'entered-in-error': '⚠', unknown: '?' };

export function DeviceStatus({ device }: { device: Device }) {
  const status = device.status ?? 'unknown';
  const reason = device.statusReason?.[0]?.text;
  return (
    <span className="device-status" data-status={status}>
      <span aria-hidden="true">{ICON[status]}</span> {labels.deviceStatus[status] ?? status}
      {reason ? ` (${reason})` : ''}
    </span>
  );
}
