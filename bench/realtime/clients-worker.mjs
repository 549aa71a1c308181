// Benchmark clients in a worker thread: they use the second core and their
// memory stays out of the main thread's heap (which holds the server).
import { parentPort } from 'node:worker_threads';
import WebSocket from 'ws';

let sockets = [];
let received = 0;
let latencies = [];
let waiter = null;

function onFrame(data, isBinary, mode) {
  received++;
  if (mode === 'latency' && !isBinary) {
    const text = data.toString();
    if (text.includes('"postgres_changes"')) {
      const msg = JSON.parse(text);
      const sentAt = msg[4]?.data?.record?.sent_at;
      if (typeof sentAt === 'number') latencies.push(Date.now() - sentAt);
    }
  }
  if (waiter && received >= waiter.total) {
    const w = waiter;
    waiter = null;
    w.resolve();
  }
}

async function open({ url, joins, mode, waitSystem }) {
  await Promise.all(
    joins.map(
      (join, i) =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(url, { perMessageDeflate: false });
          sockets.push(ws);
          let ready = false;
          ws.on('error', reject);
          ws.on('message', (data, isBinary) => {
            if (ready) return onFrame(data, isBinary, mode);
            const text = data.toString();
            if (!join) return;
            if (text.includes('"phx_reply"') && text.includes('"error"')) reject(new Error(text));
            if (
              (!waitSystem && text.includes('"phx_reply"')) ||
              (waitSystem && text.includes('Subscribed to PostgreSQL'))
            ) {
              ready = true;
              resolve();
            }
          });
          ws.on('open', () => {
            if (!join) {
              ready = true;
              return resolve();
            }
            ws.send(JSON.stringify(['1', '1', join.topic, 'phx_join', join.payload]));
          });
          // Keep the server's heartbeat watchdog happy.
          const hb = setInterval(
            () => ws.readyState === 1 && ws.send(JSON.stringify([null, 'hb', 'phoenix', 'heartbeat', {}])),
            20_000,
          );
          ws.on('close', () => clearInterval(hb));
          void i;
        }),
    ),
  );
}

parentPort.on('message', async (msg) => {
  try {
    switch (msg.cmd) {
      case 'open':
        await open(msg);
        break;
      case 'reset':
        received = 0;
        latencies = [];
        break;
      case 'waitFor':
        if (received < msg.total) await new Promise((resolve) => (waiter = { total: msg.total, resolve }));
        break;
      case 'stats':
        parentPort.postMessage({ id: msg.id, received, latencies });
        return;
      case 'close':
        for (const ws of sockets) ws.terminate();
        sockets = [];
        break;
    }
    parentPort.postMessage({ id: msg.id, ok: true });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: String(err?.message ?? err) });
  }
});
