// The local SFU (dev/sfu/server.ts) against Chromium: one page publishes
// its fake camera and microphone, two pages pull them, and the HTTP API
// responds in the shapes of Cloudflare's Realtime SFU. The test makes the
// API calls from Node and passes SDP to and from the pages.
import { expect, test, type Browser, type Page } from "@playwright/test";
import {
  sfuRequest,
  startSfu,
  stopSfu,
  type SfuProcess,
} from "./sfu-server.ts";

declare global {
  interface Window {
    peer: RTCPeerConnection;
    /** Sets the local description and waits for every ICE candidate. */
    setLocalAndGather: (
      description: RTCSessionDescriptionInit,
    ) => Promise<string>;
  }
}

/**
 * Served by page.route, so no server is needed. An origin on 127.0.0.1 is
 * a secure context, which getUserMedia requires.
 */
const PAGE_URL = "http://127.0.0.1/sfu-test";

interface TrackResult {
  mid?: string;
  trackName?: string;
  sessionId?: string;
  errorCode?: string;
  errorDescription?: string;
}

let sfu: SfuProcess;

test.beforeAll(async () => {
  sfu = await startSfu();
});

test.afterAll(async () => {
  await stopSfu(sfu);
});

async function openPeerPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route(PAGE_URL, (route) =>
    route.fulfill({
      contentType: "text/html",
      body: "<!doctype html><title>SFU test</title>",
    }),
  );
  await page.goto(PAGE_URL);
  await page.evaluate(() => {
    window.peer = new RTCPeerConnection();
    // The SFU takes no trickled candidates, so the SDP must carry them.
    window.setLocalAndGather = async (description) => {
      const peer = window.peer;
      await peer.setLocalDescription(description);
      if (peer.iceGatheringState !== "complete") {
        await new Promise<void>((resolve) => {
          peer.addEventListener("icegatheringstatechange", () => {
            if (peer.iceGatheringState === "complete") resolve();
          });
        });
      }
      return peer.localDescription!.sdp;
    };
  });
  return page;
}

async function newSession(server: SfuProcess): Promise<string> {
  const reply = await sfuRequest(server, "POST", "sessions/new");
  expect(reply.status).toBe(201);
  expect(typeof reply.body.sessionId).toBe("string");
  return reply.body.sessionId as string;
}

/** Publishes the page's camera and microphone as tracks "video" and "audio". */
async function publishCamera(server: SfuProcess, page: Page): Promise<string> {
  const offer = await page.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: 320, height: 240 },
    });
    const transceivers = stream
      .getTracks()
      .map((track) =>
        window.peer.addTransceiver(track, { direction: "sendonly" }),
      );
    const sdp = await window.setLocalAndGather(await window.peer.createOffer());
    return {
      sdp,
      tracks: transceivers.map((transceiver) => ({
        location: "local",
        mid: transceiver.mid!,
        trackName: transceiver.sender.track!.kind,
      })),
    };
  });
  const sessionId = await newSession(server);
  const reply = await sfuRequest(
    server,
    "POST",
    `sessions/${sessionId}/tracks/new`,
    {
      sessionDescription: { type: "offer", sdp: offer.sdp },
      tracks: offer.tracks,
    },
  );
  expect(reply.status).toBe(200);
  expect(reply.body.requiresImmediateRenegotiation).toBe(false);
  const tracks = reply.body.tracks as TrackResult[];
  expect(tracks.map((track) => track.errorCode)).toEqual([
    undefined,
    undefined,
  ]);
  const answer = reply.body.sessionDescription as RTCSessionDescriptionInit;
  expect(answer.type).toBe("answer");
  await page.evaluate(
    (description) => window.peer.setRemoteDescription(description),
    answer,
  );
  return sessionId;
}

