import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  headers: http.IncomingHttpHeaders;
  body: string;
  answered: number | null;
}

/**
 * A local webhook receiver for tests: records every call, and answers each with
 * what `answer` says (a status, or 'hang' to hold the connection open).
 */
export async function startReceiver(answer: (call: ReceivedCall, index: number) => number | 'hang') {
  const calls: ReceivedCall[] = [];
  const hanging: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const call: ReceivedCall = { headers: req.headers, body, answered: null };
      const index = calls.push(call) - 1;
      const what = answer(call, index);
      if (what === 'hang') {
        hanging.push(res);
        return;
      }
      call.answered = what;
      res.writeHead(what, what >= 500 ? { 'retry-after': '1' } : {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    calls,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
