/**
 * FastCDC (Xia et al., 2016/2020) content-defined chunking with normalised chunking and
 * cut-point skipping: bytes before `min` are never hashed, so the gear loop runs over about
 * half of each chunk. The 32-bit gear hash keeps the loop in small integers for V8.
 */
export interface ChunkerParams {
  min: number;
  avg: number;
  max: number;
}

/**
 * The chunk sizes of a new repository (an existing one keeps those in its config, so its
 * deduplication never breaks). A fine-tuning run rewrites stretches of a checkpoint, and each
 * stretch also costs the chunks straddling its two ends: about one and a half mean chunks.
 * Measured on the benchmark's checkpoint (200 MiB of random data, 24 rewritten stretches of 1.3
 * and 7 MiB), the new chunks beyond the stretch: a mean of 998 KiB at 256 KiB min / 512 KiB
 * normal (half of restic's; mean chunk 683 KiB), 424 KiB at 64 / 256 KiB, 224 KiB at these
 * (mean chunk 174 KiB).
 * The price is about four times the index entries per stored byte of large files (small files
 * are one chunk either way) and a little CPU per chunk (the compression probe: zstd-blob.ts).
 */
export const DEFAULT_CHUNKER: ChunkerParams = { min: 64 * 1024, avg: 128 * 1024, max: 1024 * 1024 };

/** Deterministic gear table (xorshift32 from a fixed seed): chunk boundaries are part of the format. */
const GEAR = (() => {
  const t = new Int32Array(256);
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < 256; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    t[i] = x | 0;
  }
  return t;
})();

/** A mask of `bits` ones taken from the top of the word: high bits depend on the last 32 bytes. */
function topMask(bits: number): number {
  return bits >= 32 ? -1 : ((~0 >>> (32 - bits)) << (32 - bits)) | 0;
}

export interface Cutter {
  /** Length of the next chunk of buf[start, end) (end - start when the data runs out). */
  cut(buf: Uint8Array, start: number, end: number): number;
}

export function makeCutter(p: ChunkerParams = DEFAULT_CHUNKER): Cutter {
  if (!(p.min > 0 && p.min <= p.avg && p.avg <= p.max)) throw new RangeError('chunker: need 0 < min <= avg <= max');
  const bits = Math.round(Math.log2(p.avg));
  const maskS = topMask(bits + 1);
  const maskL = topMask(bits - 1);
  const { min, avg, max } = p;
  return {
    cut(buf, start, end) {
      let n = end - start;
      if (n <= min) return n;
      if (n > max) n = max;
      const normal = n < avg ? n : avg;
      let h = 0;
      let i = min;
      for (; i < normal; i++) {
        h = ((h << 1) + GEAR[buf[start + i]]) | 0;
        if ((h & maskS) === 0) return i + 1;
      }
      for (; i < n; i++) {
        h = ((h << 1) + GEAR[buf[start + i]]) | 0;
        if ((h & maskL) === 0) return i + 1;
      }
      return n;
    },
  };
}

/** All chunk lengths of a complete buffer. */
export function chunkLengths(buf: Uint8Array, p: ChunkerParams = DEFAULT_CHUNKER): number[] {
  const c = makeCutter(p);
  const out: number[] = [];
  for (let off = 0; off < buf.length;) {
    const n = c.cut(buf, off, buf.length);
    out.push(n);
    off += n;
  }
  return out;
}
