/**
 * The bridge's one pipeline, without transport: bytes in, acknowledgement out. MLLP, HTTP and AMQP
 * all call `receive`. A message is (1) stored raw in the message log, committed, before anything
 * else; (2) answered with its first acknowledgement if it was already processed (a resend);
 * (3) parsed, checked (type, version, processing id) and mapped to FHIR resources written through
 * the repository in ONE transaction together with its log status, so the bed-availability
 * Observations change in that same commit; (4) acknowledged only after that commit.
 * Messages of one patient are applied in arrival order, whichever connection or server instance
 * received them: a worker applies every earlier message of that patient still waiting, then its
 * own, each under its log row's lock (see `nextPending`).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { FhirError, type Database, type Queryable, type Repository } from '../fhir/index.ts';
import { Er7Error, encodeMessage, parseMessageBytes, type Er7Message } from './er7/index.ts';
import { acknowledgementFor, buildAck, type ApplicationCode } from './ack.ts';
import { ERROR_CODE, Hl7Error, rejection, type ErrorCode } from './errors.ts';
import { MAPPINGS, mainIdentifier, patientKey, visitKey, type Effects, type MappingContext, type MappingOptions } from './mapping/index.ts';
import {
  findApplied, loadMessage, messageState, nextPending, recordOutcome, recordReceived, resetForReplay, type MessageStatus,
} from './message-log.ts';

export interface PipelineDependencies {
  db: Database;
  /** A repository bound to an open transaction (with the server's profiles and write hooks). */
  repositoryIn(tx: Queryable): Repository;
  logger: Logger;
  options: MappingOptions;
}

export interface ReceiveResult {
  /** The acknowledgement to send back, undefined when none is due (enhanced mode NE, or an ACK received). */
  ack: Buffer | undefined;
  status: MessageStatus;
  /** The message's id in the log. */
  id: string;
  duplicate: boolean;
}

/** Versions the bridge reads (MSH-12.1). */
const SUPPORTED_VERSION = /^2\.[3-8](\.\d+)?$/;
const PROCESSING_IDS = new Set(['P', 'T', 'D', '']);
const KNOWN_CODES = new Set(Object.keys(MAPPINGS).map((type) => type.split('^')[0]));

/** Why a readable message is refused as sent (AR), if it is. */
function refusalOf(message: Er7Message): Hl7Error | undefined {
  if (!SUPPORTED_VERSION.test(message.version)) {
    return rejection(ERROR_CODE.unsupportedVersion, `HL7 version "${message.version}" is not supported (2.3 to 2.8 are)`, { segment: 'MSH', field: 12 });
  }
  if (!PROCESSING_IDS.has(message.processingId.toUpperCase())) {
    return rejection(ERROR_CODE.unsupportedProcessingId, `Processing id "${message.processingId}" is not supported (P, T, D)`, { segment: 'MSH', field: 11 });
  }
  const type = `${message.messageCode}^${message.triggerEvent}`;
  if (!MAPPINGS[type]) {
    return KNOWN_CODES.has(message.messageCode)
      ? rejection(ERROR_CODE.unsupportedEvent, `Event ${type} is not supported`, { segment: 'MSH', field: 9, component: 2 })
      : rejection(ERROR_CODE.unsupportedMessageType, `Message type ${message.messageCode || '(empty)'} is not supported`, { segment: 'MSH', field: 9, component: 1 });
  }
  return undefined;
}

/** What identifies a message in the log, read from its header and PID. */
function identify(message: Er7Message | undefined, raw: Buffer): { sender: string; controlId: string; messageType: string; contentHash: string; patientKey?: string; visitKey?: string } {
  // The content after MSH: a resend with a new MSH-7 timestamp is still the same message.
  const firstBreak = raw.findIndex((byte) => byte === 0x0d || byte === 0x0a);
  const contentHash = createHash('sha256').update(message && firstBreak >= 0 ? raw.subarray(firstBreak) : raw).digest('hex');
  if (!message) return { sender: '', controlId: '', messageType: '', contentHash };
  const header = message.header;
  const identifier = mainIdentifier(message.segment('PID')?.field(3).repetitions ?? []);
  const visit = visitKey(message.segment('PV1'));
  const text = (value: string): string => value.replaceAll('\u0000', '\uFFFD');
  return {
    sender: text(`${header.field(3).raw}|${header.field(4).raw}`),
    controlId: text(message.controlId),
    messageType: text(`${message.messageCode}^${message.triggerEvent}`),
    contentHash,
    ...(identifier ? { patientKey: text(patientKey(identifier)) } : {}),
    ...(visit ? { visitKey: text(visit) } : {}),
  };
}

