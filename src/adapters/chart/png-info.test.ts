import { Resvg } from '@resvg/resvg-js';
import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodePng, pngContent, readPngInfo } from './png-info.ts';

/** A PNG written by hand: `rows` are already filtered (filter byte first); IDAT split in two. */
function handMadePng(widthInPx: number, colourType: 2 | 6, rows: number[][], bitDepth = 8): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(widthInPx, 0);
  ihdr.writeUInt32BE(rows.length, 4);
  ihdr.set([bitDepth, colourType, 0, 0, 0], 8);
  const compressed = deflateSync(Buffer.from(rows.flat()));
  const half = compressed.length >> 1;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', compressed.subarray(0, half)),
    chunk('IDAT', compressed.subarray(half)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

describe('png-info', () => {
  it('reads the header and undoes the None, Sub, Up and Average filters of a tiny RGB image', () => {
    // Pixels (10,20,30) (15,25,35) / (12,22,32) (20,30,40) / (6,11,16) (13,19,150), filtered by hand.
    const png = handMadePng(2, 2, [
      [1, 10, 20, 30, 5, 5, 5], // Sub: each byte minus the one a pixel to the left
      [2, 2, 2, 2, 5, 5, 5], // Up: each byte minus the one above
      [3, 0, 0, 0, 0, 255, 122], // Average: minus floor((left + up) / 2)
    ]);

    const info = readPngInfo(png);
    const image = decodePng(png);

    expect(info).toEqual({ widthInPx: 2, heightInPx: 3, bitDepth: 8, colourType: 2, interlace: 0 });
    expect(image.channels).toBe(3);
    expect([...image.data]).toEqual([10, 20, 30, 15, 25, 35, 12, 22, 32, 20, 30, 40, 6, 11, 16, 13, 19, 150]);
  });

  it('undoes the Paeth filter, picking left, up and up-left as the predictor says', () => {
    // Row 0 (None) holds up-left c = (10,200,100,255) and up b = (100,195,190,255). Row 1 pixel 0
    // has only "up" and is (20,50,10,255) = left a. For row 1 pixel 1, p = a + b - c per channel:
    // R: |p-a| 90, |p-b| 10, |p-c| 100 → b;  G: 5, 150, 155 → a;  B: 90, 90, 0 → c;  A: a tie → a.
    const png = handMadePng(2, 6, [
      [0, 10, 200, 100, 255, 100, 195, 190, 255],
      [4, 10, 106, 166, 0, 1, 2, 3, 0],
    ]);

    const image = decodePng(png);

    expect(image.channels).toBe(4);
    expect([...image.data.subarray(8)]).toEqual([20, 50, 10, 255, 101, 52, 103, 255]);
  });

  it('breaks Paeth ties as the spec says: left before up before up-left', () => {
    // c = (100,100,50), b = (110,80,60), a = (80,110,40). R: |p-a| = |p-c| = 10 < 20 → a;
    // G: |p-b| = |p-c| = 10 < 20 → b; B: 10, 10, 0 → c.
    const png = handMadePng(2, 2, [
      [0, 100, 100, 50, 110, 80, 60],
      [4, 236, 10, 246, 1, 2, 3],
    ]);

    const image = decodePng(png);

    expect([...image.data.subarray(6)]).toEqual([80, 110, 40, 81, 82, 53]);
  });

  it('decodes what resvg encodes to the same pixels resvg drew', () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="37" height="23">
      <rect width="37" height="23" fill="#fff"/><circle cx="12" cy="11" r="9" fill="#4c78a8"/>
      <rect x="20" y="3" width="14" height="17" fill="#f58518"/></svg>`;
    const rendered = new Resvg(svg).render();

    const image = decodePng(rendered.asPng());
    const content = pngContent(image);

    expect([image.widthInPx, image.heightInPx]).toEqual([37, 23]);
    expect(image.data.equals(rendered.pixels)).toBe(true);
    expect(content.distinctColours).toBeGreaterThan(3); // white, two fills, anti-aliased edges
    expect(content.nonBackgroundPixels).toBeGreaterThan(14 * 17);
  });

  it('counts colours and non-background pixels', () => {
    const png = handMadePng(2, 2, [
      [0, 255, 255, 255, 0, 0, 0],
      [0, 255, 255, 255, 255, 255, 255],
    ]);

    const content = pngContent(decodePng(png));

    expect(content).toEqual({ distinctColours: 2, nonBackgroundPixels: 1 });
  });

  it('refuses bytes that are not a PNG, a damaged chunk, short data and formats it does not decode', () => {
    const good = handMadePng(1, 2, [[0, 1, 2, 3]]);
    const damaged = Buffer.from(good);
    damaged[20] = damaged[20]! ^ 1; // inside IHDR: its CRC no longer matches
    const short = handMadePng(2, 2, [[0, 1, 2, 3]]);
    const sixteenBit = handMadePng(1, 2, [[0, 0, 1, 0, 2, 0, 3]], 16);

    expect(() => readPngInfo(Buffer.from('GIF89a not a png'))).toThrow(/not a PNG/);
    expect(() => readPngInfo(damaged)).toThrow(/CRC/);
    expect(() => readPngInfo(good.subarray(0, good.length - 12))).toThrow(/IEND/);
    expect(() => decodePng(short)).toThrow(/wrong length/);
    expect(() => decodePng(sixteenBit)).toThrow(/Only 8-bit/);
  });
});
