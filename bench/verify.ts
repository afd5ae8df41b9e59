import { describeTree, type NodeInfo } from '../test/helpers/tree-fixture';

/** Compares a restored tree with the source: type, mode, size, mtime (ms), content hash, link target. */
export interface TreeCheck {
  identical: boolean;
  entries: number;
  differences: string[];
  /** differences in content, size or type only (mtime/mode of folders and links aside) */
  contentIdentical: boolean;
}

export type TreeDescription = Map<string, NodeInfo>;

export const describe = describeTree;

export function compareTrees(expected: TreeDescription, restored: string): TreeCheck {
  const got = describeTree(restored);
  const differences: string[] = [];
  let contentDiffers = false;
  for (const [p, want] of expected) {
    const have = got.get(p);
    if (!have) {
      differences.push(`${p}: missing`);
      contentDiffers = true;
      continue;
    }
    if (have.type !== want.type || have.size !== want.size || have.sha256 !== want.sha256 || have.target !== want.target) {
      differences.push(`${p}: content differs`);
      contentDiffers = true;
    } else if (have.mode !== want.mode) differences.push(`${p}: mode ${have.mode.toString(8)} != ${want.mode.toString(8)}`);
    else if (have.mtimeUs !== want.mtimeUs) differences.push(`${p}: mtime ${have.mtimeUs} != ${want.mtimeUs} µs`);
  }
  for (const p of got.keys()) {
    if (!expected.has(p)) {
      differences.push(`${p}: unexpected`);
      contentDiffers = true;
    }
  }
  return { identical: differences.length === 0, entries: got.size, differences: differences.slice(0, 10), contentIdentical: !contentDiffers };
}
