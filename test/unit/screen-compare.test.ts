import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodePng, ScreenNamer, screensDiffer, screenThumbnail } from "../../src/render/screen-compare.ts";

function chunk(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, Buffer.from(type, "latin1"), body, Buffer.alloc(4)]); // the CRC is not checked
}

/** An RGBA PNG whose rows use filter `row % 5` (none, sub, up, average, Paeth), as encoders mix them. */
function encodePng(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const stride = width * 4;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels.set([...pixel(x, y), 255], y * stride + x * 4);
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const filter = y % 5;
    raw[y * (stride + 1)] = filter;
    for (let x = 0; x < stride; x++) {
      const value = pixels[y * stride + x]!;
      const left = x >= 4 ? pixels[y * stride + x - 4]! : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const upLeft = y > 0 && x >= 4 ? pixels[(y - 1) * stride + x - 4]! : 0;
      const p = left + up - upLeft;
      const paeth = Math.abs(p - left) <= Math.abs(p - up) && Math.abs(p - left) <= Math.abs(p - upLeft) ? left : Math.abs(p - up) <= Math.abs(p - upLeft) ? up : upLeft;
      const predicted = [0, left, up, (left + up) >> 1, paeth][filter]!;
      raw[y * (stride + 1) + 1 + x] = (value - predicted) & 0xff;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

const page = (x: number, y: number): [number, number, number] => [(x * 7 + y * 3) % 256, (x * y) % 256, 200];

describe("comparing screenshots", () => {
  it("decodes every PNG row filter", () => {
    const decoded = decodePng(encodePng(21, 11, page));
    expect([decoded.width, decoded.height, decoded.channels]).toEqual([21, 11, 4]);
    for (const [x, y] of [
      [0, 0],
      [20, 10],
      [5, 3],
      [13, 4],
    ] as const)
      expect([...decoded.pixels.subarray((y * 21 + x) * 4, (y * 21 + x) * 4 + 3)]).toEqual(page(x, y));
  });

  it("sees the same screen through anti-aliasing noise, and a changed glyph as a change", () => {
    const before = screenThumbnail(encodePng(64, 32, page));
    // Chromium repaints the same page with some pixels a level or two off.
    const noisy = screenThumbnail(encodePng(64, 32, (x, y) => page(x, y).map((v, i) => (i === 0 && (x + y) % 3 === 0 ? Math.max(0, v - 2) : v)) as [number, number, number]));
    expect(screensDiffer(before, noisy)).toBe(false);
    // A 3×4-pixel dark mark (a digit changing in a counter) in one block.
    const glyph = screenThumbnail(encodePng(64, 32, (x, y) => (x >= 40 && x < 43 && y >= 10 && y < 14 ? [20, 20, 20] : page(x, y))));
    expect(screensDiffer(before, glyph)).toBe(true);
  });

  it("names each distinct screen once", () => {
    const namer = new ScreenNamer();
    const a = encodePng(16, 16, page);
    const b = encodePng(16, 16, () => [0, 0, 0]);
    expect([namer.name(a), namer.name(b), namer.name(a)]).toEqual(["screen 1", "screen 2", "screen 1"]);
  });
});
