/**
 * Child process for test/e2e/temporal-client-close.test.ts: connects to the
 * Temporal server at argv[2] through a TCP proxy, cuts the proxy so that a call
 * keeps failing with UNAVAILABLE (the SDK retries it on a timer), and closes
 * the connection while a retry is pending. argv[3] says which connection:
 * `safe` (connectTemporalClient) or `plain` (the SDK's Connection.connect, as
 * before). Exit code 0 and "closed cleanly" when nothing was thrown afterwards.
 */
import { connect, createServer, type Socket } from 'node:net';
import { Connection } from '@temporalio/client';
import { connectTemporalClient } from '../../src/services/temporal-client.ts';

const [target, kind] = [process.argv[2]!, process.argv[3]!];
const [host, port] = target.split(':') as [string, string];
const sockets = new Set<Socket>();
const proxy = createServer((client) => {
  const upstream = connect(Number(port), host);
  for (const s of [client, upstream]) {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  }
  client.pipe(upstream).pipe(client);
});
await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
const address = `127.0.0.1:${(proxy.address() as { port: number }).port}`;

const connection = kind === 'safe' ? await connectTemporalClient({ address }) : await Connection.connect({ address });
await connection.workflowService.getSystemInfo({});

// The outage: nothing answers any more, so every attempt fails at once and is retried after a back-off.
const closed = new Promise<void>((resolve) => proxy.close(() => resolve()));
for (const s of sockets) s.destroy();
await closed;
const call = connection.workflowService.getSystemInfo({}).then(
  () => 'answered',
  (error: unknown) => `failed: ${String(error).slice(0, 80)}`,
);
await new Promise((resolve) => setTimeout(resolve, 1_000)); // a few attempts, the next one pending on a timer
await connection.close();
console.log(`call ${await Promise.race([call, new Promise((r) => setTimeout(() => r('still pending'), 8_000))])}`);
await new Promise((resolve) => setTimeout(resolve, 7_000)); // longer than the longest retry delay
console.log('closed cleanly');
process.exit(0);
