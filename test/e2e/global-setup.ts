// Starts `wrangler dev` with the built app on a free port of 127.0.0.1, with
// empty local state and the development SMS outbox, and the local SFU for
// group calls on another free port, for the whole run. The returned
// function stops both.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stopWithThisProcess } from "./watchdog.ts";
import { generateVapidKeys } from "../../scripts/vapid-keys.mjs";
import { startSfu, stopSfu } from "./sfu-server.ts";
import { freePort, sfuVarArgs, vapidVarArgs } from "./wrangler.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
/** The server's output, kept after the run for reading failures. */
const LOG_FILE = join(ROOT, ".wrangler", "e2e-server.log");
/** Idle limit of the test server's sockets; the presence spec relies on it. */
export const PRESENCE_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 90_000;

async function logTail(): Promise<string> {
  const text = await readFile(LOG_FILE, "utf8").catch(() => "");
  return text.split("\n").slice(-40).join("\n");
}

/** Polls the server until it responds, or throws when it exits first. */
async function waitUntilAnswering(
  baseURL: string,
  server: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(
        `wrangler dev exited (${server.exitCode ?? server.signalCode}) ` +
          `before answering. Last lines of ${LOG_FILE}:\n${await logTail()}`,
      );
    }
    try {
      const reply = await fetch(`${baseURL}/api/dev/sms?phone=%2B493000000000`);
      if (reply.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((wake) => setTimeout(wake, 250));
  }
  throw new Error(
    `wrangler dev did not answer GET ${baseURL}/api/dev/sms with 200 within ` +
      `${START_TIMEOUT_MS / 1000} s. Last lines of ${LOG_FILE}:\n` +
      (await logTail()),
  );
}

/** Stops the server's whole process group (wrangler and its workerd). */
async function stop(server: ChildProcess): Promise<void> {
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

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(join(ROOT, "dist", "index.html"))) {
    throw new Error(
      "dist/index.html is missing: build the app first with `npm run build` " +
        "(`npm run test:e2e` and `npm test` do).",
    );
  }
  // One VAPID key pair per run; test workers inherit the environment, so
  // servers that specs start get the same pair.
  const vapid = await generateVapidKeys();
  process.env.E2E_VAPID_PUBLIC_KEY = vapid.publicKey;
  process.env.E2E_VAPID_PRIVATE_KEY = vapid.privateKey;
  // Servers that specs start use the same SFU, through the same variables.
  // With the fault routes, through which group call specs make requests
  // fail, and the payload check of the encrypted call specs.
  const sfu = await startSfu(["--faults", "--payload-check"]);
  process.env.E2E_SFU_API_URL = sfu.apiUrl;
  process.env.E2E_SFU_APP_ID = sfu.appId;
  process.env.E2E_SFU_APP_SECRET = sfu.appSecret;
  const port = await freePort();
  const inspectorPort = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), "messenger-e2e-"));
  mkdirSync(join(ROOT, ".wrangler"), { recursive: true });
  const log = createWriteStream(LOG_FILE);
  const server = spawn(
    WRANGLER,
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      stateDir,
      "--var",
      "ENVIRONMENT:development",
      // Sockets silent for 10 s count as gone, so a test of a vanished
      // device waits seconds, not the production 70 s.
      "--var",
      `PRESENCE_TIMEOUT_MS:${PRESENCE_TIMEOUT_MS}`,
      ...vapidVarArgs(),
      ...sfuVarArgs(),
    ],
    {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        // No usage reports, and no download of the Request.cf sample that
        // wrangler otherwise fetches from Cloudflare at start.
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
      },
    },
  );
  if (server.pid !== undefined) stopWithThisProcess(server.pid);
  server.stdout?.pipe(log);
  server.stderr?.pipe(log);

  const baseURL = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(baseURL, server);
  } catch (error) {
    await Promise.all([stop(server), stopSfu(sfu)]);
    throw error;
  }
  // Test workers inherit this environment; the fixtures in helpers.ts read it.
  process.env.E2E_BASE_URL = baseURL;
  // The encryption spec scans the server's stored state for plaintext.
  process.env.E2E_STATE_DIR = stateDir;

  return async () => {
    await Promise.all([stop(server), stopSfu(sfu)]);
    log.end();
    await rm(stateDir, { recursive: true, force: true });
  };
}
