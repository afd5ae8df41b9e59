import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * A private nginx for demos and tests: everything (config, pid, logs, temp dirs) inside one
 * prefix directory, `daemon off` so it is a child process we own, listening on loopback only.
 * Traffic goes to `upstream model`, defined in <prefix>/upstream.conf, which the file-reload
 * switcher rewrites before `nginx -s reload`.
 */

export const UPSTREAM_NAME = 'model';

/** Where the private nginx answers with the side its loaded config routes to (the switcher's confirm check). */
export const SIDE_PATH = '/lepton-dr/side';

/** The switcher template for <prefix>/upstream.conf; $lepton_dr_side is what SIDE_PATH returns. */
export const UPSTREAM_TEMPLATE = `# written by lepton-dr: traffic -> {{side}}
upstream ${UPSTREAM_NAME} {
    server {{upstream}};
    keepalive 16;
}
map $host $lepton_dr_side {
    default "{{side}}";
}
`;

export interface NginxConfOptions {
  /** Absolute directory holding everything; nginx runs with -p <prefix>. */
  prefix: string;
  port: number;
  host?: string;
  /** Absolute path of the included upstream file; default <prefix>/upstream.conf. */
  upstreamFile?: string;
  workerProcesses?: number;
  /** Write an access log to <prefix>/logs/access.log (default off). */
  accessLog?: boolean;
}

export interface NginxPaths {
  prefix: string;
  conf: string;
  upstream: string;
  errorLog: string;
  pidFile: string;
}

export function nginxPaths(prefix: string, upstreamFile?: string): NginxPaths {
  return {
    prefix,
    conf: path.join(prefix, 'nginx.conf'),
    upstream: upstreamFile ?? path.join(prefix, 'upstream.conf'),
    errorLog: path.join(prefix, 'logs', 'error.log'),
    pidFile: path.join(prefix, 'logs', 'nginx.pid'),
  };
}

/** A complete minimal nginx.conf; no path outside the prefix is used. */
export function renderNginxConf(o: NginxConfOptions): string {
  const p = nginxPaths(o.prefix, o.upstreamFile);
  const tmp = (n: string) => path.join(o.prefix, 'tmp', n);
  return `# lepton-dr private nginx (generated)
daemon off;
master_process on;
worker_processes ${o.workerProcesses ?? 1};
pid ${p.pidFile};
error_log ${p.errorLog} warn;

events {
    worker_connections 512;
}

http {
    default_type application/octet-stream;
    access_log ${o.accessLog ? `${path.join(o.prefix, 'logs', 'access.log')}` : 'off'};
    client_body_temp_path ${tmp('client_body')};
    proxy_temp_path ${tmp('proxy')};
    fastcgi_temp_path ${tmp('fastcgi')};
    uwsgi_temp_path ${tmp('uwsgi')};
    scgi_temp_path ${tmp('scgi')};
    keepalive_timeout 30s;

    include ${p.upstream};

    server {
        listen ${o.host ?? '127.0.0.1'}:${o.port};
        location = ${SIDE_PATH} {
            default_type text/plain;
            return 200 "$lepton_dr_side\n";
        }
        location / {
            proxy_pass http://${UPSTREAM_NAME};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
        }
    }
}
`;
}

/** `upstream model { server HOST:PORT; }` for one upstream address. */
export function renderUpstream(upstream: string, side = 'primary'): string {
  return UPSTREAM_TEMPLATE.replaceAll('{{side}}', side).replaceAll('{{upstream}}', upstream);
}

/** $NGINX_BIN, else `nginx` on PATH (plus the sbin dirs non-root PATHs lack), else /usr/sbin/nginx. */
export function findNginx(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NGINX_BIN) return env.NGINX_BIN;
  const dirs = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const d of dirs) {
    const f = path.join(d, 'nginx');
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return f;
    } catch {
      // keep looking
    }
  }
  return '/usr/sbin/nginx';
}

/** The arguments that select this private instance: -p PREFIX -c CONF -e ERRLOG. */
export function instanceArgs(p: NginxPaths): string[] {
  return ['-p', `${p.prefix}/`, '-c', p.conf, '-e', p.errorLog];
}

/** argv of the reload command for the file-reload switcher. */
export function reloadArgv(bin: string, p: NginxPaths): string[] {
  return [bin, ...instanceArgs(p), '-s', 'reload'];
}

/** argv of the config test (nginx -t) for the file-reload switcher's `check`. */
export function testArgv(bin: string, p: NginxPaths): string[] {
  return [bin, ...instanceArgs(p), '-t', '-q'];
}

export interface StartNginxOptions extends NginxConfOptions {
  /** host:port of the initial upstream (written to the upstream file unless it exists). */
  upstream: string;
  bin?: string;
  /** How long to wait for the port to accept connections; default 10 s. */
  readyTimeoutMs?: number;
}

export interface NginxProcess {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly bin: string;
  readonly paths: NginxPaths;
  readonly reloadArgv: string[];
  readonly testArgv: string[];
  /** Resolves with the exit code when the master exits. */
  readonly exited: Promise<number | null>;
  /** SIGHUP to the master (graceful: old workers finish their requests). */
  reload(): void;
  /** Graceful stop (SIGQUIT), then SIGTERM/SIGKILL if it lingers. */
  stop(timeoutMs?: number): Promise<void>;
  errorLogTail(bytes?: number): string;
}

function tailOf(file: string, bytes: number): string {
  try {
    const b = fs.readFileSync(file);
    return b.subarray(Math.max(0, b.length - bytes)).toString('utf8');
  } catch {
    return '';
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Write the config, start nginx in the foreground and wait until it accepts connections. */
export async function startNginx(o: StartNginxOptions): Promise<NginxProcess> {
  const bin = o.bin ?? findNginx();
  const host = o.host ?? '127.0.0.1';
  const p = nginxPaths(o.prefix, o.upstreamFile);
  fs.mkdirSync(path.join(o.prefix, 'logs'), { recursive: true });
  fs.mkdirSync(path.join(o.prefix, 'tmp'), { recursive: true });
  // As root, nginx workers run as "nobody": they must be able to reach the temp dirs.
  fs.chmodSync(o.prefix, 0o755);
  fs.writeFileSync(p.conf, renderNginxConf(o));
  if (!fs.existsSync(p.upstream)) fs.writeFileSync(p.upstream, renderUpstream(o.upstream));

  const child: ChildProcess = spawn(bin, instanceArgs(p), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });

  const deadline = Date.now() + (o.readyTimeoutMs ?? 10_000);
  for (;;) {
    if (gone) throw new Error(`nginx exited during start-up: ${stderr.trim() || tailOf(p.errorLog, 2000).trim() || '(no output)'}`);
    if (await canConnect(host, o.port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not listen on ${host}:${o.port} within ${o.readyTimeoutMs ?? 10_000} ms: ${tailOf(p.errorLog, 2000).trim()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }

  return {
    pid: child.pid!,
    port: o.port,
    url: `http://${host}:${o.port}`,
    bin,
    paths: p,
    reloadArgv: reloadArgv(bin, p),
    testArgv: testArgv(bin, p),
    exited,
    reload: () => {
      child.kill('SIGHUP');
    },
    stop: async (timeoutMs = 5000) => {
      if (gone) return;
      child.kill('SIGQUIT');
      const t1 = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
      const t2 = setTimeout(() => child.kill('SIGKILL'), timeoutMs * 2);
      await exited;
      clearTimeout(t1);
      clearTimeout(t2);
    },
    errorLogTail: (bytes = 4000) => tailOf(p.errorLog, bytes),
  };
}
