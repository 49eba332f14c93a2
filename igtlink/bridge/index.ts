/** From OpenIGTLink into FHIR and the live stream: rooms, equipment records, poses. */
export { IgtlBridge, type BridgeOptions, type LiveEvents } from './bridge.ts';
export { RoomMap, RoomMapError } from './room-map.ts';
export { deviceId } from './equipment.ts';
export { posesOf, quaternionOf, type ToolPose } from './poses.ts';
export { type StoreDicom } from './images.ts';
export { dicomImage, type ImageInstance, type ImagePatient } from './dicom-image.ts';
export { dicomPixels, UnstorableImageError } from './dicom-pixels.ts';
export { derivedUid } from './procedure.ts';
