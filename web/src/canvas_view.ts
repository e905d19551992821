// The image with its masks and the active object's prompts, and the input on it: left click a positive
// point, right click or shift-click a negative one, drag a box. The same by keyboard: arrows move a
// cursor, Enter/Space positive, N (or Shift+Enter) negative, B twice for a box's two corners.
import type { RawImage } from '../../src/image/types.js';
import type { Box, ObjectPrompt, Point } from './annotations.js';

export interface MaskLayer {
  mask: Uint8Array;
  colour: readonly [number, number, number];
  active: boolean;
}

export interface CanvasInput {
  onPoint(point: Point, label: 0 | 1): void;
  onBox(box: Box): void;
}

/** A drag shorter than this many screen pixels is a click. */
const DRAG_THRESHOLD = 4;

export class CanvasView {
  private image?: { width: number; height: number; canvas: OffscreenCanvas };
  private layers: MaskLayer[] = [];
  private prompt?: ObjectPrompt;
  private readonly maskCanvases = new WeakMap<Uint8Array, OffscreenCanvas>();
  private drag?: { start: Point; startScreen: [number, number]; current: Point; negative: boolean };
  private cursor?: Point;
  private boxAnchor?: Point;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly input: CanvasInput,
  ) {
    new ResizeObserver(() => this.render()).observe(canvas);
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
    canvas.addEventListener('pointerdown', (e) => this.pointerDown(e));
    canvas.addEventListener('pointermove', (e) => this.pointerMove(e));
    canvas.addEventListener('pointerup', (e) => this.pointerUp(e));
    canvas.addEventListener('keydown', (e) => this.keyDown(e));
    canvas.addEventListener('focus', () => this.render());
    canvas.addEventListener('blur', () => this.render());
  }

  setImage(rgb: RawImage | undefined): void {
    this.drag = undefined;
    this.boxAnchor = undefined;
    this.layers = [];
    this.prompt = undefined;
    if (!rgb) {
      this.image = undefined;
      this.cursor = undefined;
      this.render();
      return;
    }
    const { width, height } = rgb;
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let p = 0, q = 0; p < width * height; p++, q += 3) {
      rgba[4 * p] = rgb.data[q];
      rgba[4 * p + 1] = rgb.data[q + 1];
      rgba[4 * p + 2] = rgb.data[q + 2];
      rgba[4 * p + 3] = 255;
    }
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext('2d')?.putImageData(new ImageData(rgba, width, height), 0, 0);
    this.image = { width, height, canvas };
    this.cursor = [Math.round(width / 2), Math.round(height / 2)];
    this.render();
  }

  show(layers: MaskLayer[], prompt: ObjectPrompt | undefined): void {
    this.layers = layers;
    this.prompt = prompt;
    this.render();
  }

  /** Image-to-screen mapping: the image fitted into the canvas, centred. */
  private fit(): { scale: number; x: number; y: number } {
    const { clientWidth: w, clientHeight: h } = this.canvas;
    if (!this.image) return { scale: 1, x: 0, y: 0 };
    const scale = Math.min(w / this.image.width, h / this.image.height);
    return { scale, x: (w - this.image.width * scale) / 2, y: (h - this.image.height * scale) / 2 };
  }

  private toImage(e: PointerEvent): Point | undefined {
    if (!this.image) return undefined;
    const rect = this.canvas.getBoundingClientRect();
    const { scale, x, y } = this.fit();
    const ix = (e.clientX - rect.left - x) / scale;
    const iy = (e.clientY - rect.top - y) / scale;
    const clamp = (v: number, max: number) => Math.round(Math.min(Math.max(v, 0), max) * 100) / 100;
    return [clamp(ix, this.image.width - 1), clamp(iy, this.image.height - 1)];
  }

  private pointerDown(e: PointerEvent): void {
    const point = this.toImage(e);
    if (!point || (e.button !== 0 && e.button !== 2)) return;
    this.canvas.focus();
    this.canvas.setPointerCapture(e.pointerId);
    this.drag = { start: point, startScreen: [e.clientX, e.clientY], current: point, negative: e.button === 2 || e.shiftKey };
  }

  private pointerMove(e: PointerEvent): void {
    if (!this.drag) return;
    this.drag.current = this.toImage(e) ?? this.drag.current;
    this.render();
  }

  private pointerUp(e: PointerEvent): void {
    const drag = this.drag;
    if (!drag) return;
    this.drag = undefined;
    const end = this.toImage(e) ?? drag.current;
    const moved = Math.hypot(e.clientX - drag.startScreen[0], e.clientY - drag.startScreen[1]);
    if (moved < DRAG_THRESHOLD) this.input.onPoint(drag.start, drag.negative ? 0 : 1);
    else this.input.onBox(orderedBox(drag.start, end));
    this.render();
  }

  private keyDown(e: KeyboardEvent): void {
    if (!this.image || !this.cursor || e.ctrlKey || e.metaKey || e.altKey) return;
    const step = Math.max(1, Math.round(Math.max(this.image.width, this.image.height) / 100)) * (e.shiftKey ? 5 : 1);
    const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const move = moves[e.key];
    const [cx, cy] = this.cursor;
    if (move) {
      this.cursor = [Math.min(Math.max(cx + move[0], 0), this.image.width - 1), Math.min(Math.max(cy + move[1], 0), this.image.height - 1)];
    } else if (e.key === 'Enter' || e.key === ' ') {
      this.input.onPoint(this.cursor, e.shiftKey ? 0 : 1);
    } else if (e.key === 'n' || e.key === 'N') {
      this.input.onPoint(this.cursor, 0);
    } else if (e.key === 'b' || e.key === 'B') {
      if (this.boxAnchor) {
        this.input.onBox(orderedBox(this.boxAnchor, this.cursor));
        this.boxAnchor = undefined;
      } else this.boxAnchor = this.cursor;
    } else if (e.key === 'Escape' && this.boxAnchor) {
      this.boxAnchor = undefined;
    } else return;
    e.preventDefault();
    e.stopPropagation();
    this.render();
  }

  private maskCanvas(layer: MaskLayer): OffscreenCanvas {
    let canvas = this.maskCanvases.get(layer.mask);
    if (canvas) return canvas;
    const { width, height } = this.image!;
    const rgba = new Uint8ClampedArray(width * height * 4);
    const [r, g, b] = layer.colour;
    for (let p = 0; p < layer.mask.length; p++) {
      if (!layer.mask[p]) continue;
      rgba[4 * p] = r;
      rgba[4 * p + 1] = g;
      rgba[4 * p + 2] = b;
      rgba[4 * p + 3] = 255;
    }
    canvas = new OffscreenCanvas(width, height);
    canvas.getContext('2d')?.putImageData(new ImageData(rgba, width, height), 0, 0);
    this.maskCanvases.set(layer.mask, canvas);
    return canvas;
  }

  render(): void {
    const ratio = window.devicePixelRatio || 1;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    if (this.canvas.width !== Math.round(w * ratio) || this.canvas.height !== Math.round(h * ratio)) {
      this.canvas.width = Math.round(w * ratio);
      this.canvas.height = Math.round(h * ratio);
    }
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    if (!this.image) return;
    const { scale, x, y } = this.fit();
    const dw = this.image.width * scale;
    const dh = this.image.height * scale;
    ctx.imageSmoothingEnabled = scale < 1;
    ctx.drawImage(this.image.canvas, x, y, dw, dh);
    ctx.imageSmoothingEnabled = false;
    for (const layer of this.layers) {
      ctx.globalAlpha = layer.active ? 0.5 : 0.35;
      ctx.drawImage(this.maskCanvas(layer), x, y, dw, dh);
    }
    ctx.globalAlpha = 1;
    const screen = ([px, py]: Point): [number, number] => [x + (px + 0.5) * scale, y + (py + 0.5) * scale];
    const strokeBox = (box: Box, dash: number[]) => {
      const [x0, y0] = screen([box[0], box[1]]);
      const [x1, y1] = screen([box[2], box[3]]);
      ctx.setLineDash(dash);
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 2;
      ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
      ctx.setLineDash([]);
    };
    if (this.prompt?.box) strokeBox(this.prompt.box, []);
    if (this.drag) strokeBox(orderedBox(this.drag.start, this.drag.current), [6, 4]);
    if (this.boxAnchor && this.cursor) strokeBox(orderedBox(this.boxAnchor, this.cursor), [6, 4]);
    this.prompt?.points.forEach((p, i) => {
      const [sx, sy] = screen(p);
      ctx.beginPath();
      ctx.arc(sx, sy, 6, 0, 2 * Math.PI);
      ctx.fillStyle = this.prompt!.labels[i] ? '#22c55e' : '#ef4444';
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#ffffff';
      ctx.stroke();
    });
    if (this.cursor && document.activeElement === this.canvas) {
      const [sx, sy] = screen(this.cursor);
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(sx - 10, sy);
      ctx.lineTo(sx + 10, sy);
      ctx.moveTo(sx, sy - 10);
      ctx.lineTo(sx, sy + 10);
      ctx.stroke();
    }
  }
}

function orderedBox(a: Point, b: Point): Box {
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])];
}
