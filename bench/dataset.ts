import fs from 'node:fs';
import path from 'node:path';

/**
 * A deterministic synthetic AI asset set: a few big checkpoint shards, many small dataset
 * samples, some configs. Content is xorshift32 output: incompressible, like trained weights.
 */
export interface DatasetSpec {
  scale: number;
  checkpoints: { name: string; size: number }[];
  smallFiles: number;
  /** small files are uniformly MIN..MAX bytes */
  smallMin: number;
  smallMax: number;
  filesPerShard: number;
}

export interface DatasetInfo {
  root: string;
  files: number;
  dirs: number;
  bytes: number;
  checkpointBytes: number;
  smallBytes: number;
  configBytes: number;
  generateMs: number;
}

export interface ChangeInfo {
  /** bytes whose content differs from before: the checkpoint overwrite + rewritten small files */
  changedBytes: number;
  changedFraction: number;
  checkpoint: { file: string; offset: number; length: number };
  rewrittenFiles: number;
  rewrittenBytes: number;
  /** files whose mtime moved but whose content is the same */
  touchedFiles: number;
}

const MiB = 1024 * 1024;

export function datasetSpec(scale = 1): DatasetSpec {
  const ck = (n: number) => Math.max(MiB, Math.round((200 * MiB * scale) / 65536) * 65536 + n * 4096);
  return {
    scale,
    checkpoints: [
      { name: 'model-00001-of-00003.safetensors', size: ck(1) },
      { name: 'model-00002-of-00003.safetensors', size: ck(2) },
      { name: 'optimizer.pt', size: ck(3) },
    ],
    smallFiles: Math.max(10, Math.round(20_000 * scale)),
    smallMin: 1024,
    smallMax: 16 * 1024,
    filesPerShard: 1000,
  };
}

/**
 * xorshift128 stream filling whole 32-bit words (period 2^128 - 1), its four words of state
 * spread from the seed by splitmix32. Not xorshift32: its one cycle of 2^32 - 1 words (16 GiB)
 * holds every seed's stream, so an 8 GiB checkpoint's stream held most of any other seed's, and
 * the cost curve's "changed" tensors were bytes the checkpoint already had (deduplicated, not new).
 */
export class XorShift {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    let z = seed >>> 0;
    const mix = () => {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z ^ (z >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix() || 1;
  }
  next(): number {
    const t = this.a ^ (this.a << 11);
    this.a = this.b;
    this.b = this.c;
    this.c = this.d;
    this.d = (this.d ^ (this.d >>> 19) ^ t ^ (t >>> 8)) >>> 0;
    return this.d;
  }
  fill(buf: Buffer): void {
    const words = buf.length >>> 2;
    if (buf.byteOffset % 4 === 0) {
      const u = new Uint32Array(buf.buffer, buf.byteOffset, words);
      let { a, b, c, d } = this;
      for (let i = 0; i < words; i++) {
        const t = a ^ (a << 11);
        a = b;
        b = c;
        c = d;
        d = d ^ (d >>> 19) ^ t ^ (t >>> 8);
        u[i] = d;
      }
      Object.assign(this, { a, b, c, d: d >>> 0 });
    } else {
      for (let i = 0; i < words; i++) buf.writeUInt32LE(this.next(), i * 4);
    }
    for (let i = words * 4; i < buf.length; i++) buf[i] = this.next() & 0xff;
  }
}

export function writeRandom(file: string, size: number, seed: number): void {
  const rng = new XorShift(seed);
  const block = Buffer.allocUnsafeSlow(Math.min(size, 8 * MiB));
  const fd = fs.openSync(file, 'w');
  try {
    for (let off = 0; off < size; off += block.length) {
      const n = Math.min(block.length, size - off);
      rng.fill(block);
      let w = 0;
      while (w < n) w += fs.writeSync(fd, block, w, n - w);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A dataset tree of `n` small random files (1-8 KiB, 1000 to a shard folder), the cost curve's
 * `files:N` point and the scale-out scenario's tree. Same n, same bytes.
 */
export function generateFileTree(root: string, n: number): { files: number; bytes: number } {
  const rng = new XorShift(99);
  const buf = Buffer.allocUnsafeSlow(8192);
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const dir = path.join(root, `shard-${String(Math.floor(i / 1000)).padStart(4, '0')}`);
    if (i % 1000 === 0) fs.mkdirSync(dir, { recursive: true });
    const b = buf.subarray(0, 1024 + (rng.next() % 7168));
    rng.fill(b);
    fs.writeFileSync(path.join(dir, `s-${i}.bin`), b);
    bytes += b.length;
  }
  return { files: n, bytes };
}

const smallName = (i: number, spec: DatasetSpec) =>
  path.join('dataset', `shard-${String(Math.floor(i / spec.filesPerShard)).padStart(4, '0')}`, `sample-${String(i).padStart(7, '0')}.bin`);

function smallSize(i: number, spec: DatasetSpec): number {
  const r = new XorShift(0x51ed270b ^ Math.imul(i + 1, 0x9e3779b1)).next();
  return spec.smallMin + (r % (spec.smallMax - spec.smallMin + 1));
}

const FIXED_MTIME = new Date('2025-06-01T12:00:00Z');

/** Writes the asset set into root (which must not exist yet). Same scale, same bytes. */
export function generateDataset(root: string, spec: DatasetSpec): DatasetInfo {
  const t0 = performance.now();
  fs.mkdirSync(path.join(root, 'checkpoints'), { recursive: true });
  fs.mkdirSync(path.join(root, 'configs'), { recursive: true });
  let dirs = 3;
  let files = 0;
  let checkpointBytes = 0;
  spec.checkpoints.forEach((c, i) => {
    writeRandom(path.join(root, 'checkpoints', c.name), c.size, 1000 + i);
    checkpointBytes += c.size;
    files++;
  });

  let smallBytes = 0;
  const rng = new XorShift(7);
  const buf = Buffer.allocUnsafeSlow(spec.smallMax);
  for (let i = 0; i < spec.smallFiles; i++) {
    const rel = smallName(i, spec);
    if (i % spec.filesPerShard === 0) {
      fs.mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
      dirs++;
    }
    const size = smallSize(i, spec);
    const b = buf.subarray(0, size);
    rng.fill(b);
    fs.writeFileSync(path.join(root, rel), b);
    smallBytes += size;
    files++;
  }

  const configs: Record<string, string> = {
    'configs/config.json': JSON.stringify(
      { architectures: ['LlamaForCausalLM'], hidden_size: 4096, num_hidden_layers: 32, vocab_size: 128256, torch_dtype: 'bfloat16' },
      null,
      2,
    ),
    'configs/generation_config.json': JSON.stringify({ temperature: 0.6, top_p: 0.9, max_new_tokens: 512 }, null, 2),
    'configs/train.yaml': 'lr: 3.0e-4\nbatch_size: 1024\nwarmup_steps: 2000\nseed: 42\n',
    'checkpoints/model.safetensors.index.json': JSON.stringify({
      weight_map: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`model.layers.${i % 32}.w${i}`, spec.checkpoints[i % 2].name])),
    }),
  };
  // a tokenizer-like vocabulary: big text file, deterministic
  const vocab: string[] = [];
  const vr = new XorShift(99);
  for (let i = 0; i < Math.round(50_000 * Math.max(0.1, Math.min(1, spec.scale))); i++) vocab.push(`"${(vr.next() >>> 0).toString(36)}${i.toString(36)}":${i}`);
  configs['configs/tokenizer.json'] = `{"model":{"type":"BPE","vocab":{${vocab.join(',')}}}}`;
  let configBytes = 0;
  for (const [rel, text] of Object.entries(configs)) {
    fs.writeFileSync(path.join(root, rel), text);
    configBytes += Buffer.byteLength(text);
    files++;
  }
  fs.symlinkSync('../checkpoints/model.safetensors.index.json', path.join(root, 'configs', 'weights-index.json'));

