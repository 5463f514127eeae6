/** A minimal raw Kafka-protocol client for broker tests: send frames, read size-prefixed responses. */
import { connect, type Socket } from 'node:net';

export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends a request: header v1 (or v2 when flexible) + body, size-prefixed. */
  request(apiKey: number, version: number, correlationId: number, body: Buffer, flexibleHeader = false): void {
    const clientId = Buffer.from('raw-test');
    const head = Buffer.alloc(10);
    head.writeInt16BE(apiKey, 0);
    head.writeInt16BE(version, 2);
    head.writeInt32BE(correlationId, 4);
    head.writeInt16BE(clientId.length, 8);
    const parts = [head, clientId, ...(flexibleHeader ? [Buffer.from([0])] : []), body];
    const size = Buffer.alloc(4);
    size.writeInt32BE(parts.reduce((n, p) => n + p.length, 0));
    this.write(Buffer.concat([size, ...parts]));
  }

  /** Next response frame (without its size prefix), or null when the connection closed first. */
  async response(timeoutMs = 5000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0);
        if (this.buf.length >= 4 + size) {
          const frame = this.buf.subarray(4, 4 + size);
          this.buf = this.buf.subarray(4 + size);
          return frame;
        }
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a response');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves when the broker has closed the connection (or after timeoutMs with false). */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}
