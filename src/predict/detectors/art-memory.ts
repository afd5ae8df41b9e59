/**
 * Fuzzy ART category memory (Carpenter, Grossberg and Rosen 1991) over inputs in [0, 1]^dim with
 * complement coding and fast learning, kept in its geometric form: with complement coding a
 * category's weight [u, 1 - v] is the hyperbox [u, v], the fuzzy AND of an input x with it is
 * the box grown to hold x, and
 *   match(x, j)  = |x ∧ w_j| / |x|       = 1 - size(box_j grown to x) / dim,
 *   choice(x, j) = |x ∧ w_j| / (α + |w_j|) = (dim - grown size) / (α + dim - size),
 * so an input resonates with category j when the box, grown to include it, stays within an
 * average width of 1 - vigilance per dimension. The search takes the categories that pass the
 * vigilance test and resonates with the one of highest choice (ties: the lower index); learning
 * grows its box. No category passing founds a new one (the input as a point box); a full memory
 * gives the slot of the category that resonated least recently (deterministic).
 */
import { z } from 'zod';

/** Choice parameter α: small, prefers the smallest box that already holds the input. */
const CHOICE_ALPHA = 1e-3;

export const artMemoryStateSchema = z
  .object({
    /** Per category, the box's lower then upper corner: 2 * dim numbers each. */
    boxes: z.array(z.array(z.number())),
    /** Per category, the step it last resonated or was founded at. */
    lastUse: z.array(z.number().int().nonnegative()),
    step: z.number().int().nonnegative(),
  })
  .strict();
export type ArtMemoryState = z.infer<typeof artMemoryStateSchema>;

/** What one presentation did. */
export interface Resonance {
  /** Best match over every category before learning (0 with no category yet). */
  readonly match: number;
  /** Whether the input founded a new category (no category passed the vigilance test). */
  readonly founded: boolean;
}

export class ArtMemory {
  private lo: Float64Array;
  private hi: Float64Array;
  private lastUse: Int32Array;
  private n = 0;
  private step = 0;

  constructor(
    readonly dim: number,
    readonly capacity: number,
  ) {
    this.lo = new Float64Array(capacity * dim);
    this.hi = new Float64Array(capacity * dim);
    this.lastUse = new Int32Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  /** Presents x (dim values in [0, 1]): resonates and learns, or founds a category. */
  present(x: ArrayLike<number>, vigilance: number): Resonance {
    const d = this.dim;
    const lo = this.lo;
    const hi = this.hi;
    const maxGrown = (1 - vigilance) * d;
    let bestMatchGrown = Infinity;
    let pick = -1;
    let pickChoice = -Infinity;
    for (let j = 0; j < this.n; j++) {
      const o = j * d;
      // a category whose grown box is past both the vigilance and the best match so far cannot matter
      const bound = maxGrown > bestMatchGrown ? maxGrown : bestMatchGrown;
      let grown = 0;
      for (let k = 0; k < d && grown <= bound; k++) {
        const a = lo[o + k]!;
        const b = hi[o + k]!;
        const v = x[k]!;
        grown += (v > b ? v : b) - (v < a ? v : a);
      }
      if (grown > bound) continue;
      if (grown < bestMatchGrown) bestMatchGrown = grown;
      if (grown <= maxGrown) {
        let size = 0;
        for (let k = 0; k < d; k++) size += hi[o + k]! - lo[o + k]!;
        const choice = (d - grown) / (CHOICE_ALPHA + d - size);
        if (choice > pickChoice) {
          pickChoice = choice;
          pick = j;
        }
      }
    }
    const match = this.n === 0 ? 0 : 1 - bestMatchGrown / d;
    this.step++;
    if (pick >= 0) {
      const o = pick * d;
      for (let k = 0; k < d; k++) {
        const v = x[k]!;
        if (v < lo[o + k]!) lo[o + k] = v;
        if (v > hi[o + k]!) hi[o + k] = v;
      }
      this.lastUse[pick] = this.step;
      return { match, founded: false };
    }
    this.found(x);
    return { match, founded: true };
  }

  private found(x: ArrayLike<number>): void {
    let slot = this.n;
    if (slot >= this.capacity) {
      slot = 0;
      for (let j = 1; j < this.n; j++) if (this.lastUse[j]! < this.lastUse[slot]!) slot = j;
    } else {
      this.n++;
    }
    const o = slot * this.dim;
    for (let k = 0; k < this.dim; k++) {
      this.lo[o + k] = x[k]!;
      this.hi[o + k] = x[k]!;
    }
    this.lastUse[slot] = this.step;
  }

  /** Forgets every category. */
  clear(): void {
    this.n = 0;
    this.step = 0;
  }

  state(): ArtMemoryState {
    const d = this.dim;
    const boxes: number[][] = [];
    for (let j = 0; j < this.n; j++) boxes.push([...this.lo.subarray(j * d, (j + 1) * d), ...this.hi.subarray(j * d, (j + 1) * d)]);
    return { boxes, lastUse: Array.from(this.lastUse.subarray(0, this.n)), step: this.step };
  }

  restore(st: ArtMemoryState): this {
    const d = this.dim;
    if (st.boxes.length > this.capacity || st.lastUse.length !== st.boxes.length) throw new Error('art memory state: more categories than its capacity');
    st.boxes.forEach((b, j) => {
      if (b.length !== 2 * d) throw new Error(`art memory state: category ${j} has ${b.length} numbers, expected ${2 * d}`);
      this.lo.set(b.slice(0, d), j * d);
      this.hi.set(b.slice(d), j * d);
    });
    this.lastUse.set(st.lastUse);
    this.n = st.boxes.length;
    this.step = st.step;
    return this;
  }
}
