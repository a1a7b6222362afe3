// A local stand-in for the Cloudflare Realtime (Calls) SFU, for development
// and tests only: it is never deployed. It serves the subset of
// Cloudflare's HTTP API that the messenger uses, on 127.0.0.1 only:
//
//   POST /v1/apps/{appId}/sessions/new
//   POST /v1/apps/{appId}/sessions/{sessionId}/tracks/new
//   PUT  /v1/apps/{appId}/sessions/{sessionId}/renegotiate
//   PUT  /v1/apps/{appId}/sessions/{sessionId}/tracks/close
//   GET  /v1/apps/{appId}/sessions/{sessionId}
//
// Each session is one werift peer connection; RTP of a published Opus or
// VP8 track is forwarded to every session that pulls it. docs/local-sfu.md
// lists what differs from Cloudflare's service.
//
// Usage: node dev/sfu/server.ts --port 8790 --app-id ID --app-secret SECRET
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { SfuError } from "./api.ts";
import { SfuApp, type SfuOptions } from "./app.ts";
import { log } from "./log.ts";
import { enablePayloadCheck } from "./payload-check.ts";

/** Maximum request body in bytes. An SDP with a few tracks is under 10 KB. */
const MAX_BODY_BYTES = 1_000_000;

const USAGE = `Usage: node dev/sfu/server.ts [options]

  --port N             TCP port on 127.0.0.1 (default 8790, 0 picks a free
                       port); env SFU_PORT
  --app-id ID          app id expected in request paths; env SFU_APP_ID
  --app-secret SECRET  bearer token expected in the Authorization header;
                       env SFU_APP_SECRET
  --idle-timeout S     seconds after which a session that is not connected
                       is closed and a track without media is dropped
                       (default 30); env SFU_IDLE_TIMEOUT_S
  --faults             serve /v1/apps/{appId}/faults, through which tests make
                       later requests fail (docs/local-sfu.md); env
                       SFU_FAULTS=1
  --payload-check      for tests: inspects forwarded VP8 frames for SFrame
                       headers and serves the counts at
                       GET /v1/apps/{appId}/payload-check; env
                       SFU_PAYLOAD_CHECK=1
`;

interface ServerOptions extends SfuOptions {
  port: number;
}

function readOptions(): ServerOptions {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      "app-id": { type: "string" },
      "app-secret": { type: "string" },
      "idle-timeout": { type: "string" },
      faults: { type: "boolean" },
      "payload-check": { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const appId = values["app-id"] ?? process.env.SFU_APP_ID;
  const appSecret = values["app-secret"] ?? process.env.SFU_APP_SECRET;
  const port = Number(values.port ?? process.env.SFU_PORT ?? 8790);
  const idleSeconds = Number(
    values["idle-timeout"] ?? process.env.SFU_IDLE_TIMEOUT_S ?? 30,
  );

  const problems: string[] = [];
  if (!appId) problems.push("missing --app-id (or SFU_APP_ID)");
  if (!appSecret) problems.push("missing --app-secret (or SFU_APP_SECRET)");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(`invalid --port ${String(values.port)}: expected 0-65535`);
  }
  if (!(idleSeconds > 0)) {
    problems.push("invalid --idle-timeout: expected a positive number");
  }
  if (problems.length > 0 || !appId || !appSecret) {
    process.stderr.write(`${problems.join("\n")}\n\n${USAGE}`);
    process.exit(2);
  }

  if (
    values["payload-check"] === true ||
    process.env.SFU_PAYLOAD_CHECK === "1"
  ) {
    enablePayloadCheck();
  }
  const faults = values.faults === true || process.env.SFU_FAULTS === "1";
  return {
    port,
    appId,
    appSecret,
    idleTimeoutMs: idleSeconds * 1000,
    faults,
  };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.byteLength;
    if (size > MAX_BODY_BYTES) {
      throw new SfuError(
        413,
        "payload_too_large",
        `Request body exceeds ${MAX_BODY_BYTES} bytes.`,
      );
    }
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SfuError(
      400,
      "invalid_request",
      "Request body is not valid JSON.",
    );
  }
}

function main(): void {
  const options = readOptions();
  const app = new SfuApp(options);
  const server = createServer((request, response) => {
    const started = performance.now();
    const method = request.method ?? "GET";
    const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
    const reply = (
      status: number,
      body: unknown,
      fields: object,
      retryAfterSeconds?: number,
    ): void => {
      const headers: Record<string, string> = {
        "content-type": "application/json",
      };
      if (retryAfterSeconds !== undefined) {
        headers["retry-after"] = String(retryAfterSeconds);
      }
      response.writeHead(status, headers);
      response.end(JSON.stringify(body));
      log("sfu.request", {
        method,
        path,
        status,
        durationMs: Math.round(performance.now() - started),
        ...fields,
      });
    };
    readJson(request)
      .then((body) =>
        app.handle({
          method,
          path,
          authorization: request.headers.authorization,
          body,
        }),
      )
      .then(
        (result) =>
          reply(result.status, result.body, { sessionId: result.sessionId }),
        (error: unknown) => {
          if (error instanceof SfuError) {
            reply(
              error.status,
              { errorCode: error.errorCode, errorDescription: error.message },
              { errorCode: error.errorCode, errorDescription: error.message },
              error.retryAfterSeconds,
            );
            return;
          }
          log("sfu.error", {
            method,
            path,
            error: error instanceof Error ? error.message : String(error),
          });
          reply(
            500,
            {
              errorCode: "internal_error",
              errorDescription:
                "The SFU failed to handle the request; its log has the cause.",
            },
            { errorCode: "internal_error" },
          );
        },
      );
  });

  server.once("error", (error) => {
    log("sfu.error", {
      during: "listen",
      port: options.port,
      error: error.message,
    });
    process.exit(1);
  });
  server.listen(options.port, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo;
    log("sfu.started", { host: "127.0.0.1", port, appId: options.appId });
  });

  const shutdown = (signal: string): void => {
    log("sfu.stopping", { signal, sessions: app.sessions.size });
    server.close();
    server.closeAllConnections();
    app.stop().then(
      () => {
        log("sfu.stopped");
        process.exit(0);
      },
      (error: unknown) => {
        log("sfu.error", { during: "stop", error: String(error) });
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

main();
