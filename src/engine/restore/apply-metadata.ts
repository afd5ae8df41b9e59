import fs from 'node:fs';
import { mapLimit } from '../../common/map-limit';
import { joinFs, pathBytes, type FsPath } from '../fs/raw-path';
import { makeSpecial } from '../fs/special-files';
import { ExactMtimes, toSeconds } from '../fs/mtimes';
import { writeXattrs, type Xattrs } from '../fs/xattrs';
import type { RootMeta, TreeEntry } from '../repo/tree';
import type { FinishItem, RestoreItem, RestorePlan } from './restore-plan';

/**
 * Owners, modes, times, links, special files and xattrs of restored entries.
 *
 * Owners are restored only when the process runs as root. Order matters: chown before chmod,
 * because chown clears setuid/setgid, and a root worker must never leave a user's setuid
 * file owned by root with the bit set. Without root, setuid/setgid are dropped (the file would
 * belong to the restoring user, a privilege the snapshot's owner never granted).
 */

export const isRoot = (): boolean => process.getuid?.() === 0;

type Owned = { uid?: number; gid?: number };
const hasOwner = (e: Owned): e is { uid: number; gid: number } => e.uid !== undefined && e.gid !== undefined;

/**
 * The mode bits to apply: setuid/setgid kept only when the recorded owner is restored too
 * (`ownerRestored`: running as root and the entry has uid/gid). An entry of an older snapshot
 * has no owner, so a root restore would make it a setuid-root file: its bits are dropped.
 */
export function restoredMode(mode: number, ownerRestored: boolean): number {
  return ownerRestored ? mode : mode & ~0o6000;
}

/** What a restore by this process will not reproduce, for the plan summary. */
export function metadataWarnings(entries: TreeEntry[], asRoot: boolean): string[] {
  const out: string[] = [];
  const suid = entries.filter((e) => e.mode & 0o6000 && !(asRoot && hasOwner(e)));
  if (suid.length)
    out.push(
      `${asRoot ? 'no owner recorded (older snapshot)' : 'not running as root'}: setuid/setgid bits dropped on ${suid.length} entries (first: ${suid[0].path})`,
    );
  if (asRoot) return out;
  if (entries.some(hasOwner)) out.push('not running as root: owners (uid/gid) are not restored');
  const devs = entries.filter((e) => e.type === 'chardev' || e.type === 'blockdev');
  if (devs.length) out.push(`not running as root: ${devs.length} device nodes are not restored (first: ${devs[0].path})`);
  return out;
}

/** Owner then mode of an open file (restore batches). */
/** The owner to give a restored file (only as root, and only a recorded one) and the mode bits that go with it. */
export function ownerAndMode(item: RestoreItem): { owner?: { uid: number; gid: number }; mode: number } {
  const own = isRoot() && hasOwner(item);
  return { owner: own ? { uid: item.uid as number, gid: item.gid as number } : undefined, mode: restoredMode(item.mode, own) };
}

export async function ownAndChmod(fh: fs.promises.FileHandle, item: RestoreItem): Promise<void> {
  const { owner, mode } = ownerAndMode(item);
  if (owner) await fh.chown(owner.uid, owner.gid);
  await fh.chmod(mode);
}

async function setMeta(abs: FsPath, m: RootMeta & Owned, symlink: boolean): Promise<void> {
  const root = isRoot();
  const mt = toSeconds(m.mtimeNs);
  if (symlink) {
    if (root && hasOwner(m)) await fs.promises.lchown(abs, m.uid, m.gid);
    await fs.promises.lutimes(abs, mt, mt);
    return;
  }
  const own = root && hasOwner(m);
  if (own) await fs.promises.chown(abs, m.uid, m.gid);
  await fs.promises.chmod(abs, restoredMode(m.mode, own));
  await fs.promises.utimes(abs, mt, mt);
}

type Final = { abs: FsPath; mtimeNs: string; xattrs?: Xattrs };

/** folders given their owner, mode and times at once by the finish step */
const META_CONCURRENCY = 16;

/** Entries grouped by depth, deepest first. */
function byDepth<E extends { path: string; rawPath?: string }>(entries: E[]): E[][] {
  const levels = new Map<number, E[]>();
  for (const e of entries) {
    const b = pathBytes(e);
    let depth = 0;
    for (const c of b) if (c === 0x2f) depth++;
    const l = levels.get(depth) ?? [];
    l.push(e);
    levels.set(depth, l);
  }
  return [...levels.entries()].sort((a, b) => b[0] - a[0]).map(([, l]) => l);
}