/** Pulls the publisher's "video" and "audio" tracks into a new session. */
async function pullCamera(
  server: SfuProcess,
  page: Page,
  publisherId: string,
): Promise<string> {
  const sessionId = await newSession(server);
  const reply = await sfuRequest(
    server,
    "POST",
    `sessions/${sessionId}/tracks/new`,
    {
      tracks: ["video", "audio"].map((trackName) => ({
        location: "remote",
        sessionId: publisherId,
        trackName,
      })),
    },
  );
  expect(reply.status).toBe(200);
  expect(reply.body.requiresImmediateRenegotiation).toBe(true);
  const tracks = reply.body.tracks as TrackResult[];
  expect(tracks.map((track) => track.trackName)).toEqual(["video", "audio"]);
  expect(tracks.every((track) => typeof track.mid === "string")).toBe(true);
  const offer = reply.body.sessionDescription as RTCSessionDescriptionInit;
  expect(offer.type).toBe("offer");
  const answerSdp = await page.evaluate(async (description) => {
    await window.peer.setRemoteDescription(description);
    return window.setLocalAndGather(await window.peer.createAnswer());
  }, offer);
  const renegotiated = await sfuRequest(
    server,
    "PUT",
    `sessions/${sessionId}/renegotiate`,
    {
      sessionDescription: { type: "answer", sdp: answerSdp },
    },
  );
  expect(renegotiated.status).toBe(200);
  return sessionId;
}

interface ReceivedMedia {
  framesDecoded: number;
  audioPackets: number;
}

async function receivedMedia(page: Page): Promise<ReceivedMedia> {
  return page.evaluate(async () => {
    const report = await window.peer.getStats();
    const media = { framesDecoded: 0, audioPackets: 0 };
    report.forEach((stats: Record<string, unknown>) => {
      if (stats.type !== "inbound-rtp") return;
      if (stats.kind === "video") {
        media.framesDecoded += Number(stats.framesDecoded ?? 0);
      } else if (stats.kind === "audio") {
        media.audioPackets += Number(stats.packetsReceived ?? 0);
      }
    });
    return media;
  });
}

/** Waits until the page has received `count` more audio packets. */
async function waitForAudioPackets(page: Page, count: number): Promise<void> {
  const start = (await receivedMedia(page)).audioPackets;
  await expect
    .poll(async () => (await receivedMedia(page)).audioPackets, {
      timeout: 15_000,
    })
    .toBeGreaterThanOrEqual(start + count);
}

test("pulled camera and microphone reach two pages", async ({ browser }) => {
  const publisher = await openPeerPage(browser);
  const viewerB = await openPeerPage(browser);
  const viewerC = await openPeerPage(browser);

  const publisherId = await publishCamera(sfu, publisher);
  const viewerBId = await pullCamera(sfu, viewerB, publisherId);
  await pullCamera(sfu, viewerC, publisherId);

  for (const viewer of [viewerB, viewerC]) {
    await expect
      .poll(async () => (await receivedMedia(viewer)).framesDecoded, {
        timeout: 20_000,
      })
      .toBeGreaterThan(0);
    await expect
      .poll(async () => (await receivedMedia(viewer)).audioPackets, {
        timeout: 20_000,
      })
      .toBeGreaterThan(0);
  }

  const state = await sfuRequest(sfu, "GET", `sessions/${publisherId}`);
  expect(state.status).toBe(200);
  const published = state.body.tracks as {
    trackName: string;
    status: string;
  }[];
  expect(published.map((track) => track.trackName).sort()).toEqual([
    "audio",
    "video",
  ]);
  expect(published.map((track) => track.status)).toEqual(["active", "active"]);
  const pulledState = await sfuRequest(sfu, "GET", `sessions/${viewerBId}`);
  expect(pulledState.body.tracks).toHaveLength(2);
});

/** Publishes on one page, pulls on another, and waits for decoded video. */
async function startCall(
  server: SfuProcess,
  browser: Browser,
): Promise<{
  publisher: Page;
  viewer: Page;
  publisherId: string;
  viewerId: string;
}> {
  const publisher = await openPeerPage(browser);
  const viewer = await openPeerPage(browser);
  const publisherId = await publishCamera(server, publisher);
  const viewerId = await pullCamera(server, viewer, publisherId);
  await expect
    .poll(async () => (await receivedMedia(viewer)).framesDecoded, {
      timeout: 20_000,
    })
    .toBeGreaterThan(0);
  return { publisher, viewer, publisherId, viewerId };
}

