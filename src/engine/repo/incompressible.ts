/**
 * A test, in plain JavaScript, for bytes that no compressor will shrink by the 3 % a compressed
 * blob must save: their byte frequencies are those of random data (encrypted, already compressed,
 * random weights) and no run of them comes back. Each zstd call costs a context of its
 * own, whose native memory Node frees only when V8 collects it; a thread probing checkpoint
 * chunks made few JS objects, so no collection came, and the dead contexts held 60 MiB of the
 * engine's peak RSS (full backup of the bench set: 350 against 290 MiB without the probes).
 * Bytes that fail this test still go to the zstd probe, which decides.
 */

/** the byte entropy at or above which Huffman coding alone saves under 2.5 % (7.8 / 8) */
const RANDOM_BITS = 7.8;
/** shorter samples say too little about their source; they go to zstd */
export const MIN_SAMPLE = 512;
/**
 * Two byte values that mark the runs compared for repeats: in random-looking bytes about one
 * position in 128 holds one, and a marker is chosen by content, so a repeated stretch holds the
 * same markers wherever it lies. A repeat of 500 bytes (what a 16 KiB sample must repeat to save
 * 3 %) holds none about once in 50; a longer one is all but always seen.
 */
const MARK_A = 0x5a;
const MARK_B = 0xa5;
const TABLE_BITS = 10;
/** more markers than this in one sample: not random-looking, treated as repeating */
const MAX_MARKS = (1 << TABLE_BITS) >> 1;

/** four tables of counts, one per position mod 4, so consecutive bytes do not wait on each other's increments */
const counts4 = new Uint32Array(1024);
const counts = new Uint32Array(256);
const keys = new Int32Array(1 << TABLE_BITS);
const used = new Uint8Array(1 << TABLE_BITS);

/**
 * The Shannon entropy of the sample's bytes in bits per byte, corrected for the sample's size
 * (Miller-Madow: a finite sample of random bytes measures below 8 by about (k - 1) / (2 n ln 2)).
 */
function byteEntropy(sample: Uint8Array): number {
  counts4.fill(0);
  const n = sample.length;
  const whole = n & ~3;
  for (let i = 0; i < whole; i += 4) {
    counts4[sample[i]]++;
    counts4[256 | sample[i + 1]]++;
    counts4[512 | sample[i + 2]]++;
    counts4[768 | sample[i + 3]]++;
  }
  for (let i = whole; i < n; i++) counts4[sample[i]]++;
  for (let b = 0; b < 256; b++) counts[b] = counts4[b] + counts4[256 | b] + counts4[512 | b] + counts4[768 | b];
  return entropyOfCounts(n);
}

function entropyOfCounts(n: number): number {
  let sum = 0;
  let distinct = 0;
  for (let b = 0; b < 256; b++) {
    const c = counts[b];
    if (c === 0) continue;
    distinct++;
    sum += c * Math.log2(c);
  }
  return Math.log2(n) - sum / n + (distinct - 1) / (2 * n * Math.LN2);
}

/** Whether two marked runs (a marker and the 4 bytes after it) of the sample are equal, as a compressor's match finder would need. */
function marksRepeat(sample: Uint8Array): boolean {
  used.fill(0);
  const mask = (1 << TABLE_BITS) - 1;
  let left = MAX_MARKS;
  for (const mark of [MARK_A, MARK_B]) {
    const salt = mark === MARK_A ? 0 : 0x2545f491;
    // indexOf finds the markers at memchr's speed
    for (let p = sample.indexOf(mark); p >= 0 && p + 4 < sample.length; p = sample.indexOf(mark, p + 1)) {
      if (--left < 0) return true;
      const key = ((sample[p + 1] << 24) | (sample[p + 2] << 16) | (sample[p + 3] << 8) | sample[p + 4]) ^ salt;
      let slot = Math.imul(key, 0x9e3779b1) >>> (32 - TABLE_BITS);
      while (used[slot]) {
        if (keys[slot] === key) return true;
        slot = (slot + 1) & mask;
      }
      used[slot] = 1;
      keys[slot] = key;
    }
  }
  return false;
}

/** True when the sample looks like random bytes: zstd would not make them worth storing compressed. */
export function looksIncompressible(sample: Uint8Array): boolean {
  if (sample.length < MIN_SAMPLE) return false;
  return byteEntropy(sample) >= RANDOM_BITS && !marksRepeat(sample);
}
