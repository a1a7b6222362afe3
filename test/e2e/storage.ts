import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

// A scan of the server's state files, for tests that check what the
// server stores in plaintext.

/** Returns every file under `dir`, the server's SQLite databases included. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * Returns the server state files (Durable Object storage and R2 objects)
 * that contain `text` in UTF-8, or the bytes of `text`.
 */
export function storedIn(text: string | Buffer): string[] {
  const dir = process.env.E2E_STATE_DIR;
  if (!dir) throw new Error("E2E_STATE_DIR is not set by global setup");
  const needle = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  return filesUnder(dir).filter((path) => readIfPresent(path).includes(needle));
}

/**
 * Returns a file's bytes, or none when it vanished after the listing, as
 * SQLite's `-shm` and `-wal` files do when a database closes.
 */
function readIfPresent(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return Buffer.alloc(0);
    }
    throw error;
  }
}
