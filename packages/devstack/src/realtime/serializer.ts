import { z } from 'zod';
import { BINARY_KIND, EVENTS, PAYLOAD_ENCODING, VSN, type Vsn } from './constants';

// The wire format, isolated like realtime-js' lib/serializer.ts:
//   vsn 1.0.0  text {topic, event, payload, ref, join_ref}
//   vsn 2.0.0  text [join_ref, ref, topic, event, payload]
//              binary kind 3 (client → server user broadcast push)
//              binary kind 4 (server → client user broadcast)

export interface Frame {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

/** A broadcast's user payload: JSON, or raw bytes (vsn 2 binary frames only). */
export type BroadcastBody = { kind: 'json'; value: unknown } | { kind: 'binary'; bytes: Buffer };

export interface BroadcastMessage {
  event: string;
  body: BroadcastBody;
  meta?: Record<string, unknown>;
  /** Arrived as a vsn 2 binary push: vsn 2 receivers get it as a binary frame too. */
  binaryFrame: boolean;
}

/** An incoming broadcast push, after decoding either frame format. */
export interface BroadcastPush extends Frame {
  event: typeof EVENTS.broadcast;
  broadcast: BroadcastMessage;
}

const ref = z
  .union([z.string(), z.number().transform(String)])
  .nullable()
  .optional();
const v2Frame = z.tuple([ref, ref, z.string(), z.string(), z.unknown()]);
const v1Frame = z.object({ join_ref: ref, ref, topic: z.string(), event: z.string(), payload: z.unknown() });

/** Decodes a text frame; null when it is not valid JSON of the negotiated shape (ignored, like Phoenix). */
export function decodeText(text: string, vsn: Vsn): Frame | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (vsn === VSN.v2) {
    const parsed = v2Frame.safeParse(json);
    if (!parsed.success) return null;
    const [joinRef, msgRef, topic, event, payload] = parsed.data;
    return { joinRef: joinRef ?? null, ref: msgRef ?? null, topic, event, payload: payload ?? {} };
  }
  const parsed = v1Frame.safeParse(json);
  if (!parsed.success) return null;
  const { join_ref, ref: msgRef, topic, event, payload } = parsed.data;
  return { joinRef: join_ref ?? null, ref: msgRef ?? null, topic, event, payload: payload ?? {} };
}

/** Decodes a vsn 2 binary frame (only kind 3 is valid from a client); null when malformed. */
export function decodeBinary(data: Buffer): BroadcastPush | null {
  if (data.length < 7 || data[0] !== BINARY_KIND.userBroadcastPush) return null;
  const [joinRefLen, refLen, topicLen, eventLen, metaLen, encoding] = [
    data[1],
    data[2],
    data[3],
    data[4],
    data[5],
    data[6],
  ];
  if (encoding !== PAYLOAD_ENCODING.binary && encoding !== PAYLOAD_ENCODING.json) return null;
  let offset = 7;
  const take = (length: number) => {
    const text = data.toString('utf8', offset, offset + length);
    offset += length;
    return text;
  };
  if (offset + joinRefLen + refLen + topicLen + eventLen + metaLen > data.length) return null;
  const joinRef = take(joinRefLen);
  const msgRef = take(refLen);
  const topic = take(topicLen);
  const event = take(eventLen);
  take(metaLen); // metadata ("persist"): the dev stack does not store socket broadcasts
  const bytes = data.subarray(offset);
  let body: BroadcastBody;
  if (encoding === PAYLOAD_ENCODING.json) {
    try {
      body = { kind: 'json', value: bytes.length ? JSON.parse(bytes.toString('utf8')) : {} };
    } catch {
      return null;
    }
  } else {
    body = { kind: 'binary', bytes: Buffer.from(bytes) };
  }
  return {
    joinRef: joinRef || null,
    ref: msgRef || null,
    topic,
    event: EVENTS.broadcast,
    payload: null,
    broadcast: { event, body, binaryFrame: true },
  };
}

export function encodeFrame(vsn: Vsn, frame: Frame): string {
  if (vsn === VSN.v2) return JSON.stringify([frame.joinRef, frame.ref, frame.topic, frame.event, frame.payload]);
  return JSON.stringify({
    topic: frame.topic,
    event: frame.event,
    payload: frame.payload,
    ref: frame.ref,
    join_ref: frame.joinRef,
  });
}

/**
 * Encodes a broadcast for one serializer; null when that client cannot
 * represent it (binary payloads on vsn 1.0.0, as Supabase skips them).
 */
export function encodeBroadcast(vsn: Vsn, topic: string, message: BroadcastMessage): string | Buffer | null {
  if (vsn === VSN.v2 && message.binaryFrame) return encodeUserBroadcast(topic, message);
  if (message.body.kind === 'binary') return null;
  const payload: Record<string, unknown> = {
    type: EVENTS.broadcast,
    event: message.event,
    payload: message.body.value,
  };
  if (message.meta) payload.meta = message.meta;
  return encodeFrame(vsn, { joinRef: null, ref: null, topic, event: EVENTS.broadcast, payload });
}

function encodeUserBroadcast(topic: string, message: BroadcastMessage): Buffer | null {
  const topicBytes = Buffer.from(topic, 'utf8');
  const eventBytes = Buffer.from(message.event, 'utf8');
  const metaBytes = Buffer.from(message.meta ? JSON.stringify(message.meta) : '', 'utf8');
  if (topicBytes.length > 255 || eventBytes.length > 255 || metaBytes.length > 255) return null;
  const body =
    message.body.kind === 'binary'
      ? message.body.bytes
      : Buffer.from(JSON.stringify(message.body.value ?? null), 'utf8');
  const header = Buffer.from([
    BINARY_KIND.userBroadcast,
    topicBytes.length,
    eventBytes.length,
    metaBytes.length,
    message.body.kind === 'binary' ? PAYLOAD_ENCODING.binary : PAYLOAD_ENCODING.json,
  ]);
  return Buffer.concat([header, topicBytes, eventBytes, metaBytes, body]);
}

/** Size of a broadcast's user payload in bytes, for the payload limit. */
export function broadcastSize(message: BroadcastMessage): number {
  return message.body.kind === 'binary'
    ? message.body.bytes.length
    : Buffer.byteLength(JSON.stringify(message.body.value ?? null));
}
