// @ts-check
// Checks the JavaScript that the first screen needs against its budget: the
// module scripts and module preloads of the built index.html, plus every
// chunk they import statically, gzipped. Chunks loaded with `import()` are
// left out, because they load on demand. Run after `vite build`; exits
// non-zero when the total is over the budget or the build is missing.
// `--budget=BYTES` replaces the budget for one run.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

/** Gzip bytes of first-screen JavaScript allowed: 100 KB. */
export const BUDGET_BYTES = 100 * 1000;

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), "../dist");

/** Static `import … from "./x.js"` and `import "./x.js"` in minified code. */
const STATIC_IMPORT =
  /(?:^|[;\s}])import\s*(?:[^"'();]*?from\s*)?["']([^"']+\.js)["']/g;

/**
 * Returns the first-screen chunks, as paths under dist/, with their raw and
 * gzip sizes.
 *
 * @param {string} dist
 */
export function firstScreenChunks(dist = DIST) {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const entries = [
    ...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g),
    ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g),
  ].map((match) => match[1] ?? "");
  /** @type {Set<string>} */
  const seen = new Set();
  const queue = entries.map((src) => join(dist, src.replace(/^\//, "")));
  while (queue.length > 0) {
    const path = /** @type {string} */ (queue.pop());
    if (seen.has(path)) continue;
    seen.add(path);
    const code = readFileSync(path, "utf8");
    for (const match of code.matchAll(STATIC_IMPORT)) {
      queue.push(resolve(dirname(path), match[1] ?? ""));
    }
  }
  return [...seen].map((path) => {
    const code = readFileSync(path);
    return {
      file: path.slice(dist.length + 1),
      bytes: code.length,
      gzipBytes: gzipSync(code, { level: 9 }).length,
    };
  });
}

const runAsScript =
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(process.argv[1]).href;

/**
 * Returns the budget from a `--budget=BYTES` argument, else BUDGET_BYTES.
 *
 * @param {string[]} args
 */
function budgetFrom(args) {
  const option = args.find((arg) => arg.startsWith("--budget="));
  if (option === undefined) return BUDGET_BYTES;
  const value = option.slice("--budget=".length);
  if (!/^[1-9][0-9]*$/.test(value)) {
    console.error(
      `Invalid --budget value "${value}": expected a positive whole number of gzip bytes, e.g. --budget=100000.`,
    );
    process.exit(2);
  }
  return Number(value);
}

if (runAsScript) {
  const budget = budgetFrom(process.argv.slice(2));
  if (!existsSync(join(DIST, "index.html"))) {
    console.error("dist/index.html not found; run `npm run build` first.");
    process.exit(1);
  }
  const chunks = firstScreenChunks();
  let total = 0;
  for (const { file, bytes, gzipBytes } of chunks) {
    total += gzipBytes;
    console.log(`${file}  ${bytes} bytes, ${gzipBytes} gzip`);
  }
  const verdict = total <= budget ? "within" : "over";
  console.log(
    `first-screen JavaScript: ${total} gzip bytes, ${verdict} the budget of ${budget}`,
  );
  process.exit(total <= budget ? 0 : 1);
}
