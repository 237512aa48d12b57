import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * HTTP round trips over loopback, both ends on this thread, one at a time: Node's HTTP on both sides and
 * the socket system calls, the part of the case loop the CPU reference does not exercise. On this VM the
 * two do not always move together: in a slow phase, system calls can slow down while the CPU reference
 * hardly moves (bench/README.md, session 9). Printed beside closed cases/s, with the CPU reference. Lower is
 * faster.
 */
export async function loopbackReferenceUs(requests = 2000): Promise<number> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const once = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.resume();
        res.once('end', resolve);
      });
      req.once('error', reject);
    });
  try {
    await once();
    const start = performance.now();
    for (let i = 0; i < requests; i++) await once();
    return ((performance.now() - start) * 1000) / requests;
  } finally {
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The best of three, so that one unlucky moment does not decide it. */
export async function loopbackReference(): Promise<string> {
  const runs = [await loopbackReferenceUs(), await loopbackReferenceUs(), await loopbackReferenceUs()];
  return `${Math.min(...runs).toFixed(0)} µs`;
}
