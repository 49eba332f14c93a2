/**
 * The poses a tracking message reports, one per tool: TRANSFORM and POSITION name the tool by
 * their device name, QTDATA and TDATA carry several tools by name. Matrices become unit
 * quaternions (Shepperd's method: the largest of the four candidates, for numerical stability).
 */
import type { IgtlContent, Matrix34, Quaternion, Vec3 } from '../codec/index.ts';

export interface ToolPose {
  tool: string;
  position: Vec3;
  /** (x, y, z, w) */
  orientation: Quaternion;
}

/** The poses in a message; empty for messages that are not tracking data. */
export function posesOf(deviceName: string, content: IgtlContent): ToolPose[] {
  switch (content.type) {
    case 'TRANSFORM':
      return [fromMatrix(deviceName, content.matrix)];
    case 'POSITION':
      return [{ tool: deviceName, position: content.position, orientation: normalised(content.quaternion) }];
    case 'QTDATA':
      return content.elements.map((e) => ({ tool: e.name || deviceName, position: e.position, orientation: normalised(e.quaternion) }));
    case 'TDATA':
      return content.elements.map((e) => fromMatrix(e.name || deviceName, e.matrix));
    default:
      return [];
  }
}

function fromMatrix(tool: string, m: Matrix34): ToolPose {
  return { tool, position: [m[9], m[10], m[11]], orientation: quaternionOf(m) };
}

/** The rotation of a column-major 3x3 (R11 R21 R31 R12 R22 R32 R13 R23 R33) as a unit quaternion. */
export function quaternionOf(m: Matrix34): Quaternion {
  const [r11, r21, r31, r12, r22, r32, r13, r23, r33] = m;
  const trace = r11 + r22 + r33;
  let q: Quaternion;
  if (trace > 0) {
    const s = Math.sqrt(trace + 1) * 2;
    q = [(r32 - r23) / s, (r13 - r31) / s, (r21 - r12) / s, s / 4];
  } else if (r11 > r22 && r11 > r33) {
    const s = Math.sqrt(1 + r11 - r22 - r33) * 2;
    q = [s / 4, (r12 + r21) / s, (r13 + r31) / s, (r32 - r23) / s];
  } else if (r22 > r33) {
    const s = Math.sqrt(1 + r22 - r11 - r33) * 2;
    q = [(r12 + r21) / s, s / 4, (r23 + r32) / s, (r13 - r31) / s];
  } else {
    const s = Math.sqrt(1 + r33 - r11 - r22) * 2;
    q = [(r13 + r31) / s, (r23 + r32) / s, s / 4, (r21 - r12) / s];
  }
  return normalised(q);
}

function normalised(q: Quaternion): Quaternion {
  const norm = Math.hypot(...q);
  if (!Number.isFinite(norm) || norm === 0) return [0, 0, 0, 1];
  // w >= 0: q and -q are the same rotation; one sign makes poses comparable.
  const sign = q[3] < 0 ? -1 : 1;
  return q.map((c) => (sign * c) / norm) as Quaternion;
}
