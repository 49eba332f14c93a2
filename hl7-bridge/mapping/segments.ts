/** The segments a mapping cannot do without, or an AE 100/101 saying which is missing. */
import type { Er7Segment } from '../er7/index.ts';
import { ERROR_CODE, applicationError } from '../errors.ts';
import type { MappingContext } from './context.ts';

export function requireSegment(ctx: MappingContext, name: string): Er7Segment {
  const segment = ctx.message.segment(name);
  if (!segment) throw applicationError(ERROR_CODE.segmentSequence, `An ${ctx.message.messageCode} ${ctx.message.triggerEvent} message needs a ${name} segment`, { segment: name });
  return segment;
}
