import {
  MEDIA_PART_BYTES,
  partCount,
  type UploadState,
} from "../../../protocol/media.ts";
import { concat } from "../../../pwa/src/media/crypto.ts";

/**
 * An in-memory stand-in for the media routes of protocol/media.ts, used
 * as `fetch`. It records every request, and a test can make the next
 * requests of a kind fail or wait.
 */

interface StoredUpload {
  chatId: string;
  size: number;
  parts: Map<number, Uint8Array>;
  complete: boolean;
}

export interface Hook {
  /** Method and path pattern the hook applies to. */
  match: RegExp;
  /** Returns a response in place of the route's, or undefined to go on. */
  respond(request: Request): Promise<Response | undefined>;
}

export class FakeMediaServer {
  readonly uploads = new Map<string, StoredUpload>();
  /** "METHOD /path" of every request, in order. */
  readonly requests: string[] = [];
  hooks: Hook[] = [];
  #next = 0;

  readonly fetch = async (
    input: string,
    init?: RequestInit,
  ): Promise<Response> => {
    const request = new Request(new URL(input, "http://app.test"), init);
    const path = new URL(request.url).pathname;
    const line = `${request.method} ${path}`;
    this.requests.push(line);
    for (const hook of this.hooks) {
      if (!hook.match.test(line)) continue;
      const response = await hook.respond(request);
      if (response !== undefined) return response;
    }
    return this.#route(request, path);
  };

  /** Adds an upload with the given parts stored, and returns its id. */
  seed(chatId: string, size: number, parts: Map<number, Uint8Array>) {
    const mediaId = this.#newId();
    this.uploads.set(mediaId, { chatId, size, parts, complete: false });
    return mediaId;
  }

  /** Requests of `method` whose path ends with `suffix`. */
  count(method: string, pattern: RegExp): number {
    return this.requests.filter(
      (line) => line.startsWith(`${method} `) && pattern.test(line),
    ).length;
  }

  /** Returns the stored ciphertext of an upload, parts in order. */
  object(mediaId: string): Uint8Array<ArrayBuffer> {
    const upload = this.uploads.get(mediaId)!;
    const parts = [...upload.parts.entries()].sort(([a], [b]) => a - b);
    return concat(parts.map(([, bytes]) => bytes));
  }

  /** Ranges asked for by downloads, as "start-end". */
  readonly ranges: string[] = [];

  #download(request: Request, mediaId: string): Response {
    const object = this.object(mediaId);
    const range = /^bytes=(\d+)-(\d+)$/.exec(
      request.headers.get("Range") ?? "",
    );
    if (range === null) return new Response(object, { status: 200 });
    const start = Number(range[1]);
    const end = Math.min(Number(range[2]), object.length - 1);
    this.ranges.push(`${start}-${end}`);
    return new Response(object.slice(start, end + 1), {
      status: 206,
      headers: {
        "Content-Range": `bytes ${start}-${end}/${object.length}`,
      },
    });
  }

  #newId(): string {
    this.#next++;
    return `media${String(this.#next).padStart(17, "0")}`;
  }

  #state(mediaId: string, upload: StoredUpload): UploadState {
    return {
      mediaId,
      size: upload.size,
      partBytes: MEDIA_PART_BYTES,
      parts: partCount(upload.size),
      done: [...upload.parts.keys()].sort((a, b) => a - b),
      complete: upload.complete,
    };
  }

  async #route(request: Request, path: string): Promise<Response> {
    const create = /^\/api\/chats\/([^/]+)\/media$/.exec(path);
    if (create && request.method === "POST") {
      const { size } = (await request.json()) as { size: number };
      const mediaId = this.#newId();
      const upload = {
        chatId: create[1]!,
        size,
        parts: new Map(),
        complete: false,
      };
      this.uploads.set(mediaId, upload);
      return json(201, this.#state(mediaId, upload));
    }
    const file = /^\/api\/chats\/[^/]+\/media\/([^/]+)(\/.*)?$/.exec(path);
    const upload = file ? this.uploads.get(file[1]!) : undefined;
    if (!file || upload === undefined) {
      return json(404, {
        error: { code: "not_found", message: "No such file." },
      });
    }
    const mediaId = file[1]!;
    const rest = file[2] ?? "";
    const part = /^\/parts\/(\d+)$/.exec(rest);
    if (part && request.method === "PUT") {
      const bytes = new Uint8Array(await request.arrayBuffer());
      upload.parts.set(Number(part[1]), bytes);
      return new Response(null, { status: 204 });
    }
    if (rest === "/upload" && request.method === "GET") {
      return json(200, this.#state(mediaId, upload));
    }
    if (rest === "/complete" && request.method === "POST") {
      upload.complete = true;
      return json(200, this.#state(mediaId, upload));
    }
    if (rest === "" && request.method === "DELETE") {
      this.uploads.delete(mediaId);
      return new Response(null, { status: 204 });
    }
    if (rest === "" && request.method === "GET") {
      return this.#download(request, mediaId);
    }
    return json(400, {
      error: { code: "invalid_request", message: "Bad route." },
    });
  }
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}