  // fixed mtimes: the tree's metadata is as deterministic as its bytes
  const setTimes = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) setTimes(p);
      if (!e.isSymbolicLink()) fs.utimesSync(p, FIXED_MTIME, FIXED_MTIME);
    }
  };
  setTimes(root);
  fs.utimesSync(root, FIXED_MTIME, FIXED_MTIME);
  const bytes = checkpointBytes + smallBytes + configBytes;
  return { root, files, dirs, bytes, checkpointBytes, smallBytes, configBytes, generateMs: performance.now() - t0 };
}

/**
 * About 1% of the bytes change: a contiguous stretch inside one checkpoint is overwritten,
 * a few dozen small files get new content, a few dozen more are only touched (mtime).
 */
export function applyChange(info: DatasetInfo, spec: DatasetSpec): ChangeInfo {
  const target = Math.round(info.bytes * 0.01);
  const rng = new XorShift(424242);
  const rewrite = Math.min(48, Math.floor(spec.smallFiles / 4));
  const touch = Math.min(24, Math.floor(spec.smallFiles / 4));
  let rewrittenBytes = 0;
  const buf = Buffer.allocUnsafeSlow(spec.smallMax);
  const stride = Math.max(1, Math.floor(spec.smallFiles / (rewrite + touch)));
  const now = new Date();
  for (let k = 0; k < rewrite + touch; k++) {
    const i = (k * stride + 17) % spec.smallFiles;
    const file = path.join(info.root, smallName(i, spec));
    if (k < rewrite) {
      const size = smallSize(i, spec);
      rng.fill(buf.subarray(0, size));
      fs.writeFileSync(file, buf.subarray(0, size));
      rewrittenBytes += size;
    } else {
      fs.utimesSync(file, now, now);
    }
  }
  const ck = spec.checkpoints[1];
  const length = Math.max(65536, Math.floor((target - rewrittenBytes) / 65536) * 65536);
  const offset = Math.floor(ck.size / 3 / 4096) * 4096;
  const file = path.join(info.root, 'checkpoints', ck.name);
  const block = Buffer.allocUnsafeSlow(length);
  rng.fill(block);
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, block, 0, length, offset);
  } finally {
    fs.closeSync(fd);
  }
  const changedBytes = length + rewrittenBytes;
  return {
    changedBytes,
    changedFraction: changedBytes / info.bytes,
    checkpoint: { file: path.relative(info.root, file), offset, length },
    rewrittenFiles: rewrite,
    rewrittenBytes,
    touchedFiles: touch,
  };
}