/** What may be logged of an unexpected error: its kind and SQLSTATE, never its message (it may quote data). */
function safeErrorKind(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const code = (err as { code?: unknown }).code;
  return { type: err.name, ...(typeof code === 'string' ? { code } : {}) };
}

/** Errors of the message itself (not of the server): reported to the sender, never retried. */
function messageError(err: unknown): Hl7Error | undefined {
  if (err instanceof Hl7Error) return err;
  if (err instanceof Er7Error) return rejection(err.code as ErrorCode, err.message, err.location);
  if (err instanceof FhirError && err.kind !== 'server-error' && err.kind !== 'unavailable') {
    // The resources the message makes are not valid FHIR: the message says something we cannot keep.
    return new Hl7Error('AE', ERROR_CODE.dataType, `The message maps to an invalid resource: ${err.message}`);
  }
  return undefined;
}

export class Hl7Pipeline {
  readonly #deps: PipelineDependencies;

  constructor(deps: PipelineDependencies) {
    this.#deps = deps;
  }

  /** Receives one message (its bytes as sent) and returns the acknowledgement to send. */
  async receive(raw: Buffer, transport: string): Promise<ReceiveResult> {
    const started = performance.now();
    let message: Er7Message | undefined;
    let parseError: Hl7Error | undefined;
    try {
      message = parseMessageBytes(raw);
    } catch (err) {
      parseError = messageError(err);
      if (!parseError) throw err;
    }
    // HL7 v2 text never holds NUL, and PostgreSQL text cannot: refused (but logged, as raw bytes).
    if (!parseError && raw.includes(0)) {
      parseError = rejection(ERROR_CODE.dataType, 'The message contains NUL bytes, which HL7 v2 text may not hold');
    }
    const identity = identify(message, raw);
    const recorded = await recordReceived(this.#deps.db, { transport, raw, ...identity });
    let result: ReceiveResult;
    if (recorded.duplicate && (recorded.status === 'applied' || recorded.status === 'rejected')) {
      result = { ack: recorded.ack ?? undefined, status: recorded.status, id: recorded.id, duplicate: true };
    } else if (!message || parseError) {
      result = await this.#refuse(recorded.id, message, parseError as Hl7Error);
    } else {
      result = { ...(await this.#applyInOrder(recorded.id, identity.patientKey, message)), duplicate: recorded.duplicate };
    }
    this.#deps.logger.info({ transport, messageType: identity.messageType || undefined, log: result.id, status: result.status, duplicate: result.duplicate || undefined, ms: Math.round((performance.now() - started) * 10) / 10 }, 'hl7 message');
    return result;
  }

  /**
   * The NAK (AR) for a message over the size limit, built from its first bytes (its MSH), or
   * undefined when those are not an MSH. The message was never whole here, so it is not logged.
   */
  oversizeAck(head: Buffer, size: number, limit: number): Buffer | undefined {
    const end = head.findIndex((byte) => byte === 0x0d || byte === 0x0a);
    let header: Er7Message;
    try {
      header = parseMessageBytes(end >= 0 ? head.subarray(0, end) : head);
    } catch {
      return undefined;
    }
    this.#deps.logger.warn({ bytes: size, limit }, 'hl7 message over the size limit refused');
    const error = rejection(ERROR_CODE.internal, `The message (${size} bytes) is larger than the ${limit} bytes this receiver accepts`);
    return this.#ack(header, `R${Date.now()}`, 'AR', error);
  }

  /**
   * Applies a logged message again (after the cause of its error was fixed); undefined when unknown.
   * A message already applied is not applied twice: its state is returned as it is.
   */
  async replay(id: string): Promise<ReceiveResult | undefined> {
    const logged = await loadMessage(this.#deps.db, id);
    if (!logged) return undefined;
    if (logged.status === 'applied') {
      const state = await messageState(this.#deps.db, id);
      return { ack: state?.ack ?? undefined, status: 'applied', id, duplicate: true };
    }
    await resetForReplay(this.#deps.db, id);
    let message: Er7Message;
    try {
      message = parseMessageBytes(logged.raw);
    } catch (err) {
      const error = messageError(err);
      if (!error) throw err;
      return this.#refuse(id, undefined, error);
    }
    return { ...(await this.#applyInOrder(id, logged.patientKey ?? undefined, message)), duplicate: false };
  }

  /** Records a refusal (AR) and builds its acknowledgement. */
  async #refuse(id: string, message: Er7Message | undefined, error: Hl7Error): Promise<ReceiveResult> {
    const ack = this.#ack(message, id, 'AR', error);
    await recordOutcome(this.#deps.db, id, { status: 'rejected', ack: ack ?? null, error: error.message });
    return { ack, status: 'rejected', id, duplicate: false };
  }

  #ack(message: Er7Message | undefined, id: string, outcome: ApplicationCode, error?: Hl7Error): Buffer | undefined {
    if (message?.messageCode === 'ACK') return undefined;
    const code = acknowledgementFor(message, outcome);
    if (!code) return undefined;
    const text = buildAck({ message, code, ...(error ? { error } : {}), controlId: `A${id}`, now: new Date() });
    return encodeMessage(text, message?.charset ?? '');
  }

  /** Applies, in arrival order, the patient's waiting messages up to and including `id`. */
  async #applyInOrder(id: string, key: string | undefined, parsed: Er7Message): Promise<Omit<ReceiveResult, 'duplicate'>> {
    for (;;) {
      let current: { id: string; message: Er7Message | undefined } = { id, message: parsed };
      const step = await this.#deps.db.transaction(async (tx) => {
        const pending = await nextPending(tx, key, id);
        if (!pending) return undefined;
        current = { id: pending.id, message: pending.id === id ? parsed : undefined };
        const message = current.message ?? parseMessageBytes(pending.raw);
        current.message = message;
        return { ...(await this.#applyOne(tx, pending.id, message)), id: pending.id };
      }).catch(async (err: unknown) => {
        // A fault of the server (a bug), not of the message: answer AE 207 and keep the message for a replay.
        // When the database itself is gone, recording fails too and the caller gets the error: no ACK is sent.
        this.#deps.logger.error({ error: safeErrorKind(err), log: current.id }, 'hl7 message could not be applied');
        const error = new Hl7Error('AE', ERROR_CODE.internal, 'The message could not be applied because of an internal error; it is kept and can be replayed');
        const ack = this.#ack(current.message, current.id, 'AE', error);
        const recorded = await recordOutcome(this.#deps.db, current.id, { status: 'error', ack: ack ?? null, error: error.message }, { onlyIfWaiting: true });
        if (recorded) return { status: 'error' as const, ack, id: current.id };
        // Another worker of the patient applied it meanwhile: its outcome is the answer.
        const state = await messageState(this.#deps.db, current.id);
        return { status: state?.status ?? 'error', ack: state?.ack ?? undefined, id: current.id };
      });
      if (!step) {
        const state = await messageState(this.#deps.db, id);
        return { status: state?.status ?? 'error', ack: state?.ack ?? undefined, id };
      }
      if (step.id === id) return step;
    }
  }

  /** Maps one message in the open transaction; a message error rolls back its writes only. */
  async #applyOne(tx: Queryable, id: string, message: Er7Message): Promise<{ status: MessageStatus; ack: Buffer | undefined }> {
    const refusal = refusalOf(message);
    if (refusal) {
      const ack = this.#ack(message, id, 'AR', refusal);
      await recordOutcome(tx, id, { status: 'rejected', ack: ack ?? null, error: refusal.message });
      return { status: 'rejected', ack };
    }
    const effects: Effects = { beds: [] };
    const visit = visitKey(message.segment('PV1'));
    const ctx: MappingContext = {
      message,
      repo: this.#deps.repositoryIn(tx),
      options: this.#deps.options,
      effects,
      findOriginal: async (events) => (visit ? findApplied(tx, visit, events, id) : undefined),
    };
    await tx.query('SAVEPOINT hl7_message');
    try {
      await (MAPPINGS[`${message.messageCode}^${message.triggerEvent}`] as (c: MappingContext) => Promise<void>)(ctx);
    } catch (err) {
      const error = messageError(err);
      if (!error) throw err;
      await tx.query('ROLLBACK TO SAVEPOINT hl7_message');
      const ack = this.#ack(message, id, error.acknowledgement, error);
      const status = error.acknowledgement === 'AR' ? 'rejected' : 'error';
      await recordOutcome(tx, id, { status, ack: ack ?? null, error: error.message });
      return { status, ack };
    }
    const ack = this.#ack(message, id, 'AA');
    await recordOutcome(tx, id, { status: 'applied', ack: ack ?? null, effects });
    return { status: 'applied', ack };
  }
}
