import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { formatCameraTime, renderSnapshot } from './camera-image.ts';

const T = Date.UTC(2024, 4, 1, 12, 0, 0);

/** Share of pixels inside a band of rows that differ visibly between two decoded frames. */
function difference(a: Buffer, b: Buffer, fromRow: number, toRow: number, width = 320): number {
  const x = jpeg.decode(a).data;
  const y = jpeg.decode(b).data;
  let changed = 0;
  for (let p = fromRow * width; p < toRow * width; p++) {
    const d = [0, 1, 2].reduce((sum, c) => sum + Math.abs(x[p * 4 + c]! - y[p * 4 + c]!), 0);
    if (d > 90) changed++;
  }
  return changed / ((toRow - fromRow) * width);
}

describe('simulated camera snapshots', () => {
  it('are real JPEGs of the requested size', () => {
    const image = renderSnapshot({ name: 'Gate', timeMs: T, seed: 1, width: 160, height: 90 });
    expect([...image.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(jpeg.decode(image)).toMatchObject({ width: 160, height: 90 });
  });

  it('carry the camera name at the top and the camera time at the bottom', () => {
    const a = renderSnapshot({ name: 'BUILDING 1 EAST', timeMs: T, seed: 7 });
    const b = renderSnapshot({ name: 'GARAGE', timeMs: T, seed: 7 });
    const later = renderSnapshot({ name: 'BUILDING 1 EAST', timeMs: T + 11 * 3_600_000, seed: 7 });
    const same = renderSnapshot({ name: 'BUILDING 1 EAST', timeMs: T, seed: 7 });
    expect(same.equals(a)).toBe(true);
    expect(difference(a, b, 0, 22)).toBeGreaterThan(0.05); // the name band differs
    expect(difference(a, b, 160, 180)).toBe(0); // the time band does not
    expect(difference(a, later, 160, 180)).toBeGreaterThan(0.01); // 11 hours later, another time band
    expect(formatCameraTime(T)).toBe('2024-05-01 12:00:00 UTC');
  });
});
