import zlib from 'node:zlib';

/** A minimal RGB canvas written as PNG with Node's own zlib (deflate and CRC-32): no package, no download. */
export class Canvas {
  readonly px: Buffer;
  constructor(
    readonly width: number,
    readonly height: number,
    background: [number, number, number] = [255, 255, 255],
  ) {
    this.px = Buffer.alloc(width * height * 3);
    for (let i = 0; i < width * height; i++) this.px.set(background, i * 3);
  }

  set(x: number, y: number, c: [number, number, number]): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.px.set(c, (y * this.width + x) * 3);
  }

  rect(x: number, y: number, w: number, h: number, c: [number, number, number]): void {
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.set(x + i, y + j, c);
  }

  /** A line `thick` pixels wide (Bresenham, squares along the way). */
  line(x0: number, y0: number, x1: number, y1: number, c: [number, number, number], thick = 1): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const r = Math.floor(thick / 2);
    for (let s = 0; s <= steps; s++) {
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      this.rect(Math.round(x) - r, Math.round(y) - r, thick, thick, c);
    }
  }

  /** Text in a 3x5 pixel font, `scale` pixels per font pixel (digits, a few letters and signs). */
  text(x: number, y: number, s: string, c: [number, number, number], scale = 2): void {
    let at = x;
    for (const ch of s.toLowerCase()) {
      const g = GLYPHS[ch];
      if (g)
        for (let row = 0; row < 5; row++)
          for (let col = 0; col < 3; col++) if (g[row] & (4 >> col)) this.rect(at + col * scale, y + row * scale, scale, scale, c);
      at += 4 * scale;
    }
  }

  png(): Buffer {
    const raw = Buffer.alloc((this.width * 3 + 1) * this.height);
    for (let y = 0; y < this.height; y++) this.px.copy(raw, y * (this.width * 3 + 1) + 1, y * this.width * 3, (y + 1) * this.width * 3);
    const chunk = (type: string, data: Buffer) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(data.length);
      const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(zlib.crc32(td) >>> 0);
      return Buffer.concat([len, td, crc]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(this.width, 0);
    ihdr.writeUInt32BE(this.height, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 2; // RGB
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', zlib.deflateSync(raw)),
      chunk('IEND', Buffer.alloc(0)),
    ]);
  }
}

// rows of 3 bits, top to bottom
const GLYPHS: Record<string, number[]> = {
  '0': [7, 5, 5, 5, 7],
  '1': [2, 6, 2, 2, 7],
  '2': [7, 1, 7, 4, 7],
  '3': [7, 1, 7, 1, 7],
  '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7],
  '6': [7, 4, 7, 5, 7],
  '7': [7, 1, 1, 1, 1],
  '8': [7, 5, 7, 5, 7],
  '9': [7, 5, 7, 1, 7],
  '.': [0, 0, 0, 0, 2],
  ':': [0, 2, 0, 2, 0],
  '-': [0, 0, 7, 0, 0],
  '/': [1, 1, 2, 4, 4],
  ' ': [0, 0, 0, 0, 0],
  a: [2, 5, 7, 5, 5],
  b: [6, 5, 6, 5, 6],
  c: [7, 4, 4, 4, 7],
  d: [6, 5, 5, 5, 6],
  e: [7, 4, 6, 4, 7],
  f: [7, 4, 6, 4, 4],
  g: [7, 4, 5, 5, 7],
  h: [5, 5, 7, 5, 5],
  i: [7, 2, 2, 2, 7],
  k: [5, 5, 6, 5, 5],
  l: [4, 4, 4, 4, 7],
  m: [5, 7, 7, 5, 5],
  n: [6, 5, 5, 5, 5],
  o: [7, 5, 5, 5, 7],
  p: [7, 5, 7, 4, 4],
  r: [6, 5, 6, 5, 5],
  s: [7, 4, 7, 1, 7],
  t: [7, 2, 2, 2, 2],
  u: [5, 5, 5, 5, 7],
  w: [5, 5, 7, 7, 5],
  x: [5, 5, 2, 5, 5],
  y: [5, 5, 2, 2, 2],
};
