// Starts the local SFU (dev/sfu/server.ts) from a spec and sends it
// requests of the Cloudflare Realtime SFU API from Node.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { resolve } from "node:path";
import { stopWithThisProcess } from "./watchdog.ts";

const SERVER = resolve(import.meta.dirname, "../../dev/sfu/server.ts");
const START_TIMEOUT_MS = 15_000;

export interface SfuProcess {
  /** The API root, as the Worker's SFU_API_URL takes it. */
  apiUrl: string;
  /** The app's base URL, below which the API paths go. */
  baseUrl: string;
  appId: string;
  appSecret: string;
  process: ChildProcess;
  /** Lines that the SFU has written to stdout and stderr so far. */
  output: string[];
}

/**
 * Starts the SFU on a free port of 127.0.0.1 with `extraArgs` added to its
 * command line, and resolves once it logs sfu.started.
 */
export async function startSfu(extraArgs: string[] = []): Promise<SfuProcess> {
  const appId = "test-app";
  const appSecret = "test-secret";
  const child = spawn(
    process.execPath,
    [
      SERVER,
      ...["--port", "0", "--app-id", appId, "--app-secret", appSecret],
      ...extraArgs,
    ],
    { detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  if (child.pid !== undefined) stopWithThisProcess(child.pid);
  const output: string[] = [];
  createInterface({ input: child.stderr }).on("line", (line) =>
    output.push(line),
  );
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(
          `The SFU did not log sfu.started within ${START_TIMEOUT_MS} ms. ` +
            `Output:\n${output.join("\n")}`,
        ),
      );
    }, START_TIMEOUT_MS);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`The SFU exited (${code}):\n${output.join("\n")}`));
    });
    createInterface({ input: child.stdout }).on("line", (line) => {
      output.push(line);
      const entry = JSON.parse(line) as { event?: string; port?: number };
      if (entry.event === "sfu.started" && entry.port !== undefined) {
        clearTimeout(timer);
        resolvePort(entry.port);
      }
    });
  });
  return {
    apiUrl: `http://127.0.0.1:${port}/v1`,
    baseUrl: `http://127.0.0.1:${port}/v1/apps/${appId}`,
    appId,
    appSecret,
    process: child,
    output,
  };
}

/** Stops the SFU with SIGTERM and waits for it to exit. */
export async function stopSfu(sfu: SfuProcess): Promise<void> {
  const child = sfu.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once("exit", done));
  child.kill("SIGTERM");
  await exited;
}

export interface SfuReply {
  status: number;
  // The tests check the body's fields one by one.
  body: Record<string, unknown>;
}

/** Sends `body` to `path` (below the app's base URL) with the app secret. */
export async function sfuRequest(
  sfu: Pick<SfuProcess, "baseUrl" | "appSecret">,
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: string,
  body?: unknown,
  secret = sfu.appSecret,
): Promise<SfuReply> {
  const response = await fetch(`${sfu.baseUrl}/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${secret}`,
      "content-type": "application/json",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** The SFU of the global setup, which serves the fault routes. */
export function sharedSfu(): Pick<SfuProcess, "baseUrl" | "appSecret"> {
  const apiUrl = process.env.E2E_SFU_API_URL;
  const appId = process.env.E2E_SFU_APP_ID;
  const appSecret = process.env.E2E_SFU_APP_SECRET;
  if (apiUrl === undefined || appId === undefined || appSecret === undefined) {
    throw new Error(
      "E2E_SFU_API_URL, E2E_SFU_APP_ID or E2E_SFU_APP_SECRET unset.",
    );
  }
  return { baseUrl: `${apiUrl}/apps/${appId}`, appSecret };
}

/** A failure for the SFU to inject (dev/sfu/faults.ts). */
export interface SfuFault {
  action: "sessions/new" | "tracks/new" | "renegotiate" | "tracks/close";
  location?: "local" | "remote";
  sessionId?: string;
  times?: number;
  status?: number;
  errorCode: string;
  errorDescription?: string;
  retryAfterSeconds?: number;
  perTrack?: boolean;
}

/** Makes the next requests of the shared SFU that match `fault` fail. */
export async function injectSfuFault(fault: SfuFault): Promise<void> {
  const reply = await sfuRequest(sharedSfu(), "POST", "faults", fault);
  if (reply.status !== 201) {
    throw new Error(`POST faults failed: ${JSON.stringify(reply.body)}`);
  }
}

/** Returns how many requests each injected fault still fails. */
export async function remainingSfuFaults(): Promise<number[]> {
  const reply = await sfuRequest(sharedSfu(), "GET", "faults");
  const faults = reply.body.faults as { remaining: number }[];
  return faults.map((fault) => fault.remaining);
}

/** Removes every injected fault of the shared SFU. */
export async function clearSfuFaults(): Promise<void> {
  await sfuRequest(sharedSfu(), "DELETE", "faults");
}
