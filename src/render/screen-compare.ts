import { inflateSync } from "node:zlib";
import { RenderError } from "./errors.ts";

/**
 * Telling whether two screenshots show the same page. Byte equality is too strict: Chromium
 * repaints the same page with anti-aliasing that differs by a level or two in a hundred pixels.
 * Each screenshot is reduced to the mean colour of every small block; two screens differ when some
 * block's mean moves by more than that noise can move it (a changed glyph moves its block far more).
 */

export const SCREEN_COMPARE = {
  /** Screens are captured at this scale for comparing. */
  captureScale: 0.5,
  /** Side of the square blocks, in pixels of the capture (8 page pixels at half scale). */
  blockPx: 4,
  /** A block whose mean red, green or blue moves by at least this much (of 255) has changed. */
  minBlockChange: 4,
} as const;

export interface ScreenThumbnail {
  columns: number;
  rows: number;
  /** Mean R, G, B per block, row by row. */
  means: Uint8Array;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Decodes the 8-bit RGB(A), non-interlaced PNGs Chromium takes screenshots as. */
export function decodePng(png: Buffer): { width: number; height: number; channels: number; pixels: Buffer } {
  if (!png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new RenderError("bad_screenshot", "the screenshot is not a PNG");
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  for (let at = 8; at + 8 <= png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString("latin1", at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
      channels = colour === 6 ? 4 : colour === 2 ? 3 : 0;
      if (depth !== 8 || channels === 0 || interlace !== 0) throw new RenderError("bad_screenshot", `unsupported PNG (depth ${depth}, colour type ${colour}, interlace ${interlace})`);
    } else if (type === "IDAT") data.push(body);
    else if (type === "IEND") break;
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? pixels[row + x - channels]! : 0;
      const up = y > 0 ? pixels[row - stride + x]! : 0;
      const upLeft = y > 0 && x >= channels ? pixels[row - stride + x - channels]! : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        predicted = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      pixels[row + x] = (line[x]! + predicted) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** The mean colour of each block of a PNG screenshot. */
export function screenThumbnail(png: Buffer, blockPx: number = SCREEN_COMPARE.blockPx): ScreenThumbnail {
  const { width, height, channels, pixels } = decodePng(png);
  const columns = Math.ceil(width / blockPx);
  const rows = Math.ceil(height / blockPx);
  const sums = new Float64Array(columns * rows * 3);
  const counts = new Uint32Array(columns * rows);
  for (let y = 0; y < height; y++) {
    const blockRow = Math.floor(y / blockPx) * columns;
    for (let x = 0; x < width; x++) {
      const block = blockRow + Math.floor(x / blockPx);
      const at = (y * width + x) * channels;
      for (let channel = 0; channel < 3; channel++) sums[block * 3 + channel] = sums[block * 3 + channel]! + pixels[at + channel]!;
      counts[block] = counts[block]! + 1;
    }
  }
  const means = new Uint8Array(sums.length);
  for (let i = 0; i < sums.length; i++) means[i] = Math.round(sums[i]! / counts[Math.floor(i / 3)]!);
  return { columns, rows, means };
}

/** Whether two thumbnails show different screens (a different size always does). */
export function screensDiffer(a: ScreenThumbnail, b: ScreenThumbnail, minBlockChange: number = SCREEN_COMPARE.minBlockChange): boolean {
  if (a.columns !== b.columns || a.rows !== b.rows) return true;
  for (let i = 0; i < a.means.length; i++) if (Math.abs(a.means[i]! - b.means[i]!) >= minBlockChange) return true;
  return false;
}

/**
 * Names the distinct screens of a clip: a screenshot gets the name of the first screen seen before
 * that it does not differ from, or a new one. Equal names mean "looks the same".
 */
export class ScreenNamer {
  private readonly seen: Array<{ name: string; thumbnail: ScreenThumbnail }> = [];

  name(png: Buffer): string {
    const thumbnail = screenThumbnail(png);
    const same = this.seen.find((screen) => !screensDiffer(screen.thumbnail, thumbnail));
    if (same) return same.name;
    const name = `screen ${this.seen.length + 1}`;
    this.seen.push({ name, thumbnail });
    return name;
  }
}
