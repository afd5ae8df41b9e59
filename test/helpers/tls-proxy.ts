import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { findNginx } from '../../src/demo/nginx';
import { freePorts } from '../../src/stack/ports';
import { spawnServer, waitUntilReady, type ServerProcess } from './child';

/** A throwaway PKI made with openssl: one CA, a server certificate for `serverName`, a client certificate. */
export interface TestPki {
  dir: string;
  serverName: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from another CA (the proxy must refuse it). */
  strangerCert: string;
  strangerKey: string;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function leaf(dir: string, name: string, ca: { cert: string; key: string }, ext: string): void {
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(dir, ['req', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  ]);
}

export function makePki(dir: string, serverName = 'temporal.lepton.test'): TestPki {
  fs.mkdirSync(dir, { recursive: true });
  for (const ca of ['ca', 'stranger-ca'])
    openssl(dir, ['req', '-x509', ...ecKey, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=lepton test ${ca}`]);
  const ca = { cert: 'ca.crt', key: 'ca.key' };
  leaf(dir, 'server', ca, `subjectAltName=DNS:${serverName}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  leaf(dir, 'client', ca, 'subjectAltName=DNS:lepton-dr-worker\nextendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  leaf(
    dir,
    'stranger',
    { cert: 'stranger-ca.crt', key: 'stranger-ca.key' },
    'subjectAltName=DNS:stranger\nextendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n',
  );
  const f = (n: string) => path.join(dir, n);
  return {
    dir,
    serverName,
    caCert: f('ca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    clientCert: f('client.crt'),
    clientKey: f('client.key'),
    strangerCert: f('stranger.crt'),
    strangerKey: f('stranger.key'),
  };
}

export interface TlsProxy {
  /** TLS that requires a client certificate signed by the PKI's CA (mTLS). */
  mtlsAddress: string;
  /** TLS without client certificates that requires `Authorization: Bearer <apiKey>` (Temporal Cloud style). */
  apiKeyAddress: string;
  server: ServerProcess;
  stop(): Promise<void>;
}

/**
 * A private nginx terminating TLS in front of a plaintext Temporal frontend, the way a cluster's
 * ingress does (the dev server speaks no TLS itself): gRPC over HTTP/2 to `upstream`.
 */
export async function startTlsProxy(o: { dir: string; pki: TestPki; upstream: string; apiKey: string }): Promise<TlsProxy> {
  const prefix = path.join(o.dir, 'nginx');
  for (const d of ['logs', 'tmp']) fs.mkdirSync(path.join(prefix, d), { recursive: true });
  const [mtlsPort, keyPort] = await freePorts(2);
  const tls = `ssl_certificate ${o.pki.serverCert};
        ssl_certificate_key ${o.pki.serverKey};
        ssl_protocols TLSv1.2 TLSv1.3;`;
  const conf = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(
    conf,
    `daemon off;
master_process off;
pid ${prefix}/logs/nginx.pid;
error_log ${prefix}/logs/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path ${prefix}/tmp/body;
    proxy_temp_path ${prefix}/tmp/proxy;
    fastcgi_temp_path ${prefix}/tmp/fastcgi;
    uwsgi_temp_path ${prefix}/tmp/uwsgi;
    scgi_temp_path ${prefix}/tmp/scgi;
    server {
        listen 127.0.0.1:${mtlsPort} ssl http2;
        ${tls}
        ssl_client_certificate ${o.pki.caCert};
        ssl_verify_client on;
        location / { grpc_pass grpc://${o.upstream}; }
    }
    server {
        listen 127.0.0.1:${keyPort} ssl http2;
        ${tls}
        location / {
            if ($http_authorization != "Bearer ${o.apiKey}") { return 401; }
            grpc_pass grpc://${o.upstream};
        }
    }
}
`,
  );
  const server = spawnServer(findNginx(), ['-p', `${prefix}/`, '-c', conf, '-e', `${prefix}/logs/error.log`], {
    logFile: path.join(prefix, 'logs', 'stderr.log'),
  });
  const accepts = (port: number) =>
    new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve();
      });
      s.once('error', reject);
    });
  await waitUntilReady(server, 'nginx (TLS proxy)', async () => Promise.all([accepts(mtlsPort), accepts(keyPort)]), { timeoutMs: 10_000 });
  return { mtlsAddress: `127.0.0.1:${mtlsPort}`, apiKeyAddress: `127.0.0.1:${keyPort}`, server, stop: () => server.stop(2000) };
}
