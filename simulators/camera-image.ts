import jpeg from 'jpeg-js';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows } from './camera-font.ts';
import { createRandom } from './random.ts';

export interface SnapshotScene {
  /** Drawn top left. */
  name: string;
  /** Camera time, epoch ms: drawn bottom left as `YYYY-MM-DD HH:MM:SS UTC`. */
  timeMs: number;
  /** Same seed, same scenery (each camera looks at its own street). */
  seed: number;
  width?: number;
  height?: number;
  /** Marks the frame while motion is active: a figure crosses the scene. */
  motion?: boolean;
  /** A tampered camera sees grey mush. */
  tamper?: boolean;
  quality?: number;
}

type Rgb = readonly [number, number, number];

class Canvas {
  readonly data: Buffer;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = Buffer.alloc(width * height * 4, 255);
  }

  rect(x0: number, y0: number, w: number, h: number, [r, g, b]: Rgb): void {
    const x1 = Math.min(this.width, Math.max(0, Math.floor(x0 + w)));
    const y1 = Math.min(this.height, Math.max(0, Math.floor(y0 + h)));
    for (let y = Math.max(0, Math.floor(y0)); y < y1; y++)
      for (let x = Math.max(0, Math.floor(x0)); x < x1; x++) {
        const i = (y * this.width + x) * 4;
        this.data[i] = r;
        this.data[i + 1] = g;
        this.data[i + 2] = b;
      }
  }

  /** Text in the bitmap font, `scale` pixels per font pixel, with a one-pixel shadow to stay legible. */
  text(x: number, y: number, value: string, scale: number, colour: Rgb): void {
    for (const [dx, dy, c] of [
      [scale, scale, [0, 0, 0]],
      [0, 0, colour],
    ] as const)
      [...value].forEach((ch, index) => {
        const rows = glyphRows(ch);
        const left = x + dx + index * (GLYPH_WIDTH + 1) * scale;
        rows.forEach((bits, row) => {
          for (let col = 0; col < GLYPH_WIDTH; col++)
            if (bits & (1 << (GLYPH_WIDTH - 1 - col)))
              this.rect(left + col * scale, y + dy + row * scale, scale, scale, c);
        });
      });
  }
}

/** How many characters of text fit across `width` at `scale`. */
export function textCapacity(width: number, scale: number): number {
  return Math.floor((width - 8) / ((GLYPH_WIDTH + 1) * scale));
}

export function formatCameraTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * A real JPEG for a simulated camera: a street scene of the camera's own (from its seed), its name
 * and the camera time burnt in, as every CCTV camera does, so a snapshot in the dashboard can be
 * told apart and dated. Pure JS (jpeg-js): some tens of ms at the default 320×180, so callers
 * cache a frame for its second.
 */
export function renderSnapshot(scene: SnapshotScene): Buffer {
  const width = scene.width ?? 320;
  const height = scene.height ?? 180;
  const canvas = new Canvas(width, height);
  const random = createRandom(scene.seed);
  const sky: Rgb = [random.int(60, 120), random.int(110, 160), random.int(170, 230)];
  const horizon = Math.floor(height * random.uniform(0.45, 0.6));
  for (let y = 0; y < horizon; y++) {
    const f = y / horizon;
    canvas.rect(0, y, width, 1, [sky[0] + 60 * f, sky[1] + 50 * f, sky[2] + 20 * f]);
  }
  canvas.rect(0, horizon, width, height - horizon, [90, 92, 88]);
  for (let x = 0; x < width;) {
    const w = random.int(24, 70);
    const h = random.int(20, Math.floor(horizon * 0.8));
    const grey = random.int(120, 200);
    canvas.rect(x, horizon - h, w - 4, h, [grey, grey - 10, grey - 25]);
    for (let wy = horizon - h + 6; wy < horizon - 8; wy += 12)
      for (let wx = x + 5; wx < x + w - 12; wx += 12) canvas.rect(wx, wy, 6, 7, [235, 225, 150]);
    x += w;
  }
  // A lane marking that moves with the seconds: consecutive snapshots differ.
  const shift = Math.floor(scene.timeMs / 1000) % 40;
  for (let x = -40 + shift; x < width; x += 40)
    canvas.rect(x, horizon + (height - horizon) / 2, 20, 3, [230, 230, 230]);
  if (scene.motion) {
    const px = (Math.floor(scene.timeMs / 250) * 7) % width;
    canvas.rect(px, horizon - 30, 10, 34, [200, 40, 40]);
    canvas.rect(px + 2, horizon - 40, 6, 8, [230, 190, 160]);
  }
  if (scene.tamper) canvas.rect(0, 0, width, height, [128, 128, 128]);
  const scale = width >= 256 ? 2 : 1;
  const lineHeight = (GLYPH_HEIGHT + 2) * scale;
  const capacity = textCapacity(width, scale);
  canvas.text(4, 4, scene.name.slice(0, capacity), scale, [255, 255, 255]);
  canvas.text(
    4,
    height - lineHeight - 2,
    formatCameraTime(scene.timeMs).slice(0, capacity),
    scale,
    [255, 255, 80],
  );
  return jpeg.encode({ data: canvas.data, width, height }, scene.quality ?? 80).data;
}
