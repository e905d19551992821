// Driving the browser app in Debian's Chromium (playwright-core), shared by the end-to-end test and
// the app benchmark.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CHROMIUM_EXTRA_ARGS: more flags, space-separated (diagnostics, e.g. V8's --js-flags).
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  ...(process.env.CHROMIUM_EXTRA_ARGS ?? '').split(' ').filter(Boolean),
];

/** Screen position of an image pixel in the app's canvas (the image is fitted and centred). */
export async function screenOf(page: Page, [x, y]: readonly [number, number], size: { width: number; height: number }): Promise<[number, number]> {
  const rect = await page.locator('#view').boundingBox();
  if (!rect) throw new Error('the canvas is not visible');
  const scale = Math.min(rect.width / size.width, rect.height / size.height);
  const left = rect.x + (rect.width - size.width * scale) / 2;
  const top = rect.y + (rect.height - size.height * scale) / 2;
  return [left + (x + 0.5) * scale, top + (y + 0.5) * scale];
}

/** Drags a box from image pixel (x0, y0) to (x1, y1) on the app's canvas. */
export async function dragBox(page: Page, box: readonly [number, number, number, number], size: { width: number; height: number }): Promise<void> {
  const [bx0, by0] = await screenOf(page, [box[0], box[1]], size);
  const [bx1, by1] = await screenOf(page, [box[2], box[3]], size);
  await page.mouse.move(bx0, by0);
  await page.mouse.down();
  await page.mouse.move((bx0 + bx1) / 2, (by0 + by1) / 2, { steps: 4 });
  await page.mouse.move(bx1, by1, { steps: 4 });
  await page.mouse.up();
}

/** Clicks a download button of the app (e.g. '#export-coco') and returns the file's text. */
export async function downloadText(page: Page, button: string, timeout: number): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout }), page.click(button)]);
  return readFileSync(await download.path(), 'utf8');
}