async function publishedTrackNames(
  server: SfuProcess,
  sessionId: string,
): Promise<string[]> {
  const state = await sfuRequest(server, "GET", `sessions/${sessionId}`);
  expect(state.status).toBe(200);
  const tracks = state.body.tracks as { trackName: string }[];
  return tracks.map((track) => track.trackName);
}

test("force close stops forwarding a track", async ({ browser }) => {
  const { publisher, viewer, publisherId } = await startCall(sfu, browser);
  const videoMid = await publisher.evaluate(
    () =>
      window.peer
        .getTransceivers()
        .find((transceiver) => transceiver.sender.track?.kind === "video")!
        .mid!,
  );

  // With force and no offer, the publisher's browser keeps sending video,
  // so only the SFU can stop it from reaching the viewer.
  const reply = await sfuRequest(
    sfu,
    "PUT",
    `sessions/${publisherId}/tracks/close`,
    {
      tracks: [{ mid: videoMid }],
      force: true,
    },
  );
  expect(reply.status).toBe(200);
  expect(reply.body.requiresImmediateRenegotiation).toBe(false);
  expect(reply.body.tracks).toEqual([{ mid: videoMid, trackName: "video" }]);

  // Audio keeps flowing, which shows the path is alive while video stops.
  // Frames already in flight are decoded within the first second.
  await waitForAudioPackets(viewer, 50);
  const framesAfterClose = (await receivedMedia(viewer)).framesDecoded;
  await waitForAudioPackets(viewer, 100);
  expect((await receivedMedia(viewer)).framesDecoded).toBe(framesAfterClose);
  expect(await publishedTrackNames(sfu, publisherId)).toEqual(["audio"]);
});

test("close with an offer returns an answer", async ({ browser }) => {
  const { publisher, publisherId } = await startCall(sfu, browser);

  // The publisher stops its video transceiver and sends an offer with that
  // media section stopped, as a client closes a track on Cloudflare's SFU.
  const closing = await publisher.evaluate(async () => {
    const video = window.peer
      .getTransceivers()
      .find((transceiver) => transceiver.sender.track?.kind === "video")!;
    const mid = video.mid!;
    video.stop();
    const sdp = await window.setLocalAndGather(await window.peer.createOffer());
    return { mid, sdp };
  });
  const reply = await sfuRequest(
    sfu,
    "PUT",
    `sessions/${publisherId}/tracks/close`,
    {
      tracks: [{ mid: closing.mid }],
      sessionDescription: { type: "offer", sdp: closing.sdp },
      force: false,
    },
  );
  expect(reply.status).toBe(200);
  expect(reply.body.tracks).toEqual([{ mid: closing.mid, trackName: "video" }]);
  const answer = reply.body.sessionDescription as RTCSessionDescriptionInit;
  expect(answer.type).toBe("answer");
  await publisher.evaluate(
    (description) => window.peer.setRemoteDescription(description),
    answer,
  );
  expect(await publisher.evaluate(() => window.peer.signalingState)).toBe(
    "stable",
  );
  expect(await publishedTrackNames(sfu, publisherId)).toEqual(["audio"]);
});

