/** What one room's view keeps: its tools' last poses and its timeline, from the live stream. */
import type { LiveMessage } from '../live.ts';

export interface ToolPose {
  tool: string;
  /** mm */
  position: [number, number, number];
  /** (x, y, z, w) */
  orientation: [number, number, number, number];
  deviceTime?: string;
  receivedAt?: string;
}

export interface TimelineEntry {
  kind: 'status' | 'image' | 'text' | 'change';
  summary: string;
  /** The device's clock, when the event came from a device. */
  deviceTime?: string;
  /** Passerelle's clock. */
  receivedAt?: string;
}

interface Component {
  code?: { coding?: { code?: string }[] };
  valueQuantity?: { value?: number };
  valueString?: string;
}

/** The pose a `pose` event carries (a tool-tracking Observation, README OpenIGTLink). */
export function poseOf(message: LiveMessage): ToolPose | undefined {
  const resource = message.resource as { component?: Component[]; effectiveInstant?: string; issued?: string } | undefined;
  const components = resource?.component ?? [];
  const value = (code: string): number => components.find((c) => c.code?.coding?.[0]?.code === code)?.valueQuantity?.value ?? Number.NaN;
  const position: [number, number, number] = [value('position-x'), value('position-y'), value('position-z')];
  const orientation: [number, number, number, number] = [value('orientation-x'), value('orientation-y'), value('orientation-z'), value('orientation-w')];
  const tool = typeof message.tool === 'string' ? message.tool : components.find((c) => c.code?.coding?.[0]?.code === 'tool')?.valueString;
  if (!tool || [...position, ...orientation].some(Number.isNaN)) return undefined;
  return { tool, position, orientation, ...(resource?.effectiveInstant ? { deviceTime: resource.effectiveInstant } : {}), ...(resource?.issued ? { receivedAt: resource.issued } : {}) };
}

/** The poses with a newer one of its tool. */
export function withPose(poses: ToolPose[], pose: ToolPose): ToolPose[] {
  const others = poses.filter((p) => p.tool !== pose.tool);
  return [...others, pose].sort((a, b) => a.tool.localeCompare(b.tool));
}
