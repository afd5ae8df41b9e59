/**
 * Adaptive-resonance pattern detector, after the idea of ARTime (Hampton 2021): the recent shape
 * of the series, as a short window of downsampled values, is matched against categories of
 * windows learnt so far (fuzzy ART, art-memory.ts); a window that resonates with none of them
 * founds a new category, and a category founded after the warm-up is an anomaly, scored by how
 * far its best match falls short of the vigilance.
 *
 * Pipeline, causal and streaming:
 * - downsampling: every `step` samples (step = warmup / (window * windowsPerWarmup), at least 1,
 *   so the warm-up holds about `windowsPerWarmup` windows whatever the sampling rate) one value,
 *   the block's minimum or maximum, whichever lies farther from the block's mean (spikes
 *   survive downsampling);
 * - normalisation: the range [lo, hi] of the downsampled values of the warm-up, widened by
 *   `rangeMargin` of itself on each side, is mapped to [0, 1] and frozen (values beyond are
 *   clipped: they are new anyway); values are quantised to `levels` levels, so noise below a
 *   level does not found categories;
 * - vigilance: learnt at the end of the warm-up from the warm-up's own windows: they are
 *   presented once at `initialVigilance` and the vigilance is the mean best match of the second
 *   half of them (at most `maxVigilance`): a smooth series gets tight categories, a noisy one
 *   loose ones. The memory is then relearnt from those windows at that vigilance;
 * - score: when a window founds a category after the warm-up, (vigilance - match) / (1 - match),
 *   the share of its mismatch beyond what the vigilance allows; 0 on every other sample. A
 *   category founded within `mask` downsampled points of the last scored one is learnt, not
 *   scored (one novel episode founds several categories in a row).
 * The detector has no per-series setting; everything it adapts to is learnt from the warm-up.
 */
import { z } from 'zod';
import type { Explanation, StreamingDetector, ValueView } from './detector';
import { IDENTITY_VIEW, fmt } from './detector';
import type { Sample } from '../series';
import { ArtMemory, artMemoryStateSchema } from './art-memory';
import { RecordTracker, ratioScore, recordTrackerStateSchema } from './stats';

export const artConfigSchema = z
  .object({
    /** Downsampled points per pattern window (ARTime: 8). */
    window: z.number().int().min(2).max(64).default(8),
    /** Windows the warm-up holds, which sets the downsampling step (ARTime: 13). */
    windowsPerWarmup: z.number().int().positive().default(13),
    /** Quantisation levels of the normalised range (ARTime: 80). */
    levels: z.number().int().min(2).default(80),
    /** Vigilance the warm-up's windows are first presented at (ARTime: 0.8). */
    initialVigilance: z.number().gt(0).lt(1).default(0.8),
    /** Highest learnt vigilance (ARTime caps its upper vigilance at 0.97). */
    maxVigilance: z.number().gt(0).lt(1).default(0.97),
    /** Lowest learnt vigilance (a very irregular warm-up must still discriminate). */
    minVigilance: z.number().gt(0).lt(1).default(0.5),
    /** Share of the warm-up's range added on each side before mapping to [0, 1]. */
    rangeMargin: z.number().nonnegative().default(0.5),
    /** Most categories kept (the least recently resonating one gives its slot). */
    capacity: z.number().int().positive().default(64),
    /** Downsampled points after a scored category during which new ones are not scored (ARTime: 1.5 windows). */
    mask: z.number().int().nonnegative().optional(),
    /** Samples before any score; its downsampled values set the range and the vigilance. */
    warmup: z.number().int().nonnegative().default(600),
  })
  .strict();
export type ArtConfig = z.infer<typeof artConfigSchema>;
export type ArtConfigInput = z.input<typeof artConfigSchema>;

export const artStateSchema = z
  .object({
    n: z.number().int().nonnegative(),
    block: z.object({ n: z.number().int().nonnegative(), sum: z.number(), min: z.number().nullable(), max: z.number().nullable() }).strict(),
    /** Downsampled values of the warm-up, raw (until the warm-up ends). */
    warm: z.array(z.number()),
    /** Range learnt in the warm-up (null before its end). */
    range: z.object({ lo: z.number(), hi: z.number() }).strict().nullable(),
    vigilance: z.number(),
    /** The last window - 1 normalised values, oldest first. */
    recent: z.array(z.number()),
    sinceScored: z.number().int().nonnegative().nullable(),
    memory: artMemoryStateSchema,
    record: recordTrackerStateSchema,
    lastScore: z.number(),
    lastMatch: z.number().default(0),
    lastValue: z.number().default(0),
  })
  .strict();
