import { env, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { v7 as uuidv7 } from "uuid";
import {
  MAX_PROFILE_PHOTO_BYTES,
  PROFILE_PHOTO_EDGE,
} from "../../protocol/index.ts";
import {
  api,
  errorOf,
  json,
  ORIGIN,
  signUp,
  type MeReplyBody,
  type TestUser,
} from "./helpers.ts";
import { JPEG_16, jpegClaiming, WEBP_16 } from "./photo-images.ts";

interface UploadOptions {
  cookie?: string;
  type?: string | null;
  origin?: string;
  /** Sends the body as a stream, without a Content-Length. */
  stream?: boolean;
}

async function upload(
  user: TestUser | null,
  bytes: Uint8Array<ArrayBuffer>,
  options: UploadOptions = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  const type = options.type === undefined ? "image/jpeg" : options.type;
  if (type !== null) headers["Content-Type"] = type;
  const cookie = options.cookie ?? user?.cookie;
  if (cookie !== undefined) headers.Cookie = cookie;
  if (options.origin !== undefined) headers.Origin = options.origin;
  const body = options.stream
    ? new ReadableStream<Uint8Array<ArrayBuffer>>({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      })
    : bytes;
  return SELF.fetch(`${ORIGIN}/api/me/photo`, {
    method: "PUT",
    headers,
    body,
  });
}

/** Uploads a photo that must be accepted and returns its id. */
async function setPhoto(user: TestUser, bytes = JPEG_16, type = "image/jpeg") {
  const response = await upload(user, bytes, { type });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await json<{ photoId: string }>(response)).photoId;
}

function fetchPhoto(
  viewer: TestUser | null,
  ownerId: string,
  photoId: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const all = { ...headers };
  if (viewer !== null) all.Cookie = viewer.cookie;
  return SELF.fetch(`${ORIGIN}/api/users/${ownerId}/photos/${photoId}`, {
    headers: all,
  });
}

async function currentPhotoId(user: TestUser): Promise<string | null> {
  const response = await api("GET", "/api/me", { cookie: user.cookie });
  return (await json<MeReplyBody>(response)).me.photoId;
}

async function storedKeys(user: TestUser): Promise<string[]> {
  const listed = await env.MEDIA.list({ prefix: `photos/${user.id}/` });
  return listed.objects.map((object) => object.key);
}

async function setPhotoVisibility(user: TestUser, value: string) {
  const response = await api("PATCH", "/api/me/settings", {
    cookie: user.cookie,
    body: { photoVisibility: value },
  });
  expect(response.status).toBe(200);
}