async function xattrsOf(items: Final[], warnings: string[]): Promise<void> {
  const todo = items.filter((i) => i.xattrs && Object.keys(i.xattrs).length);
  // user.* xattrs need write permission: without root, lend the owner write on read-only files meanwhile
  const lent: { abs: FsPath; mode: number }[] = [];
  if (!isRoot()) {
    for (const i of todo) {
      const st = await fs.promises.lstat(i.abs);
      if (st.isFile() && !(st.mode & 0o200)) {
        lent.push({ abs: i.abs, mode: st.mode & 0o7777 });
        await fs.promises.chmod(i.abs, (st.mode & 0o7777) | 0o200);
      }
    }
  }
  try {
    const w = await writeXattrs(todo.map((i) => ({ abs: Buffer.from(i.abs), attrs: i.xattrs as Xattrs })));
    if (w) warnings.push(w);
  } finally {
    for (const l of lent) await fs.promises.chmod(l.abs, l.mode);
  }
}

/** The files whose mtime on disk is not exactly the recorded one yet (a batch sets them as it writes, see run-restore-batch.ts). */
function notExact(files: Final[]): Final[] {
  return files.filter((f) => {
    try {
      return fs.lstatSync(f.abs, { bigint: true }).mtimeNs.toString() !== f.mtimeNs;
    } catch {
      return true;
    }
  });
}

/**
 * Everything the finish step does before the swap, in an order where no later step disturbs
 * an earlier one: the files' xattrs, and the exact mtimes of any file whose batch did not set
 * them (batch by batch, so memory stays bounded by a batch), then special files, hard links,
 * symlinks, the xattrs of all of those and of the folders, the folders' owners, modes and times
 * (deepest first, the root last; the files' exact mtimes are all set before a folder can lose
 * its search permission), and exact mtimes for all. One python3 process sets every exact mtime:
 * `exact` when given (the one the batches of this process used), which it closes. Idempotent.
 * Returns warnings for what could not be reproduced.
 */
export async function applyFinishMetadata(
  plan: RestorePlan,
  batchItems: (batch: number) => Promise<FinishItem[]>,
  exact: ExactMtimes = new ExactMtimes(),
): Promise<string[]> {
  const warnings: string[] = [];
  try {
    await applyInOrder(plan, batchItems, exact, warnings);
  } finally {
    const w = await exact.close();
    if (w) warnings.push(w);
  }
  return warnings;
}

async function applyInOrder(plan: RestorePlan, batchItems: (batch: number) => Promise<FinishItem[]>, exact: ExactMtimes, warnings: string[]): Promise<void> {
  const root = isRoot();
  const at = (e: { path: string; rawPath?: string }) => joinFs(plan.staging, e);
  for (let b = 0; b < plan.batches; b++) {
    const files = (await batchItems(b)).map((f) => ({ abs: at(f), mtimeNs: f.mtimeNs, xattrs: f.xattrs }));
    // setting xattrs changes no mtime: both orders are fine for files
    await xattrsOf(files, warnings);
    await exact.add(notExact(files));
  }

  const rest: Final[] = [];
  let devicesSkipped = 0;
  for (const e of plan.others) {
    if (e.type !== 'fifo' && e.type !== 'chardev' && e.type !== 'blockdev') continue;
    if (e.type !== 'fifo' && !root) {
      devicesSkipped++;
      continue;
    }
    const abs = at(e);
    await makeSpecial(abs, plan.staging, e.type, e.type === 'fifo' ? 0 : e.major, e.type === 'fifo' ? 0 : e.minor);
    await setMeta(abs, e, false);
    rest.push({ abs, ...e });
  }
  if (devicesSkipped) warnings.push(`${devicesSkipped} device nodes not restored: not running as root`);

  for (const h of plan.hardlinks ?? []) {
    const abs = at(h);
    await fs.promises.rm(abs, { force: true });
    await fs.promises.link(at(h.leader), abs);
  }

  for (const e of plan.others) {
    if (e.type !== 'symlink') continue;
    const abs = at(e);
    await fs.promises.rm(abs, { force: true });
    await fs.promises.symlink(e.rawTarget !== undefined ? Buffer.from(e.rawTarget, 'base64') : e.target, abs);
    await setMeta(abs, e, true);
    rest.push({ abs, ...e });
  }

  const dirs = plan.others.filter((e) => e.type === 'dir').sort((a, b) => pathBytes(b).length - pathBytes(a).length);
  for (const d of dirs) rest.push({ abs: at(d), ...d });
  if (plan.root) rest.push({ abs: plan.staging, ...plan.root });
  // xattrs before folder modes: a folder about to become read-only still takes them
  await xattrsOf(rest, warnings);
  await exact.settled();
  // deepest first, one depth at a time, the folders of a depth concurrently: none of them is
  // above another, and each comes after everything below it
  for (const level of byDepth(dirs)) await mapLimit(level, META_CONCURRENCY, (d) => setMeta(at(d), d, false));
  if (plan.root) await setMeta(plan.staging, plan.root, false);
  await exact.add(rest);
}
