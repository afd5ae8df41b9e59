import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { prng } from '../../src/stack/sample-assets';

export { prng };

export function writeRandomFile(file: string, size: number, seed: number): void {
  const fill = prng(seed);
  const fd = fs.openSync(file, 'w');
  const block = Buffer.allocUnsafe(Math.min(size, 8 * 1024 * 1024));
  try {
    for (let off = 0; off < size; off += block.length) {
      const n = Math.min(block.length, size - off);
      fill(block);
      fs.writeSync(fd, block, 0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
}

export interface FixtureOptions {
  largeFiles?: number;
  largeSize?: number;
  smallFiles?: number;
  seed?: number;
}

/** A tree like an AI asset set: big checkpoints, many small dataset files, configs, odd names, links. */
export function makeAssetTree(root: string, o: FixtureOptions = {}): void {
  const seed = o.seed ?? 1;
  fs.mkdirSync(path.join(root, 'checkpoints'), { recursive: true });
  fs.mkdirSync(path.join(root, 'dataset', 'shard-0'), { recursive: true });
  fs.mkdirSync(path.join(root, 'configs'), { recursive: true });
  fs.mkdirSync(path.join(root, 'empty-dir', 'nested-empty'), { recursive: true });
  for (let i = 0; i < (o.largeFiles ?? 1); i++)
    writeRandomFile(path.join(root, 'checkpoints', `model-${i}.safetensors`), o.largeSize ?? 8 * 1024 * 1024, seed + i);
  const small = o.smallFiles ?? 200;
  const fill = prng(seed + 1000);
  for (let i = 0; i < small; i++) {
    const dir = path.join(root, 'dataset', `shard-${Math.floor(i / 500)}`);
    if (i % 500 === 0) fs.mkdirSync(dir, { recursive: true });
    const b = Buffer.allocUnsafe(100 + ((i * 7919) % 5000));
    fill(b);
    fs.writeFileSync(path.join(dir, `sample-${String(i).padStart(6, '0')}.bin`), b);
  }
  fs.writeFileSync(path.join(root, 'configs', 'train.yaml'), 'lr: 0.001\nbatch: 64\n');
  fs.writeFileSync(path.join(root, 'configs', 'empty.txt'), '');
  fs.writeFileSync(path.join(root, 'configs', 'ünïcødé 模型 ✓.json'), '{"ok":true}');
  fs.writeFileSync(path.join(root, 'configs', 'name with spaces & $ymbols'), 'odd');
  fs.writeFileSync(path.join(root, 'configs', 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  fs.writeFileSync(path.join(root, 'configs', 'readonly.cfg'), 'ro', { mode: 0o444 });
  fs.chmodSync(path.join(root, 'configs', 'readonly.cfg'), 0o444);
  fs.symlinkSync('train.yaml', path.join(root, 'configs', 'current.yaml'));
  fs.symlinkSync('../../etc/passwd', path.join(root, 'configs', 'outside-link'));
  fs.utimesSync(path.join(root, 'configs', 'train.yaml'), new Date('2024-01-02T03:04:05.678Z'), new Date('2024-01-02T03:04:05.678Z'));
}

export interface NodeInfo {
  type: string;
  mode: number;
  size?: number;
  /** microseconds since the epoch, as a decimal string: what every Node.js version restores exactly */
  mtimeUs: string;
  sha256?: string;
  target?: string;
}

/** path -> type, mode, size, mtime (µs), content hash or link target; the thing a restore must reproduce. */
export function describeTree(root: string): Map<string, NodeInfo> {
  const out = new Map<string, NodeInfo>();
  const walk = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const abs = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(abs, { bigint: true });
      const base = { mode: Number(st.mode & 0o7777n), mtimeUs: (st.mtimeNs / 1000n).toString() };
      if (st.isSymbolicLink()) out.set(r, { type: 'symlink', ...base, target: fs.readlinkSync(abs) });
      else if (st.isDirectory()) {
        walk(abs, r);
        out.set(r, { type: 'dir', ...base });
      } else out.set(r, { type: 'file', ...base, size: Number(st.size), sha256: createHash('sha256').update(fs.readFileSync(abs)).digest('hex') });
    }
  };
  walk(root, '');
  return out;
}
