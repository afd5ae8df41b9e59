import net from 'node:net';

function listenOnce(port = 0, host = '127.0.0.1'): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host, port, exclusive: true }, () => resolve(srv));
  });
}

function close(srv: net.Server): Promise<void> {
  return new Promise((resolve) => srv.close(() => resolve()));
}

/**
 * A loopback TCP port that was free a moment ago. Another process may grab it before the
 * caller binds it, so servers started on it should retry with fresh ports on "address in use".
 */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/** n distinct free ports: all listeners stay open until every port is picked. */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) servers.push(await listenOnce());
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map(close));
  }
}

/**
 * Whether a TCP port can be bound on host right now. On Linux a port held on 0.0.0.0 (or by
 * any socket without SO_REUSEPORT) also fails here, so this sees every listener that would make
 * a server of ours fail to start.
 */
export async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  try {
    await close(await listenOnce(port, host));
    return true;
  } catch {
    return false;
  }
}

/** The entries whose port is taken, in the order given. */
export async function busyPorts<T extends { port: number }>(wanted: readonly T[], host = '127.0.0.1'): Promise<T[]> {
  const out: T[] = [];
  for (const w of wanted) if (!(await portIsFree(w.port, host))) out.push(w);
  return out;
}
