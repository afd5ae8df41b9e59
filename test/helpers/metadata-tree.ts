import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeRandomFile } from './tree-fixture';

/**
 * A torture tree for metadata round trips (needs root: owners, a setuid file owned by a user,
 * a device node) and an entry-by-entry description of any tree that compares exactly:
 * name bytes, type, bytes, uid/gid, mode with setuid, nanosecond mtime, xattrs, link targets
 * and which paths share an inode.
 */

const B = (s: string) => Buffer.from(s, 'latin1');
const j = (dir: Buffer, name: Buffer | string) => Buffer.concat([dir, B('/'), typeof name === 'string' ? Buffer.from(name) : name]);
/** bytes that are not UTF-8 */
export const BAD_NAME = B('bad-\xff\xfe-name.bin');
export const BAD_DIR = B('dir-\xe9t\xe9');

const py = (script: string, input: string) => execFileSync('python3', ['-c', script], { input });
const b64 = (p: Buffer) => p.toString('base64');

/** Whether the filesystem at `dir` takes user.* xattrs and the engine's tools (getfattr/setfattr) exist. */
export function userXattrsWork(dir: string): boolean {
  const probe = path.join(dir, '.xattr-probe');
  fs.writeFileSync(probe, '');
  try {
    execFileSync('setfattr', ['-n', 'user.probe', '-v', '1', probe], { stdio: 'ignore' });
    execFileSync('getfattr', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { force: true });
  }
}

/** Set xattrs through python3 (bytes paths, independent of the tools the engine uses). */
function setXattrs(items: [Buffer, string, Buffer][]): void {
  py(
    'import base64,os,sys\nfor l in sys.stdin.buffer:\n p,n,v=l.split()\n os.setxattr(base64.b64decode(p),base64.b64decode(n),base64.b64decode(v))\n',
    items.map(([p, n, v]) => `${b64(p)} ${b64(Buffer.from(n))} ${b64(v)}\n`).join(''),
  );
}

