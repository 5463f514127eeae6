/**
 * A TCP proxy between Kafka clients and a broker that hands every client→broker request frame to a callback.
 * Used to capture golden request bytes from real clients (fixtures/capture.ts) and to record kcat's produce
 * requests for replay in bench:broker. Point the broker's advertised port at the proxy
 * (`broker.context.config.port = proxy.port`) so the clients' follow-up connections go through it too.
 */
import { connect, createServer } from 'node:net';

export interface RecordingProxy {
  port: number;
  close(): Promise<void>;
}

/** `onFrame` gets each request frame including its 4-byte size prefix (a copy, safe to keep). */
export async function startRecordingProxy(
  brokerPort: number,
  onFrame: (frame: Buffer) => void,
): Promise<RecordingProxy> {
  const proxy = createServer((down) => {
    const up = connect(brokerPort, '127.0.0.1');
    let pending: Buffer[] = [];
    let have = 0;
    down.on('data', (d: Buffer) => {
      up.write(d);
      pending.push(d);
      have += d.length;
      while (have >= 4) {
        let buf = pending.length === 1 ? pending[0] : Buffer.concat(pending);
        pending = [buf];
        const size = buf.readInt32BE(0);
        if (have < 4 + size) break;
        onFrame(Buffer.from(buf.subarray(0, 4 + size)));
        buf = buf.subarray(4 + size);
        pending = buf.length ? [buf] : [];
        have = buf.length;
      }
    });
    up.on('data', (d) => down.write(d));
    up.on('close', () => down.destroy());
    down.on('close', () => up.destroy());
    up.on('error', () => {});
    down.on('error', () => {});
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as { port: number }).port,
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
  };
}
