import { crc32, inflateSync } from 'node:zlib';
import { MpiboxError } from '../../domain/errors.ts';

/** What a PNG's header (IHDR) says. */
export interface PngInfo {
  widthInPx: number;
  heightInPx: number;
  /** Bits per channel: 1, 2, 4, 8 or 16. */
  bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  colourType: number;
  /** 0 none, 1 Adam7. */
  interlace: number;
}

/** A decoded image: 8-bit channels, row after row, no filter bytes. */
export interface PngPixels extends PngInfo {
  /** 3 for RGB, 4 for RGBA. */
  channels: 3 | 4;
  data: Buffer;
}

/** What is drawn on an image, as far as a test or a health check needs to know. */
export interface PngContent {
  /** Distinct RGBA values. */
  distinctColours: number;
  /** Pixels whose colour is not the background's. */
  nonBackgroundPixels: number;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The header of a PNG; throws MpiboxError('bad-input') when the bytes are not one. */
export function readPngInfo(png: Buffer): PngInfo {
  const ihdr = chunks(png).find((chunk) => chunk.type === 'IHDR');
  if (ihdr?.data.length !== 13) throw bad('The PNG has no valid IHDR chunk.');
  return {
    widthInPx: ihdr.data.readUInt32BE(0),
    heightInPx: ihdr.data.readUInt32BE(4),
    bitDepth: ihdr.data[8]!,
    colourType: ihdr.data[9]!,
    interlace: ihdr.data[12]!,
  };
}

/** The pixels of an 8-bit, non-interlaced RGB or RGBA PNG (what resvg writes); throws on others. */
export function decodePng(png: Buffer): PngPixels {
  const info = readPngInfo(png);
  if (info.bitDepth !== 8 || (info.colourType !== 2 && info.colourType !== 6) || info.interlace !== 0) {
    throw bad('Only 8-bit non-interlaced RGB or RGBA PNGs are decoded here.');
  }
  const channels = info.colourType === 6 ? 4 : 3;
  const idat = Buffer.concat(chunks(png).flatMap((chunk) => (chunk.type === 'IDAT' ? [chunk.data] : [])));
  const stride = info.widthInPx * channels;
  const filtered = inflateSync(idat);
  if (filtered.length !== (stride + 1) * info.heightInPx) throw bad('The PNG data has the wrong length.');
  const data = Buffer.alloc(stride * info.heightInPx);
  for (let y = 0; y < info.heightInPx; y++) {
    const filter = filtered[y * (stride + 1)]!;
    const row = y * stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? data[row + i - channels]! : 0; // left
      const b = y > 0 ? data[row - stride + i]! : 0; // up
      const c = y > 0 && i >= channels ? data[row - stride + i - channels]! : 0; // up-left
      data[row + i] = (filtered[y * (stride + 1) + 1 + i]! + predict(filter, a, b, c)) & 0xff;
    }
  }
  return { ...info, channels, data };
}

/** Counts colours and the pixels that differ from `background` (RGBA, opaque white unless given). */
export function pngContent(
  image: PngPixels,
  background: readonly [number, number, number, number] = [255, 255, 255, 255],
): PngContent {
  const { data, channels } = image;
  const colours = new Set<number>();
  let nonBackgroundPixels = 0;
  for (let p = 0; p < data.length; p += channels) {
    const [r, g, b, a] = [data[p]!, data[p + 1]!, data[p + 2]!, channels === 4 ? data[p + 3]! : 255];
    colours.add(((r << 24) | (g << 16) | (b << 8) | a) >>> 0);
    if (r !== background[0] || g !== background[1] || b !== background[2] || a !== background[3]) {
      nonBackgroundPixels++;
    }
  }
  return { distinctColours: colours.size, nonBackgroundPixels };
}

/** The five PNG filters (RFC 2083 §6): what is added back to each filtered byte. */
function predict(filter: number, a: number, b: number, c: number): number {
  switch (filter) {
    case 0:
      return 0;
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return (a + b) >> 1;
    case 4: {
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    default:
      throw bad('The PNG uses an unknown filter type.');
  }
}

/** The chunks of a PNG up to IEND, each checked against its CRC. */
function chunks(png: Buffer): { type: string; data: Buffer }[] {
  if (png.length < 8 || !png.subarray(0, 8).equals(SIGNATURE)) throw bad('The bytes are not a PNG.');
  const found: { type: string; data: Buffer }[] = [];
  for (let at = 8; at + 12 <= png.length;) {
    const length = png.readUInt32BE(at);
    if (at + 12 + length > png.length) throw bad('A PNG chunk runs past the end.');
    const typeAndData = png.subarray(at + 4, at + 8 + length);
    if (crc32(typeAndData) !== png.readUInt32BE(at + 8 + length)) throw bad('A PNG chunk fails its CRC.');
    const type = typeAndData.subarray(0, 4).toString('latin1');
    if (type === 'IEND') return found;
    found.push({ type, data: typeAndData.subarray(4) });
    at += 12 + length;
  }
  throw bad('The PNG has no IEND chunk.');
}

function bad(message: string): MpiboxError {
  return new MpiboxError('bad-input', message);
}