describe("photo upload", () => {
  it("stores a JPEG as the current photo", async () => {
    const ana = await signUp();
    const photoId = await setPhoto(ana);
    expect(photoId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(await currentPhotoId(ana)).toBe(photoId);
    const object = await env.MEDIA.get(`photos/${ana.id}/${photoId}`);
    expect(object?.httpMetadata?.contentType).toBe("image/jpeg");
    expect(object?.size).toBe(JPEG_16.byteLength);
    await object?.body.cancel();
  });

  it("stores a WebP as the current photo", async () => {
    const ana = await signUp();
    const photoId = await setPhoto(ana, WEBP_16, "image/webp");
    expect(await currentPhotoId(ana)).toBe(photoId);
    const object = await env.MEDIA.head(`photos/${ana.id}/${photoId}`);
    expect(object?.httpMetadata?.contentType).toBe("image/webp");
  });

  it("accepts a media type with parameters", async () => {
    const ana = await signUp();
    const response = await upload(ana, JPEG_16, {
      type: "Image/JPEG; charset=binary",
    });
    expect(response.status).toBe(200);
  });

  it("rejects a declared length over the limit", async () => {
    const ana = await signUp();
    const bytes = new Uint8Array(MAX_PROFILE_PHOTO_BYTES + 1);
    bytes.set(JPEG_16);
    const response = await upload(ana, bytes);
    expect(response.status).toBe(413);
    const error = await errorOf(response);
    expect(error.code).toBe("too_large");
    expect(error.message).toContain(String(MAX_PROFILE_PHOTO_BYTES));
    expect(await storedKeys(ana)).toEqual([]);
  });

  it("rejects a streamed body over the limit", async () => {
    const ana = await signUp();
    const bytes = new Uint8Array(MAX_PROFILE_PHOTO_BYTES + 1);
    bytes.set(JPEG_16);
    const response = await upload(ana, bytes, { stream: true });
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe("too_large");
    expect(await storedKeys(ana)).toEqual([]);
  });

  it("accepts a streamed body within the limit", async () => {
    const ana = await signUp();
    const response = await upload(ana, JPEG_16, { stream: true });
    expect(response.status).toBe(200);
  });

  it("rejects an empty body", async () => {
    const ana = await signUp();
    for (const stream of [false, true]) {
      const response = await upload(ana, new Uint8Array(0), { stream });
      expect(response.status).toBe(400);
      const error = await errorOf(response);
      expect(error.code).toBe("invalid_request");
      expect(error.field).toBe("body");
      expect(error.message).toBe("The photo is empty.");
    }
  });

  it("rejects a type other than JPEG or WebP", async () => {
    const ana = await signUp();
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
    const response = await upload(ana, png, { type: "image/png" });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("invalid_request");
    expect(error.field).toBe("Content-Type");
    expect(error.message).toBe(
      'Content-Type must be image/jpeg or image/webp; got "image/png".',
    );
  });

  it("rejects a missing Content-Type", async () => {
    const ana = await signUp();
    const response = await upload(ana, JPEG_16, { type: null });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.field).toBe("Content-Type");
    expect(error.message).toContain("it is missing");
  });

  it("rejects bytes of the other format", async () => {
    const ana = await signUp();
    const response = await upload(ana, WEBP_16, { type: "image/jpeg" });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.field).toBe("body");
    expect(error.message).toBe(
      "The body is image/webp but Content-Type says image/jpeg.",
    );
    expect(await storedKeys(ana)).toEqual([]);
  });

  it("rejects bytes that are no image", async () => {
    const ana = await signUp();
    const text = new TextEncoder().encode("<svg onload=alert(1)>");
    const response = await upload(ana, text, { type: "image/webp" });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.field).toBe("body");
    expect(error.message).toContain("not a JPEG or WebP image");
  });

  it("rejects a JPEG whose header is cut off", async () => {
    const ana = await signUp();
    const response = await upload(ana, JPEG_16.slice(0, 100));
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toContain("header is damaged");
  });

  it("rejects images not square or over the edge", async () => {
    const ana = await signUp();
    const edge = PROFILE_PHOTO_EDGE;
    for (const [width, height] of [
      [16, 8],
      [edge + 1, edge + 1],
    ] as const) {
      const response = await upload(ana, jpegClaiming(width, height));
      expect(response.status).toBe(400);
      const error = await errorOf(response);
      expect(error.field).toBe("body");
      expect(error.message).toBe(
        `The photo is ${width}×${height} pixels; it must be square and at ` +
          `most ${edge} pixels on each side.`,
      );
    }
    expect(await storedKeys(ana)).toEqual([]);
  });

  it("accepts a photo at the full edge", async () => {
    const ana = await signUp();
    const bytes = jpegClaiming(PROFILE_PHOTO_EDGE, PROFILE_PHOTO_EDGE);
    expect((await upload(ana, bytes)).status).toBe(200);
  });

  it("requires a session", async () => {
    const response = await upload(null, JPEG_16);
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthenticated");
  });

  it("rejects another site's origin", async () => {
    const ana = await signUp();
    const response = await upload(ana, JPEG_16, {
      origin: "https://evil.example",
    });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe("bad_origin");
    expect(await currentPhotoId(ana)).toBeNull();
  });

  it("limits uploads per hour", async () => {
    const ana = await signUp();
    for (let count = 1; count <= 30; count++) {
      await setPhoto(ana);
    }
    const response = await upload(ana, JPEG_16);
    expect(response.status).toBe(429);
    const error = await errorOf(response);
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfter).toBeGreaterThan(0);
    expect(response.headers.get("Retry-After")).toBe(String(error.retryAfter));
  });

  it("replaces the photo and deletes the old object", async () => {
    const ana = await signUp();
    const first = await setPhoto(ana);
    const second = await setPhoto(ana, WEBP_16, "image/webp");
    expect(second).not.toBe(first);
    expect(await currentPhotoId(ana)).toBe(second);
    expect(await storedKeys(ana)).toEqual([`photos/${ana.id}/${second}`]);
  });

  it("keeps a young leftover of another upload", async () => {
    const ana = await signUp();
    const running = `photos/${ana.id}/${uuidv7()}`;
    await env.MEDIA.put(running, JPEG_16);
    const photoId = await setPhoto(ana);
    expect((await storedKeys(ana)).sort()).toEqual(
      [running, `photos/${ana.id}/${photoId}`].sort(),
    );
  });

  it("deletes leftovers older than ten minutes", async () => {
    const ana = await signUp();
    const leftover = `photos/${ana.id}/${uuidv7()}`;
    await env.MEDIA.put(leftover, JPEG_16);
    // The Worker runs in this isolate, so it reads the faked clock, while
    // R2 stamped the leftover with the real time.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 11 * 60 * 1000);
      const photoId = await setPhoto(ana);
      expect(await storedKeys(ana)).toEqual([`photos/${ana.id}/${photoId}`]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("photo serving", () => {
  it("serves the owner their photo with cache headers", async () => {
    const ana = await signUp();
    const photoId = await setPhoto(ana);
    const response = await fetchPhoto(ana, ana.id, photoId);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("image/jpeg");
    expect(response.headers.get("Cache-Control")).toBe(
      "private, max-age=31536000, immutable",
    );
    expect(response.headers.get("ETag")).toMatch(/^"[0-9a-f]+"$/);
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    const body = new Uint8Array(await response.arrayBuffer());
    expect(body).toEqual(JPEG_16);
  });

  it("serves another person the photo", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const photoId = await setPhoto(ana, WEBP_16, "image/webp");
    const response = await fetchPhoto(ben, ana.id, photoId);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("image/webp");
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(WEBP_16);
  });

  it("answers 304 to a matching If-None-Match", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const photoId = await setPhoto(ana);
    const first = await fetchPhoto(ben, ana.id, photoId);
    const etag = first.headers.get("ETag") ?? "";
    await first.body?.cancel();
    const again = await fetchPhoto(ben, ana.id, photoId, {
      "If-None-Match": etag,
    });
    expect(again.status).toBe(304);
    expect(again.headers.get("ETag")).toBe(etag);
    expect(await again.text()).toBe("");
  });

  it("answers 404 for a replaced photo", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const old = await setPhoto(ana);
    await setPhoto(ana);
    for (const viewer of [ana, ben]) {
      const response = await fetchPhoto(viewer, ana.id, old);
      expect(response.status).toBe(404);
      expect(await errorOf(response)).toEqual({
        code: "not_found",
        message: "No such photo.",
      });
    }
  });

  it("answers 404 for an unknown photo id", async () => {
    const ana = await signUp();
    const ben = await signUp();
    await setPhoto(ana);
    const response = await fetchPhoto(ben, ana.id, uuidv7());
    expect(response.status).toBe(404);
    const malformed = await fetchPhoto(ben, ana.id, "..%2F..%2Fsecret");
    expect(malformed.status).toBe(404);
  });

  it("hides the photo when visibility is nobody", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const photoId = await setPhoto(ana);
    await setPhotoVisibility(ana, "nobody");
    const hidden = await fetchPhoto(ben, ana.id, photoId);
    expect(hidden.status).toBe(404);
    expect(await errorOf(hidden)).toEqual({
      code: "not_found",
      message: "No such photo.",
    });
    const own = await fetchPhoto(ana, ana.id, photoId);
    expect(own.status).toBe(200);
    await own.body?.cancel();
    await setPhotoVisibility(ana, "everyone");
    const shown = await fetchPhoto(ben, ana.id, photoId);
    expect(shown.status).toBe(200);
    await shown.body?.cancel();
  });

  it("follows the contacts rule", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const cleo = await signUp();
    const photoId = await setPhoto(ana);
    await setPhotoVisibility(ana, "contacts");
    const added = await api("POST", "/api/contacts", {
      cookie: ana.cookie,
      body: { phone: ben.phone, name: "Ben" },
    });
    expect(added.status).toBe(200);

    const contact = await fetchPhoto(ben, ana.id, photoId);
    expect(contact.status).toBe(200);
    await contact.body?.cancel();
    const stranger = await fetchPhoto(cleo, ana.id, photoId);
    expect(stranger.status).toBe(404);
    expect(await errorOf(stranger)).toEqual({
      code: "not_found",
      message: "No such photo.",
    });

    // Removing Ben from the contacts hides the photo from him at once.
    const removed = await api("POST", "/api/contacts/remove", {
      cookie: ana.cookie,
      body: { phone: ben.phone },
    });
    expect(removed.status).toBe(204);
    expect((await fetchPhoto(ben, ana.id, photoId)).status).toBe(404);
  });

  it("hides the photo from a blocked person", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const photoId = await setPhoto(ana);
    const blocked = await api("PUT", `/api/blocks/${ben.id}`, {
      cookie: ana.cookie,
    });
    expect(blocked.status).toBe(204);
    expect((await fetchPhoto(ben, ana.id, photoId)).status).toBe(404);
  });

  it("requires a session", async () => {
    const ana = await signUp();
    const photoId = await setPhoto(ana);
    const response = await fetchPhoto(null, ana.id, photoId);
    expect(response.status).toBe(401);
  });
});

describe("photo removal", () => {
  it("clears the photo and deletes the object", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const photoId = await setPhoto(ana);
    const response = await api("DELETE", "/api/me/photo", {
      cookie: ana.cookie,
    });
    expect(response.status).toBe(204);
    expect(await currentPhotoId(ana)).toBeNull();
    expect(await storedKeys(ana)).toEqual([]);
    expect((await fetchPhoto(ben, ana.id, photoId)).status).toBe(404);
    expect((await fetchPhoto(ana, ana.id, photoId)).status).toBe(404);
  });

  it("succeeds without a photo", async () => {
    const ana = await signUp();
    const response = await api("DELETE", "/api/me/photo", {
      cookie: ana.cookie,
    });
    expect(response.status).toBe(204);
    expect(await currentPhotoId(ana)).toBeNull();
  });

  it("requires a session", async () => {
    const response = await api("DELETE", "/api/me/photo");
    expect(response.status).toBe(401);
  });
});