test.describe("idle limit of 2 s", () => {
  let idleSfu: SfuProcess;

  test.beforeAll(async () => {
    idleSfu = await startSfu(["--idle-timeout", "2"]);
  });

  test.afterAll(async () => {
    await stopSfu(idleSfu);
  });

  test("track without media is dropped", async ({ browser }) => {
    const { publisher, publisherId, viewerId } = await startCall(
      idleSfu,
      browser,
    );

    // The publisher's session outlives this by about 30 s (see Session),
    // but its tracks stop receiving RTP at once.
    await publisher.evaluate(() => window.peer.close());

    await expect
      .poll(
        async () => {
          const state = await sfuRequest(
            idleSfu,
            "GET",
            `sessions/${viewerId}`,
          );
          const tracks = state.body.tracks as { status: string }[];
          return tracks.map((track) => track.status);
        },
        { timeout: 15_000 },
      )
      .toEqual(["inactive", "inactive"]);
    expect(await publishedTrackNames(idleSfu, publisherId)).toEqual([]);
    const repull = await sfuRequest(
      idleSfu,
      "POST",
      `sessions/${viewerId}/tracks/new`,
      {
        tracks: [
          { location: "remote", sessionId: publisherId, trackName: "video" },
        ],
      },
    );
    const tracks = repull.body.tracks as TrackResult[];
    expect(tracks[0]?.errorCode).toBe("not_found");
  });
});

test.describe("SFU API errors", () => {
  test("wrong app secret gets 401", async () => {
    const reply = await sfuRequest(
      sfu,
      "POST",
      "sessions/new",
      undefined,
      "wrong",
    );
    expect(reply.status).toBe(401);
    expect(reply.body.errorCode).toBe("unauthorized");
    expect(typeof reply.body.errorDescription).toBe("string");
    expect(reply.body.sessionId).toBeUndefined();
  });

  test("unknown session gets 404", async () => {
    for (const [method, path] of [
      ["GET", "sessions/0123456789abcdef"],
      ["POST", "sessions/0123456789abcdef/tracks/new"],
      ["PUT", "sessions/0123456789abcdef/renegotiate"],
      ["PUT", "sessions/0123456789abcdef/tracks/close"],
    ] as const) {
      const reply = await sfuRequest(
        sfu,
        method,
        path,
        method === "GET" ? undefined : {},
      );
      expect(reply.status, `${method} ${path}`).toBe(404);
      expect(reply.body.errorCode, `${method} ${path}`).toBe(
        "session_not_found",
      );
      expect(reply.body.errorDescription, `${method} ${path}`).toContain(
        "0123456789abcdef",
      );
    }
  });

  test("pulling a missing track returns a track error", async () => {
    const publisherId = await newSession(sfu);
    const pullerId = await newSession(sfu);
    const reply = await sfuRequest(
      sfu,
      "POST",
      `sessions/${pullerId}/tracks/new`,
      {
        tracks: [
          { location: "remote", sessionId: publisherId, trackName: "missing" },
          {
            location: "remote",
            sessionId: "no-such-session",
            trackName: "video",
          },
        ],
      },
    );
    expect(reply.status).toBe(200);
    expect(reply.body.requiresImmediateRenegotiation).toBe(false);
    expect(reply.body.sessionDescription).toBeUndefined();
    const tracks = reply.body.tracks as TrackResult[];
    expect(tracks).toHaveLength(2);
    expect(tracks[0]?.trackName).toBe("missing");
    expect(tracks[0]?.errorCode).toBe("not_found");
    expect(tracks[0]?.errorDescription).toContain("missing");
    expect(tracks[1]?.sessionId).toBe("no-such-session");
    expect(tracks[1]?.errorCode).toBe("not_found");
  });

  test("invalid body gets 400 naming the field", async () => {
    const sessionId = await newSession(sfu);
    const reply = await sfuRequest(
      sfu,
      "POST",
      `sessions/${sessionId}/tracks/new`,
      {
        tracks: [{ location: "local", trackName: "video" }],
      },
    );
    expect(reply.status).toBe(400);
    expect(reply.body.errorCode).toBe("invalid_request");
    expect(reply.body.errorDescription).toContain("tracks.0.mid");
  });

  test("invalid SDP gets 400", async () => {
    const reply = await sfuRequest(sfu, "POST", "sessions/new", {
      sessionDescription: { type: "offer", sdp: "not an SDP" },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.errorCode).toBe("invalid_request");
    expect(reply.body.errorDescription).toContain("sessionDescription.sdp");
  });
});