/** xattrs of many paths (not following symlinks): name -> hex value. */
function readXattrsPy(paths: Buffer[]): Record<string, string>[] {
  const out = py(
    'import base64,json,os,sys\nfor l in sys.stdin.buffer:\n p=base64.b64decode(l.strip())\n print(json.dumps({n: os.getxattr(p,n,follow_symlinks=False).hex() for n in sorted(os.listxattr(p,follow_symlinks=False))}))\n',
    paths.map((p) => `${b64(p)}\n`).join(''),
  );
  return out
    .toString('utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, string>);
}

/** Exact nanosecond times without Node's double: python3 os.utime(ns=...). */
function setNs(items: [Buffer, bigint][]): void {
  py(
    'import base64,os,sys\nfor l in sys.stdin.buffer:\n p,n=l.split()\n os.utime(base64.b64decode(p),ns=(int(n),int(n)),follow_symlinks=False)\n',
    items.map(([p, n]) => `${b64(p)} ${n}\n`).join(''),
  );
}

export function makeTortureTree(rootStr: string, o: { xattrs: boolean }): void {
  const root = Buffer.from(rootStr);
  fs.mkdirSync(root, { recursive: true });
  const f = (rel: Buffer | string, body: string | Buffer, mode: number, uid: number, gid: number) => {
    const p = j(root, rel);
    fs.writeFileSync(p, body);
    fs.chownSync(p, uid, gid);
    fs.chmodSync(p, mode);
    return p;
  };
  const d = (rel: Buffer | string, mode: number, uid: number, gid: number) => {
    const p = j(root, rel);
    fs.mkdirSync(p);
    fs.chownSync(p, uid, gid);
    fs.chmodSync(p, mode);
    return p;
  };
  f('suid-tool', '#!/bin/sh\necho suid\n', 0o4755, 1000, 1000);
  f('sgid-tool', 'sgid', 0o2750, 1001, 50);
  f('other-owned.txt', 'owned by 1234:5678', 0o640, 1234, 5678);
  d('private', 0o700, 1001, 1002);
  f('private/secret', 'secret', 0o600, 1001, 1002);
  d('shared', 0o2775, 0, 100);
  d('readonly-dir', 0o555, 1000, 1000);
  const hl = d('hardlinks', 0o755, 0, 0);
  writeRandomFile(j(hl, 'a.bin').toString(), 200_000, 42);
  fs.chownSync(j(hl, 'a.bin'), 1000, 1000);
  fs.linkSync(j(hl, 'a.bin'), j(hl, 'b.bin'));
  fs.mkdirSync(j(hl, 'sub'));
  fs.linkSync(j(hl, 'a.bin'), j(hl, 'sub/c.bin'));
  f('hardlinks/sole.bin', 'not linked', 0o644, 0, 0);
  fs.symlinkSync('suid-tool', j(root, 'link-to-suid'));
  fs.lchownSync(j(root, 'link-to-suid'), 1000, 1001);
  fs.symlinkSync(Buffer.concat([B('target-'), B('\xff')]), j(root, 'link-bad-target'));
  execFileSync('mkfifo', ['-m', '640', path.join(rootStr, 'pipe')]);
  fs.chownSync(j(root, 'pipe'), 1000, 1000);
  execFileSync('mknod', ['-m', '620', path.join(rootStr, 'null-dev'), 'c', '1', '3']);
  fs.chownSync(j(root, 'null-dev'), 0, 5);
  f(BAD_NAME, 'bytes behind a name that is not UTF-8', 0o644, 1000, 1000);
  const bd = d(BAD_DIR, 0o750, 1000, 1000);
  fs.writeFileSync(j(bd, B('inner-\xff')), 'inner');
  fs.writeFileSync(j(root, 'back\\x5cslash'), 'a valid name that looks like an escape');
  fs.writeFileSync(j(root, 'empty'), '');
  if (o.xattrs) {
    setXattrs([
      [j(root, 'other-owned.txt'), 'user.comment', Buffer.from('hello world')],
      [j(root, 'other-owned.txt'), 'user.bin', Buffer.from([0, 1, 2, 3, 0xff, 0x0a, 0x3d])],
      [j(root, 'private'), 'user.dir-attr', Buffer.from('on a folder')],
      [j(hl, 'a.bin'), 'user.linked', Buffer.from('shared by the inode')],
      [j(root, BAD_NAME), 'user.odd=name', Buffer.from('odd file, odd attribute name')],
      [root, 'user.root', Buffer.from('on the root')],
    ]);
  }
  // nanosecond times last, deepest first, so creating children does not move them
  const all: Buffer[] = [];
  const walk = (dir: Buffer) => {
    for (const n of fs.readdirSync(dir, { encoding: 'buffer' })) {
      const p = j(dir, n);
      if (fs.lstatSync(p).isDirectory()) walk(p);
      all.push(p);
    }
  };
  walk(root);
  all.push(root);
  let ns = 1_700_000_000_123_456_789n;
  setNs(all.map((p) => [p, (ns += 1_000_000_007n)]));
}

export interface MetaNode {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: string;
  size?: number;
  sha256?: string;
  target?: string;
  rdev?: string;
  xattrs?: Record<string, string>;
  /** first path (in walk order) sharing this inode, for files with more than one link */
  linkedTo?: string;
}

/** Every entry below `root` keyed by the hex of its exact relative path bytes ('' is the root itself). */
export function describeMeta(rootStr: string, o: { xattrs: boolean }): Map<string, MetaNode> {
  const out = new Map<string, MetaNode>();
  const inodes = new Map<string, string>();
  const withXattrs: [Buffer, MetaNode][] = [];
  const one = (abs: Buffer, key: string) => {
    const st = fs.lstatSync(abs, { bigint: true });
    const n: MetaNode = { type: '', mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid), mtimeNs: st.mtimeNs.toString() };
    if (st.isFile()) {
      n.type = 'file';
      n.size = Number(st.size);
      n.sha256 = createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
      if (st.nlink > 1n) {
        const k = String(st.ino);
        if (!inodes.has(k)) inodes.set(k, key);
        n.linkedTo = inodes.get(k);
      }
    } else if (st.isDirectory()) n.type = 'dir';
    else if (st.isSymbolicLink()) {
      n.type = 'symlink';
      n.target = fs.readlinkSync(abs, { encoding: 'buffer' }).toString('hex');
    } else if (st.isFIFO()) n.type = 'fifo';
    else if (st.isCharacterDevice()) {
      n.type = 'chardev';
      n.rdev = st.rdev.toString();
    } else n.type = 'other';
    if (o.xattrs && n.type !== 'symlink') withXattrs.push([abs, n]);
    out.set(key, n);
  };
  const walk = (dir: Buffer, rel: Buffer | undefined) => {
    const names = fs.readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare);
    for (const name of names) {
      const r = rel ? Buffer.concat([rel, B('/'), name]) : name;
      const abs = j(dir, name);
      one(abs, r.toString('hex'));
      if (fs.lstatSync(abs).isDirectory()) walk(abs, r);
    }
  };
  const root = Buffer.from(rootStr);
  one(root, '');
  walk(root, undefined);
  if (withXattrs.length) readXattrsPy(withXattrs.map(([p]) => p)).forEach((x, i) => (withXattrs[i][1].xattrs = x));
  return out;
}
