import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AlreadyExistsError, BadInputError, NotFoundError } from '../../common/errors';
import type { BlobStore, ByteRange, ObjectInfo, PutOptions } from './blob-store';
import { assertValidKey, assertValidPrefix, assertValidRange, compareKeys } from './keys';

/** In-flight writes: `.<16 hex>.lepton-tmp` next to their target; never listed, never valid keys. */
const TEMP_NAME = /^\.[0-9a-f]{16}\.lepton-tmp$/;

/** Error codes meaning "no object under this key" (a missing file, or a path through a file or onto a directory). */
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * BlobStore over a local folder: key "a/b/c" is the file <root>/a/b/c. Writes go to a temp
 * file in the target folder, are fsynced, then renamed (or hard-linked for create-only, which
 * is atomic: of two concurrent create-only puts exactly one wins). A key cannot be both an
 * object and a "folder" of other objects here, unlike S3; repository keys never need that.
 */
export class FsStore implements BlobStore {
  readonly root: string;
  readonly url: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.url = pathToFileURL(this.root).href;
  }

  async put(key: string, body: Buffer, opts: PutOptions = {}): Promise<void> {
    // dropping a retention silently would claim a protection the folder does not give
    if (opts.lock) throw new BadInputError(`${this.url}: a filesystem repository cannot hold S3 Object Lock retention`);
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    const created = await fsp.mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `.${randomBytes(8).toString('hex')}.lepton-tmp`);
    try {
      const fh = await fsp.open(tmp, 'wx', 0o644);
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (opts.createOnly) {
        await fsp.link(tmp, file).catch((err: unknown) => {
          if (errCode(err) === 'EEXIST') throw new AlreadyExistsError(`object already exists: ${key}`);
          throw err;
        });
      } else {
        await fsp.rename(tmp, file);
      }
    } finally {
      await fsp.rm(tmp, { force: true });
    }
    await syncDirs(created, dir);
  }

  async get(key: string, range?: ByteRange): Promise<Buffer> {
    const file = this.pathOf(key);
    if (range) assertValidRange(range);
    try {
      if (!range) return await fsp.readFile(file);
      const fh = await fsp.open(file, 'r');
      try {
        const { size } = await fh.stat();
        const want = Math.max(0, Math.min(range.length, size - range.start));
        const buf = Buffer.allocUnsafe(want);
        let done = 0;
        while (done < want) {
          const { bytesRead } = await fh.read(buf, done, want - done, range.start + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return done === want ? buf : buf.subarray(0, done);
      } finally {
        await fh.close();
      }
    } catch (err) {
      if (MISSING.has(errCode(err) ?? '')) throw new NotFoundError(`object not found: ${key}`);
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const file = this.pathOf(key);
    try {
      const st = await fsp.stat(file);
      return st.isFile() ? { key, size: st.size } : undefined;
    } catch (err) {
      if (MISSING.has(errCode(err) ?? '')) return undefined;
      throw err;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    assertValidPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    const out: ObjectInfo[] = [];
    await this.walk(base, prefix, out);
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  async delete(key: string): Promise<void> {
    try {
      await fsp.unlink(this.pathOf(key));
    } catch (err) {
      if (!MISSING.has(errCode(err) ?? '')) throw err;
    }
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    if (key.split('/').some((seg) => TEMP_NAME.test(seg))) {
      throw new BadInputError(`object key looks like a temp file of FsStore: ${JSON.stringify(key)}`);
    }
    return path.join(this.root, ...key.split('/'));
  }

  /** Collects files under <root>/<relDir> whose key starts with prefix. */
  private async walk(relDir: string, prefix: string, out: ObjectInfo[]): Promise<void> {
    let entries;
    try {
      entries = await fsp.readdir(path.join(this.root, ...relDir.split('/')), { withFileTypes: true });
    } catch (err) {
      if (MISSING.has(errCode(err) ?? '')) return;
      throw err;
    }
    await Promise.all(
      entries.map(async (e) => {
        if (TEMP_NAME.test(e.name)) return;
        const key = relDir ? `${relDir}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await this.walk(key, prefix, out);
        } else if (e.isFile() && key.startsWith(prefix)) {
          const st = await fsp.stat(path.join(this.root, ...key.split('/'))).catch((err: unknown) => {
            if (MISSING.has(errCode(err) ?? '')) return undefined; // deleted while listing
            throw err;
          });
          if (st) out.push({ key, size: st.size });
        }
      }),
    );
  }
}

/** Makes new directory entries durable: the renamed file's folder and any folders mkdir created. */
async function syncDirs(firstCreated: string | undefined, dir: string): Promise<void> {
  const dirs = [dir];
  if (firstCreated) {
    for (let d = dir; d !== path.dirname(firstCreated) && d !== path.dirname(d); d = path.dirname(d)) {
      dirs.push(path.dirname(d));
    }
  }
  for (const d of new Set(dirs)) {
    const fh = await fsp.open(d, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
