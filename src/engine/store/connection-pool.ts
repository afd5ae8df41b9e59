import type tls from 'node:tls';
import { BodyConnection, originKey, type Origin } from './body-connection';

/** Keep-alive BodyConnections per origin, at most `maxSockets` open to each; callers beyond that wait their turn. */
export class ConnectionPool {
  private readonly idle = new Map<string, BodyConnection[]>();
  private readonly open = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  private destroyed = false;

  constructor(private readonly opts: { maxSockets: number; connectionTimeoutMs: number; idleMs: number; tls?: tls.ConnectionOptions }) {}

  /** An idle connection to `origin`, or a new one; `fresh` forces a new one. */
  async acquire(origin: Origin, fresh = false): Promise<BodyConnection> {
    const key = originKey(origin);
    for (;;) {
      if (this.destroyed) throw new Error('connection pool destroyed');
      const list = this.idle.get(key);
      if (!fresh) {
        let c: BodyConnection | undefined;
        while ((c = list?.pop())) if (!c.closed) return c;
      }
      const n = this.open.get(key) ?? 0;
      if (n < this.opts.maxSockets) {
        this.open.set(key, n + 1);
        return new BodyConnection(origin, {
          connectionTimeoutMs: this.opts.connectionTimeoutMs,
          idleMs: this.opts.idleMs,
          tls: this.opts.tls,
          onReusable: (c) => this.release(key, c),
          onClosed: (c) => this.closed(key, c),
        });
      }
      if (fresh && list?.length) {
        // at the limit with idle connections: one of them makes room
        list.shift()?.socket.destroy();
        continue;
      }
      await new Promise<void>((resolve) => {
        const q = this.waiting.get(key) ?? [];
        q.push(resolve);
        this.waiting.set(key, q);
      });
    }
  }

  /** Connections open to `origin` (idle or busy). */
  openTo(origin: Origin): number {
    return this.open.get(originKey(origin)) ?? 0;
  }

  destroy(): void {
    this.destroyed = true;
    for (const list of this.idle.values()) for (const c of list) c.socket.destroy();
    this.idle.clear();
    for (const q of this.waiting.values()) for (const wake of q) wake();
    this.waiting.clear();
  }

  private release(key: string, c: BodyConnection): void {
    if (this.destroyed) {
      c.socket.destroy();
      return;
    }
    const list = this.idle.get(key) ?? [];
    list.push(c);
    this.idle.set(key, list);
    this.wake(key);
  }

  private closed(key: string, c: BodyConnection): void {
    this.open.set(key, (this.open.get(key) ?? 1) - 1);
    const list = this.idle.get(key);
    const at = list?.indexOf(c) ?? -1;
    if (list && at >= 0) list.splice(at, 1);
    this.wake(key);
  }

  private wake(key: string): void {
    this.waiting.get(key)?.shift()?.();
  }
}
