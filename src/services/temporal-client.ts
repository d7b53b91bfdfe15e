import { Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';

/** The longest the client's gRPC retry waits before a retry (the SDK's cap is 5 s; jitter adds up to 20%). */
const LONGEST_RETRY_DELAY_MS = 6_500;

/**
 * A client connection whose `close()` is safe while calls are retrying.
 *
 * The SDK's gRPC retry interceptor schedules each retry with a timer. If the
 * connection is closed while such a timer is pending (a Temporal restart just
 * before a command ends: a result long poll abandoned because the document
 * settled in review), the timer fires on a shut-down channel and grpc-js throws
 * "Channel has been shut down" from the timer: an uncaught exception that ended
 * `docroute ingest` with exit code 1 after every document had settled (CI's
 * chaos test). So the same retry policy is used, but once closing starts no new
 * retry is scheduled, and the channel is closed only after the pending retries
 * have fired (each then fails or is cancelled, and is not retried again).
 */
export async function connectTemporalClient(options: ConnectionOptions): Promise<Connection> {
  const defaults = defaultGrpcRetryOptions();
  let closing = false;
  let retriesDueBy = 0;
  const retries = makeGrpcRetryInterceptor({
    retryableDecider: (attempt, status) => !closing && defaults.retryableDecider(attempt, status),
    delayFunction: (attempt, status) => {
      const delay = defaults.delayFunction(attempt, status);
      retriesDueBy = Math.max(retriesDueBy, Date.now() + delay);
      return delay;
    },
  });
  const connection = await Connection.connect({ ...options, interceptors: [retries] });
  const close = connection.close.bind(connection);
  connection.close = async () => {
    closing = true;
    const wait = Math.min(retriesDueBy - Date.now(), LONGEST_RETRY_DELAY_MS);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 50));
    await close();
  };
  return connection;
}
