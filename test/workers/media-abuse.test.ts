import { describe, expect, it } from "vitest";
import { type UploadState } from "../../protocol/index.ts";
import {
  api,
  createGroup,
  errorOf,
  json,
  newMessageId,
  openDirect,
  signUp,
} from "./helpers.ts";
import {
  completeUpload,
  download,
  patternBytes,
  putPart,
  sendWithMedia,
  startUpload,
  uploadFile,
} from "./media-helpers.ts";

// Media requests that a careless or hostile client may send: bodies of
// the wrong length, races between completes, files the caller may not read.

async function addMember(
  chatId: string,
  owner: { cookie: string },
  userId: string,
): Promise<void> {
  const response = await api("POST", `/api/chats/${chatId}/members`, {
    cookie: owner.cookie,
    body: { userIds: [userId] },
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

describe("media access by history", () => {
  it("hides files sent before a member joined", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben]);
    const mediaId = await uploadFile(ana, chatId, patternBytes(100));
    expect((await sendWithMedia(ana, chatId, [mediaId])).status).toBe(200);

    await addMember(chatId, ana, cleo.id);

    // Cleo cannot read the message that lists the file, so the file is
    // not hers to read either.
    expect((await download(cleo, chatId, mediaId)).status).toBe(404);
  });
});

describe("media part bodies", () => {
  it("rejects a huge Content-Length", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const { mediaId } = await startUpload(ana, chatId, 100);
    const response = await putPart(ana, chatId, mediaId, 1, patternBytes(100), {
      stream: true,
      headers: { "Content-Length": "99999999999999999999" },
    });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe("body");
  });

  it("rejects a part with no body", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const { mediaId } = await startUpload(ana, chatId, 100);
    const response = await api(
      "PUT",
      `/api/chats/${chatId}/media/${mediaId}/parts/1`,
      { cookie: ana.cookie },
    );
    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe("body");
  });

  it("rejects a too long streamed part", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const { mediaId } = await startUpload(ana, chatId, 100);
    const response = await putPart(ana, chatId, mediaId, 1, patternBytes(101), {
      stream: true,
    });
    expect(response.status).toBe(400);
    const state = await json<UploadState>(
      await api("GET", `/api/chats/${chatId}/media/${mediaId}/upload`, {
        cookie: ana.cookie,
      }),
    );
    expect(state.done).toEqual([]);
  });
});

describe("media completion", () => {
  // A client that retries a complete whose reply was lost can overlap
  // with the first request, and both must succeed.
  it("completes twice at once", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const bytes = patternBytes(100);
    const { mediaId } = await startUpload(ana, chatId, 100);
    expect((await putPart(ana, chatId, mediaId, 1, bytes)).status).toBe(204);
    const replies = await Promise.all([
      completeUpload(ana, chatId, mediaId),
      completeUpload(ana, chatId, mediaId),
    ]);
    expect(replies[0]?.status, await replies[0]?.clone().text()).toBe(200);
    expect(replies[1]?.status, await replies[1]?.clone().text()).toBe(200);
    const file = await download(ana, chatId, mediaId);
    expect(file.status).toBe(200);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes);
  });

  it("rejects completing before parts arrive", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const { mediaId } = await startUpload(ana, chatId, 100);
    const response = await completeUpload(ana, chatId, mediaId);
    expect(response.status).toBe(409);
  });
});

describe("media attachment", () => {
  it("rejects media on reactions and edits", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const target = newMessageId();
    const sent = await api("POST", `/api/chats/${chatId}/messages`, {
      cookie: ana.cookie,
      body: { id: target, kind: "message", body: "hi" },
    });
    expect(sent.status).toBe(200);
    const mediaId = await uploadFile(ana, chatId, patternBytes(100));
    for (const kind of ["reaction", "edit"]) {
      const response = await api("POST", `/api/chats/${chatId}/messages`, {
        cookie: ana.cookie,
        body: {
          id: newMessageId(),
          kind,
          ref: target,
          body: "x",
          media: [mediaId],
        },
      });
      expect(response.status, kind).toBe(400);
    }
  });

  it("keeps a resent message's first files", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const first = await uploadFile(ana, chatId, patternBytes(100));
    const second = await uploadFile(ana, chatId, patternBytes(100, 3));
    const id = newMessageId();
    expect((await sendWithMedia(ana, chatId, [first], id)).status).toBe(200);
    expect((await sendWithMedia(ana, chatId, [second], id)).status).toBe(200);
    expect((await download(ben, chatId, first)).status).toBe(200);
    expect((await download(ben, chatId, second)).status).toBe(404);
  });
});
