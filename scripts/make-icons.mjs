// Renders the PNG app icons from pwa/public/icons/icon.svg. Run it after
// changing the SVG: `node scripts/make-icons.mjs`. It needs `sharp`, which
// wrangler's miniflare already installs; the PNGs are committed, so a normal
// build does not run this script.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import sharp from "sharp";

const iconDir = fileURLToPath(new URL("../pwa/public/icons/", import.meta.url));
const svg = await readFile(`${iconDir}icon.svg`);

// A maskable icon may be cropped to a circle of 80% of its width, so the
// artwork shrinks to that safe zone over a full-bleed background.
const MASKABLE_SAFE_ZONE = 0.8;
const BACKGROUND = "#0b7a5a";

/**
 * @param {number} size width and height in pixels
 * @param {string} file name inside the icon folder
 */
async function renderSquare(size, file) {
  await sharp(svg, { density: 72 * (size / 512) * 2 })
    .resize(size, size)
    .png()
    .toFile(`${iconDir}${file}`);
}

/**
 * @param {number} size width and height in pixels
 * @param {string} file name inside the icon folder
 */
async function renderMaskable(size, file) {
  const inner = Math.round(size * MASKABLE_SAFE_ZONE);
  const artwork = await sharp(svg, { density: 72 * (inner / 512) * 2 })
    .resize(inner, inner)
    .png()
    .toBuffer();
  await sharp({
    create: { width: size, height: size, channels: 4, background: BACKGROUND },
  })
    .composite([{ input: artwork, gravity: "center" }])
    .png()
    .toFile(`${iconDir}${file}`);
}

await renderSquare(192, "icon-192.png");
await renderSquare(512, "icon-512.png");
await renderMaskable(512, "icon-maskable-512.png");
// The home-screen icon of Safari on iOS (the page's apple-touch-icon link),
// opaque and 180 px square.
await renderMaskable(180, "apple-touch-icon-180.png");
console.log(
  "wrote icon-192.png, icon-512.png, icon-maskable-512.png, " +
    "apple-touch-icon-180.png",
);
