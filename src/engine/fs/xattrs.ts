import { runTool } from './run-tool';

/**
 * Extended attributes through attr's getfattr/setfattr (Node has no xattr API): one getfattr
 * run over the whole source at scan time, one `setfattr --restore` at restore time. Values are
 * base64; names are kept whole (user, and trusted or security ones when the process may read them).
 */
export type Xattrs = Record<string, string>;

/** getfattr/setfattr dump quoting: `\ooo` octal for anything not plain printable ASCII. */
function quote(b: Buffer): string {
  let s = '';
  for (const c of b) s += c > 0x20 && c < 0x7f && c !== 0x5c && c !== 0x3d ? String.fromCharCode(c) : `\\${c.toString(8).padStart(3, '0')}`;
  return s;
}

function unquote(b: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x5c && i + 3 < b.length && /^[0-7]{3}$/.test(b.toString('latin1', i + 1, i + 4))) {
      out.push(parseInt(b.toString('latin1', i + 1, i + 4), 8));
      i += 3;
    } else out.push(b[i]);
  }
  return Buffer.from(out);
}

/** Parse `getfattr -d -e base64 --absolute-names` output: absolute path bytes (latin1 key) -> attributes. */
export function parseXattrDump(dump: Buffer): Map<string, Xattrs> {
  const out = new Map<string, Xattrs>();
  let cur: Xattrs | undefined;
  let start = 0;
  while (start < dump.length) {
    let end = dump.indexOf(0x0a, start);
    if (end < 0) end = dump.length;
    const line = dump.subarray(start, end);
    start = end + 1;
    if (line.length === 0) continue;
    if (line.toString('latin1', 0, 8) === '# file: ') {
      cur = {};
      out.set(unquote(line.subarray(8)).toString('latin1'), cur);
      continue;
    }
    if (!cur || line[0] === 0x23) continue;
    const eq = line.indexOf(0x3d);
    const name = unquote(eq < 0 ? line : line.subarray(0, eq)).toString('utf8');
    const raw = eq < 0 ? '' : line.toString('latin1', eq + 1);
    cur[name] = raw.startsWith('0s') ? raw.slice(2) : raw === '""' ? '' : Buffer.from(raw.replace(/^"|"$/g, ''), 'latin1').toString('base64');
  }
  return out;
}

export interface XattrScan {
  /** absolute path bytes (as a latin1 string) -> attributes; undefined when getfattr is missing */
  byPath?: Map<string, Xattrs>;
  warning?: string;
}

/** Every extended attribute under `root` (root included), without following symlinks. */
export async function readXattrs(root: string): Promise<XattrScan> {
  const r = await runTool('getfattr', ['-R', '-P', '-d', '-h', '-m', '-', '-e', 'base64', '--absolute-names', root]);
  if (r.code === null) return { warning: 'getfattr is not installed (Debian package attr): extended attributes are not backed up' };
  // getfattr exits 1 when some entry vanished or could not be read, which the walk already
  // warns about; what it printed is still right. Anything else is worth a warning of its own.
  const other = r.stderr.split('\n').filter((l) => l.trim() && !/Permission denied|No such file or directory/.test(l));
  const byPath = parseXattrDump(r.stdout);
  return r.code !== 0 && other.length ? { byPath, warning: `getfattr: some extended attributes not backed up: ${other[0]}` } : { byPath };
}

/** Set attributes on many entries in one `setfattr --restore` run. Returns a warning or undefined. */
export async function writeXattrs(items: { abs: Buffer; attrs: Xattrs }[]): Promise<string | undefined> {
  if (!items.length) return undefined;
  const lines: string[] = [];
  for (const it of items) {
    lines.push(`# file: ${quote(it.abs)}`);
    for (const [k, v] of Object.entries(it.attrs)) lines.push(`${quote(Buffer.from(k, 'utf8'))}=0s${v}`);
    lines.push('');
  }
  const r = await runTool('setfattr', ['-h', '--restore=-'], lines.join('\n'));
  if (r.code === null) return 'setfattr is not installed (Debian package attr): extended attributes were not restored';
  if (r.code !== 0) return `setfattr: some extended attributes were not restored: ${r.stderr.trim().split('\n')[0]}`;
  return undefined;
}
