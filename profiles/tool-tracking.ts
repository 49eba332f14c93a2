/**
 * The tool-tracking Observation (profile tool-tracking): a tracked tool's pose as a navigation
 * system reported it, with both clocks: the device's (effectiveInstant) and Passerelle's
 * receive time (issued). Built here so every writer builds it the same way.
 */
import type { Device, Observation, ObservationComponent, Reference } from '@medplum/fhirtypes';
import { PASSERELLE_SYSTEM, PROFILE, SYSTEM, TOOL_TRACKING } from './model.ts';

export interface Pose {
  /** The tracker (Device) that reported it. */
  device: Reference<Device>;
  tool: string;
  /** The coordinate system the pose is in (STT_ coordinate name, or the tracker's own). */
  referenceFrame?: string;
  /** Millimetres. */
  position: [number, number, number];
  /** Unit quaternion (x, y, z, w). */
  orientation: [number, number, number, number];
  deviceTime: Date;
  receivedAt: Date;
}

const coded = (code: keyof typeof TOOL_TRACKING): Observation['code'] => ({ coding: [{ system: PASSERELLE_SYSTEM.toolTracking, code, display: TOOL_TRACKING[code] }] });
const quantity = (code: keyof typeof TOOL_TRACKING, value: number, unit: 'mm' | '1'): ObservationComponent => ({
  code: coded(code),
  valueQuantity: { value: Math.round(value * 1e4) / 1e4, unit, system: SYSTEM.ucum, code: unit },
});

export function poseObservation(pose: Pose): Observation {
  const [x, y, z] = pose.position;
  const [qx, qy, qz, qw] = pose.orientation;
  return {
    resourceType: 'Observation',
    meta: { profile: [PROFILE.toolTracking] },
    status: 'final',
    code: coded('tool-pose'),
    effectiveInstant: pose.deviceTime.toISOString(),
    issued: pose.receivedAt.toISOString(),
    device: pose.device,
    component: [
      quantity('position-x', x, 'mm'), quantity('position-y', y, 'mm'), quantity('position-z', z, 'mm'),
      quantity('orientation-x', qx, '1'), quantity('orientation-y', qy, '1'), quantity('orientation-z', qz, '1'), quantity('orientation-w', qw, '1'),
      { code: coded('tool'), valueString: pose.tool },
      ...(pose.referenceFrame ? [{ code: coded('reference-frame'), valueString: pose.referenceFrame }] : []),
    ],
  };
}