export type ArtState = z.infer<typeof artStateSchema>;

/** Downsampling step for a warm-up (ARTime's rule: the warm-up holds windowsPerWarmup windows). */
export function artStep(cfg: Pick<ArtConfig, 'warmup' | 'window' | 'windowsPerWarmup'>): number {
  return Math.max(1, Math.floor(cfg.warmup / (cfg.window * cfg.windowsPerWarmup)));
}

export class ArtDetector implements StreamingDetector<ArtState> {
  readonly kind = 'art';
  readonly config: ArtConfig;
  readonly step: number;
  private readonly mask: number;
  private readonly memory: ArtMemory;
  /** Largest mismatch (1 - best match) of the last trend window of downsampled points. */
  private readonly record: RecordTracker;
  private n = 0;
  private blockN = 0;
  private blockSum = 0;
  private blockMin = Infinity;
  private blockMax = -Infinity;
  private warm: number[] = [];
  private lo = NaN;
  private hi = NaN;
  private vigilance: number;
  /** Ring of the last `window` normalised values; `filled` of them valid. */
  private readonly ring: Float64Array;
  private head = 0;
  private filled = 0;
  private readonly x: Float64Array;
  private sinceScored: number | null = null;
  private lastScore = 0;
  private lastMatch = 0;
  private lastValue = 0;

  constructor(config: ArtConfigInput = {}) {
    this.config = artConfigSchema.parse(config);
    const c = this.config;
    this.step = artStep(c);
    this.mask = c.mask ?? Math.round(1.5 * c.window);
    this.memory = new ArtMemory(c.window, c.capacity);
    this.record = new RecordTracker(Math.max(8, c.window * c.windowsPerWarmup), 8);
    this.vigilance = c.initialVigilance;
    this.ring = new Float64Array(c.window);
    this.x = new Float64Array(c.window);
  }

  update(sample: Sample): number {
    const v = sample.v;
    if (!Number.isFinite(v)) return this.lastScore;
    this.n++;
    this.blockN++;
    this.blockSum += v;
    if (v < this.blockMin) this.blockMin = v;
    if (v > this.blockMax) this.blockMax = v;
    let score = 0;
    if (this.blockN >= this.step) {
      const mean = this.blockSum / this.blockN;
      const ds = this.blockMax - mean >= mean - this.blockMin ? this.blockMax : this.blockMin;
      this.blockN = 0;
      this.blockSum = 0;
      this.blockMin = Infinity;
      this.blockMax = -Infinity;
      score = this.downsampled(ds);
    }
    if (this.n === this.config.warmup || (this.config.warmup === 0 && this.n === 1 && Number.isNaN(this.lo))) this.endWarmup();
    this.lastScore = score;
    return score;
  }

  private downsampled(ds: number): number {
    this.lastValue = ds;
    if (Number.isNaN(this.lo)) {
      this.warm.push(ds);
      return 0;
    }
    if (!this.push(this.normalise(ds))) return 0;
    const r = this.memory.present(this.x, this.vigilance);
    const mismatch = 1 - r.match;
    const s = r.founded ? ratioScore(this.record.ratio(mismatch)) : 0;
    this.record.push(mismatch);
    if (this.sinceScored !== null) this.sinceScored++;
    if (!(s > 0) || (this.sinceScored !== null && this.sinceScored <= this.mask)) return 0;
    this.sinceScored = 0;
    this.lastMatch = r.match;
    return s;
  }

  private normalise(v: number): number {
    const c = this.config;
    const u = ((v - this.lo) / (this.hi - this.lo) + c.rangeMargin) / (1 + 2 * c.rangeMargin);
    const y = u < 0 ? 0 : u > 1 ? 1 : u;
    return Math.round(y * c.levels) / c.levels;
  }

