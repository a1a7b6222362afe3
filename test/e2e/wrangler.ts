// Starts and stops extra `wrangler dev` servers from inside a spec, for tests
// that must swap what the server serves (a second build of the app).
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { stopWithThisProcess } from "./watchdog.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const START_TIMEOUT_MS = 90_000;

/**
 * Returns the `--var` arguments that give a server the run's VAPID key
 * pair, which the global setup generates once and passes to the test
 * workers in E2E_VAPID_PUBLIC_KEY and E2E_VAPID_PRIVATE_KEY.
 */
export function vapidVarArgs(): string[] {
  const publicKey = process.env.E2E_VAPID_PUBLIC_KEY;
  const privateKey = process.env.E2E_VAPID_PRIVATE_KEY;
  if (publicKey === undefined || privateKey === undefined) {
    throw new Error(
      "E2E_VAPID_PUBLIC_KEY and E2E_VAPID_PRIVATE_KEY are not set; " +
        "run the specs through playwright.config.ts, whose global setup sets them.",
    );
  }
  return [
    "--var",
    `VAPID_PUBLIC_KEY:${publicKey}`,
    "--var",
    `VAPID_PRIVATE_KEY:${privateKey}`,
    "--var",
    "VAPID_SUBJECT:mailto:tests@example.com",
  ];
}

/**
 * Returns the `--var` arguments that point a server at the run's local
 * SFU, which the global setup starts and names in E2E_SFU_API_URL,
 * E2E_SFU_APP_ID and E2E_SFU_APP_SECRET.
 */
export function sfuVarArgs(): string[] {
  const apiUrl = process.env.E2E_SFU_API_URL;
  const appId = process.env.E2E_SFU_APP_ID;
  const appSecret = process.env.E2E_SFU_APP_SECRET;
  if (apiUrl === undefined || appId === undefined || appSecret === undefined) {
    throw new Error(
      "E2E_SFU_API_URL, E2E_SFU_APP_ID and E2E_SFU_APP_SECRET are not set; " +
        "run the specs through playwright.config.ts, whose global setup sets them.",
    );
  }
  return [
    "--var",
    `SFU_API_URL:${apiUrl}`,
    "--var",
    `SFU_APP_ID:${appId}`,
    "--var",
    `SFU_APP_SECRET:${appSecret}`,
  ];
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface ServerOptions {
  port: number;
  /** Folder of the built app to serve in place of `dist`. */
  assets: string;
  /** Local Durable Object state, kept between servers that share it. */
  stateDir: string;
  /** File that receives the server's output. */
  logFile: string;
}

/** Starts `wrangler dev` and resolves once it responds to HTTP requests. */
export async function startWrangler(
  options: ServerOptions,
): Promise<ChildProcess> {
  const inspectorPort = await freePort();
  const log = createWriteStream(options.logFile, { flags: "a" });
  const server = spawn(
    WRANGLER,
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(options.port),
      "--inspector-port",
      String(inspectorPort),
      "--assets",
      options.assets,
      "--persist-to",
      options.stateDir,
      "--var",
      "ENVIRONMENT:development",
      ...vapidVarArgs(),
      ...sfuVarArgs(),
    ],
    {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
      },
    },
  );
  if (server.pid !== undefined) stopWithThisProcess(server.pid);
  server.stdout?.pipe(log);
  server.stderr?.pipe(log);
  server.once("exit", () => log.end());
  const url = `http://127.0.0.1:${options.port}/api/dev/sms?phone=%2B493000000000`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) break;
    try {
      if ((await fetch(url)).ok) return server;
    } catch {
      // Not listening yet.
    }
    await new Promise((wake) => setTimeout(wake, 250));
  }
  await stopWrangler(server);
  throw new Error(
    `wrangler dev on port ${options.port} did not respond within ` +
      `${START_TIMEOUT_MS / 1000} s; see ${options.logFile}`,
  );
}

/** Stops a server's whole process group (wrangler and its workerd). */
export async function stopWrangler(server: ChildProcess): Promise<void> {
  if (server.pid === undefined || server.exitCode !== null) return;
  const exited = new Promise((done) => server.once("exit", done));
  process.kill(-server.pid, "SIGTERM");
  const timer = setTimeout(() => {
    if (server.exitCode === null && server.pid !== undefined) {
      process.kill(-server.pid, "SIGKILL");
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}
