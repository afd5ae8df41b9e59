import fs from 'node:fs';
import path from 'node:path';
import { writeRandomFile } from '../test/helpers/tree-fixture';
import type { Rng } from './rng';

const MiB = 1024 * 1024;

export interface SourceOptions {
  scale: number;
  /** seed of the first large file: two sources given the same one share its chunks */
  sharedSeed: number;
}

/**
 * One asset's source folder: a few multi-MB files and some small ones in nested folders, a
 * symlink, odd modes. `mutate` changes it between backups, never while one of it runs.
 */
export class Source {
  private serial = 0;
  /** (size, seed) of every large file version written, so an old version can come back */
  private versions: [number, number][] = [];

  constructor(
    readonly root: string,
    private readonly rng: Rng,
    private readonly o: SourceOptions,
  ) {}

  create(): void {
    fs.mkdirSync(path.join(this.root, 'models'), { recursive: true });
    fs.mkdirSync(path.join(this.root, 'data', 'shard-0'), { recursive: true });
    fs.mkdirSync(path.join(this.root, 'empty'), { recursive: true });
    this.writeLarge(path.join(this.root, 'models', 'base.bin'), 3 * MiB + this.rng.int(0, MiB), this.o.sharedSeed);
    const large = Math.max(1, Math.round(this.o.scale));
    for (let i = 0; i < large; i++) this.writeLarge(path.join(this.root, 'models', `ckpt-${i}.bin`), this.rng.int(2 * MiB, 5 * MiB), this.rng.int(1, 1e9));
    const small = 12 * Math.round(this.o.scale);
    for (let i = 0; i < small; i++) this.writeSmall(path.join(this.root, 'data', `shard-${i % 3}`, `s-${i}.json`));
    fs.writeFileSync(path.join(this.root, 'run.sh'), '#!/bin/sh\necho chaos\n', { mode: 0o755 });
    fs.writeFileSync(path.join(this.root, 'empty.txt'), '');
    fs.symlinkSync('models/base.bin', path.join(this.root, 'latest'));
  }

  private writeLarge(file: string, size: number, seed: number): void {
    writeRandomFile(file, size, seed);
    this.versions.push([size, seed]);
  }

  private writeSmall(file: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const b = Buffer.alloc(this.rng.int(0, 24 * 1024));
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(this.rng.next() * 256);
    fs.writeFileSync(file, b);
  }

  private files(sub: string): string[] {
    const dir = path.join(this.root, sub);
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((n) => path.join(dir, n))
      .filter((p) => fs.lstatSync(p).isFile());
  }

  /** A few random edits; returns what it did (for the run log). */
  mutate(edits: number, forced?: 'revertLarge'): string[] {
    const did: string[] = [];
    for (let i = 0; i < edits; i++) {
      const kind =
        forced ??
        this.rng.pick([
          'editSmall',
          'addSmall',
          'deleteSmall',
          'rewriteLarge',
          'rewriteLarge',
          'revertLarge',
          'revertLarge',
          'appendLarge',
          'chmod',
          'touch',
          'symlink',
          'mkdir',
        ] as const);
      const small = this.files('data');
      const large = this.files('models');
      if (kind === 'editSmall' && small.length) this.writeSmall(this.rng.pick(small));
      else if (kind === 'addSmall' || (kind === 'editSmall' && !small.length))
        this.writeSmall(path.join(this.root, 'data', `shard-${this.rng.int(0, 3)}`, `n-${this.serial++}.json`));
      else if (kind === 'deleteSmall' && small.length > 1) fs.rmSync(this.rng.pick(small));
      else if (kind === 'rewriteLarge' && large.length) this.writeLarge(this.rng.pick(large), this.rng.int(2 * MiB, 6 * MiB), this.rng.int(1, 1e9));
      // content of an older (maybe forgotten, maybe marked) snapshot comes back: dedup meets prune
      else if (kind === 'revertLarge' && large.length && this.versions.length) this.writeLarge(this.rng.pick(large), ...this.rng.pick(this.versions));
      else if (kind === 'appendLarge' && large.length) {
        const b = Buffer.alloc(this.rng.int(1, 300 * 1024), this.rng.int(0, 255));
        fs.appendFileSync(this.rng.pick(large), b);
      } else if (kind === 'chmod' && small.length) fs.chmodSync(this.rng.pick(small), this.rng.pick([0o600, 0o644, 0o640, 0o755, 0o444]));
      else if (kind === 'touch' && small.length) {
        const t = new Date(Date.UTC(2020, 0, 1) + this.rng.int(0, 1e9) * 100);
        fs.utimesSync(this.rng.pick(small), t, t);
      } else if (kind === 'symlink')
        fs.symlinkSync(this.rng.pick(['../run.sh', 'missing-target', '/etc/hostname']), path.join(this.root, 'data', `link-${this.serial++}`));
      else if (kind === 'mkdir') fs.mkdirSync(path.join(this.root, 'data', `dir-${this.serial++}`, 'deep'), { recursive: true });
      did.push(kind);
    }
    return did;
  }
}