  /** Adds a normalised value; fills `x` with the window (oldest first) once it is full. */
  private push(y: number): boolean {
    const w = this.config.window;
    this.ring[this.head] = y;
    this.head = (this.head + 1) % w;
    if (this.filled < w) this.filled++;
    if (this.filled < w) return false;
    for (let k = 0; k < w; k++) this.x[k] = this.ring[(this.head + k) % w]!;
    return true;
  }

  /** Learns the range and the vigilance from the warm-up's downsampled values, then its categories. */
  private endWarmup(): void {
    const c = this.config;
    const warm = this.warm;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of warm) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(hi >= lo)) lo = hi = 0;
    const span = hi - lo;
    const minSpan = 1e-9 * (Math.abs(lo) + Math.abs(hi) + 1);
    this.lo = lo;
    this.hi = lo + (span > minSpan ? span : minSpan);
    const ys = warm.map((v) => this.normalise(v));
    const matches: number[] = [];
    this.replay(ys, c.initialVigilance, matches);
    const second = matches.slice(Math.floor(matches.length / 2));
    const mean = second.length ? second.reduce((a, b) => a + b, 0) / second.length : c.initialVigilance;
    this.vigilance = Math.min(c.maxVigilance, Math.max(c.minVigilance, mean));
    const last: number[] = [];
    this.replay(ys, this.vigilance, last);
    for (const m of last) this.record.push(1 - m);
    this.warm = [];
  }

  private replay(ys: readonly number[], vigilance: number, matches: number[] | null): void {
    this.memory.clear();
    this.head = 0;
    this.filled = 0;
    for (const y of ys) {
      if (!this.push(y)) continue;
      const nonEmpty = this.memory.size > 0;
      const r = this.memory.present(this.x, vigilance);
      if (matches && nonEmpty) matches.push(r.match);
    }
  }

  explain(view: ValueView = IDENTITY_VIEW): Explanation | null {
    if (!(this.lastScore > 0)) return null;
    const mid = view.level((this.lo + this.hi) / 2);
    return {
      detector: this.kind,
      feature: 'new-pattern',
      score: this.lastScore,
      observed: view.level(this.lastValue),
      expected: mid,
      message: `new pattern: the last ${this.config.window * this.step} points resonate with none of ${this.memory.size - 1} learnt patterns (best match ${fmt(this.lastMatch)} < vigilance ${fmt(this.vigilance)})`,
    };
  }

  state(): ArtState {
    const w = this.config.window;
    const recent: number[] = [];
    for (let k = Math.max(0, this.filled - (w - 1)); k < this.filled; k++) recent.push(this.ring[(this.head - this.filled + k + w) % w]!);
    return {
      n: this.n,
      block: {
        n: this.blockN,
        sum: this.blockSum,
        min: Number.isFinite(this.blockMin) ? this.blockMin : null,
        max: Number.isFinite(this.blockMax) ? this.blockMax : null,
      },
      warm: [...this.warm],
      range: Number.isNaN(this.lo) ? null : { lo: this.lo, hi: this.hi },
      vigilance: this.vigilance,
      recent,
      sinceScored: this.sinceScored,
      memory: this.memory.state(),
      record: this.record.state(),
      lastScore: this.lastScore,
      lastMatch: this.lastMatch,
      lastValue: this.lastValue,
    };
  }

  static restore(config: ArtConfigInput, state: unknown): ArtDetector {
    const st = artStateSchema.parse(state);
    const d = new ArtDetector(config);
    d.n = st.n;
    d.blockN = st.block.n;
    d.blockSum = st.block.sum;
    d.blockMin = st.block.min ?? Infinity;
    d.blockMax = st.block.max ?? -Infinity;
    d.warm = [...st.warm];
    d.lo = st.range ? st.range.lo : NaN;
    d.hi = st.range ? st.range.hi : NaN;
    d.vigilance = st.vigilance;
    for (const y of st.recent.slice(-(d.config.window - 1))) d.push(y);
    d.sinceScored = st.sinceScored;
    d.memory.restore(st.memory);
    d.record.restore(st.record);
    d.lastScore = st.lastScore;
    d.lastMatch = st.lastMatch;
    d.lastValue = st.lastValue;
    return d;
  }
}
