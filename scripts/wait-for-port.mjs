// Waits until something accepts TCP connections on 127.0.0.1:<port> (default timeout 60 s).
import net from 'node:net';

const port = Number(process.argv[2]);
const deadline = Date.now() + Number(process.argv[3] ?? 60_000);

function probe() {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.once('connect', () => {
    socket.destroy();
    process.exit(0);
  });
  socket.once('error', () => {
    socket.destroy();
    if (Date.now() > deadline) {
      console.error(`Nothing is listening on 127.0.0.1:${port} after waiting; is the dev stack starting?`);
      process.exit(1);
    }
    setTimeout(probe, 200);
  });
}
probe();
