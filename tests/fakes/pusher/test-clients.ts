import PusherServer from 'pusher';
import Pusher from 'pusher-js';
import type { ChannelAuthorizationHandler } from 'pusher-js';
import { WebSocket } from 'ws';
import { Inbox } from '@switchboard/devstack/testing';
import type { FakePusher } from '../pusher-server';

// Official clients wired to a fake server, plus a raw socket for frames the
// clients never send (malformed JSON, bad signatures).

export const APP = { appId: '4242', key: 'fake-key', secret: 'fake-secret' } as const;

export function serverSdk(fake: FakePusher, secret: string = APP.secret): PusherServer {
  return new PusherServer({
    appId: APP.appId,
    key: APP.key,
    secret,
    host: fake.host,
    port: String(fake.port),
    useTLS: false,
  });
}

/** Signs like an app's auth endpoint would; presence members get `member`. */
export function signingHandler(
  sdk: PusherServer,
  member?: { user_id: string; user_info?: Record<string, unknown> },
): ChannelAuthorizationHandler {
  return ({ socketId, channelName }, callback) => {
    callback(
      null,
      sdk.authorizeChannel(socketId, channelName, channelName.startsWith('presence-') ? member : undefined),
    );
  };
}

const clients: Pusher[] = [];

export function pusherClient(fake: FakePusher, handler?: ChannelAuthorizationHandler, key: string = APP.key): Pusher {
  const client = new Pusher(key, {
    cluster: 'fake',
    wsHost: fake.host,
    wsPort: fake.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    ...(handler ? { channelAuthorization: { customHandler: handler } } : {}),
  });
  clients.push(client);
  return client;
}

export function disconnectClients(): void {
  for (const client of clients.splice(0)) client.disconnect();
}

export function connected(client: Pusher): Promise<string> {
  return new Promise((resolve) => {
    if (client.connection.state === 'connected') return resolve(client.connection.socket_id);
    client.connection.bind('connected', () => resolve(client.connection.socket_id));
  });
}

/** Resolves when `predicate` holds, checking on every turn of the event loop (bounded). */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface Frame {
  event: string;
  channel?: string;
  data?: unknown;
  user_id?: string;
}

/** A bare WebSocket speaking the protocol by hand. */
export async function rawSocket(fake: FakePusher, path = `/app/${APP.key}?protocol=7&client=js&version=8.6.0`) {
  const ws = new WebSocket(`ws://${fake.host}:${fake.port}${path}`);
  const frames = new Inbox<Frame>();
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString()) as Frame;
    frames.push({ ...frame, data: typeof frame.data === 'string' ? tryParse(frame.data) : frame.data });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    closed,
    async socketId(): Promise<string> {
      const established = await frames.next((f) => f.event === 'pusher:connection_established');
      return (established.data as { socket_id: string }).socket_id;
    },
    send(frame: unknown): void {
      ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
  };
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
