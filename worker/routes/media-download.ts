import { ApiError } from "../../protocol/index.ts";
import { chatRoom, type Env } from "../env.ts";
import { jsonResponse } from "../http.ts";
import { log } from "../log.ts";
import { parseRange } from "../range.ts";
import { unwrap } from "../result.ts";
import type { ApiRequest, ApiRouter } from "../router.ts";
import { requireSession } from "../session.ts";
import { chatParam } from "./chats.ts";
import { mediaParam } from "./media.ts";

/**
 * Headers of every file reply. The bytes are ciphertext whose name and
 * type only the members' devices store, so the server serves them as an
 * opaque attachment. Access is checked on every request, so no cache may
 * keep a copy for a person who later leaves the chat.
 */
function fileHeaders(size: number, etag: string): Headers {
  return new Headers({
    "Content-Type": "application/octet-stream",
    "Content-Disposition": "attachment",
    "Content-Length": String(size),
    "Accept-Ranges": "bytes",
    "Cache-Control": "private, no-store",
    ETag: etag,
    "X-Content-Type-Options": "nosniff",
  });
}

function unsatisfiable(header: string, size: number): Response {
  const error = new ApiError(
    "invalid_request",
    `Range "${header}" lies outside the file of ${size} bytes; request ` +
      `bytes 0 to ${size - 1}.`,
    "Range",
  );
  return jsonResponse({ error: error.toBody() }, 416, {
    "Content-Range": `bytes */${size}`,
  });
}

/**
 * Serves GET and HEAD /api/chats/:chatId/media/:mediaId to a current
 * member, with one `Range` honoured (206). An unknown id, a file of
 * another chat and a caller who is not a member all get the same 404.
 */
async function downloadMedia(request: ApiRequest, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const chatId = chatParam(request);
  const mediaId = mediaParam(request);
  const file = unwrap(
    await chatRoom(env, chatId).mediaDownload(me.id, mediaId),
  );
  const rangeHeader = request.headers.get("Range");
  const range = parseRange(rangeHeader, file.size);
  if (range === "unsatisfiable") {
    return unsatisfiable(rangeHeader ?? "", file.size);
  }

  let object: R2Object | null;
  let body: ReadableStream | null = null;
  if (request.method === "HEAD") {
    object = await env.MEDIA.head(file.key);
  } else {
    const found = await env.MEDIA.get(
      file.key,
      range === null ? {} : { range },
    );
    object = found;
    body = found?.body ?? null;
  }
  if (object === null) {
    log("media.object_missing", { chatId, mediaId, userId: me.id });
    throw new ApiError("not_found", `No file ${mediaId} in this chat.`);
  }
  if (range === null) {
    return new Response(body, {
      headers: fileHeaders(file.size, object.httpEtag),
    });
  }
  const headers = fileHeaders(range.length, object.httpEtag);
  const last = range.offset + range.length - 1;
  headers.set("Content-Range", `bytes ${range.offset}-${last}/${file.size}`);
  return new Response(body, { status: 206, headers });
}

export function registerMediaDownloadRoutes(router: ApiRouter): void {
  const file = "/api/chats/:chatId/media/:mediaId";
  router.get(file, downloadMedia);
  router.head(file, downloadMedia);
}
