// Steps for the call specs: a hook that lets tests read each page's
// RTCPeerConnection stats, and the call screen's parts.
import type { Locator, Page } from "@playwright/test";
import { expect, type Person } from "./helpers.ts";

/** Media counters of a page's newest open peer connection. */
export interface MediaCounters {
  /** inbound-rtp video `framesDecoded`. */
  framesDecoded: number;
  /** inbound-rtp audio `packetsReceived`. */
  audioPacketsReceived: number;
  /** outbound-rtp audio `packetsSent`. */
  audioPacketsSent: number;
  /** outbound-rtp video `packetsSent`. */
  videoPacketsSent: number;
}

declare global {
  interface Window {
    /** Set by the init script of `watchMedia`, in test pages only. */
    testPeerConnections?: RTCPeerConnection[];
    testMediaTracks?: MediaStreamTrack[];
  }
}

/**
 * Records every RTCPeerConnection and getUserMedia track that a page of
 * the person's context makes, so tests can read stats and track states,
 * and reloads the page so the script runs. The app has no test hook.
 */
export async function watchMedia(person: Person): Promise<void> {
  await person.context.addInitScript(() => {
    const connections: RTCPeerConnection[] = [];
    const tracks: MediaStreamTrack[] = [];
    window.testPeerConnections = connections;
    window.testMediaTracks = tracks;
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
      constructor(configuration?: RTCConfiguration) {
        super(configuration);
        connections.push(this);
      }
    };
    const devices = navigator.mediaDevices;
    const getUserMedia = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (constraints) => {
      const stream = await getUserMedia(constraints);
      // The tracks as opened: the app may move them between streams.
      tracks.push(...stream.getTracks());
      return stream;
    };
  });
  await person.page.reload();
}

/** Reads the counters of the page's newest peer connection that is open. */
export async function mediaCounters(page: Page): Promise<MediaCounters> {
  return page.evaluate(async () => {
    const counters = {
      framesDecoded: 0,
      audioPacketsReceived: 0,
      audioPacketsSent: 0,
      videoPacketsSent: 0,
    };
    const open = (window.testPeerConnections ?? []).filter(
      (connection) => connection.connectionState !== "closed",
    );
    const connection = open[open.length - 1];
    if (connection === undefined) return counters;
    const report = await connection.getStats();
    report.forEach((stats: Record<string, unknown>) => {
      const count = (key: string) =>
        typeof stats[key] === "number" ? stats[key] : 0;
      if (stats.type === "inbound-rtp" && stats.kind === "video") {
        counters.framesDecoded += count("framesDecoded");
      } else if (stats.type === "inbound-rtp" && stats.kind === "audio") {
        counters.audioPacketsReceived += count("packetsReceived");
      } else if (stats.type === "outbound-rtp" && stats.kind === "audio") {
        counters.audioPacketsSent += count("packetsSent");
      } else if (stats.type === "outbound-rtp" && stats.kind === "video") {
        counters.videoPacketsSent += count("packetsSent");
      }
    });
    return counters;
  });
}

/** The ICE username fragments of a peer connection's descriptions. */
export interface IceUfrags {
  local: string | null;
  remote: string | null;
}

/**
 * Reads the `a=ice-ufrag` of the current local and remote descriptions of
 * the page's newest open peer connection. An ICE restart changes both.
 */
export async function iceUfrags(page: Page): Promise<IceUfrags> {
  return page.evaluate(() => {
    const ufragOf = (sdp: string | undefined) =>
      /^a=ice-ufrag:(\S+)$/m.exec(sdp ?? "")?.[1] ?? null;
    const open = (window.testPeerConnections ?? []).filter(
      (connection) => connection.connectionState !== "closed",
    );
    const connection = open[open.length - 1];
    return {
      local: ufragOf(connection?.currentLocalDescription?.sdp),
      remote: ufragOf(connection?.currentRemoteDescription?.sdp),
    };
  });
}

/** Returns how many camera tracks that the page opened still run. */
export async function liveCameraTracks(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      (window.testMediaTracks ?? []).filter(
        (track) => track.kind === "video" && track.readyState === "live",
      ).length,
  );
}

/** Waits until the page decodes video and receives audio. */
export async function expectMediaFlowing(
  page: Page,
  which: { video: boolean },
): Promise<void> {
  await expect
    .poll(async () => (await mediaCounters(page)).audioPacketsReceived, {
      message: "inbound audio packetsReceived",
      timeout: 30_000,
    })
    .toBeGreaterThan(0);
  if (!which.video) return;
  await expect
    .poll(async () => (await mediaCounters(page)).framesDecoded, {
      message: "inbound video framesDecoded",
      timeout: 30_000,
    })
    .toBeGreaterThan(0);
}

type Counter = keyof MediaCounters;

/**
 * Waits until `counter` of the page stops growing: two reads a second
 * apart are equal. Returns the value it stopped at.
 */
export async function expectCounterStops(
  page: Page,
  counter: Counter,
): Promise<number> {
  let previous = -1;
  let stoppedAt = -1;
  await expect
    .poll(
      async () => {
        const value = (await mediaCounters(page))[counter];
        const stopped = value === previous;
        previous = value;
        if (stopped) stoppedAt = value;
        return stopped;
      },
      {
        message: `${counter} stops growing`,
        intervals: [1_000],
        timeout: 15_000,
      },
    )
    .toBe(true);
  return stoppedAt;
}

/** Waits until `counter` of the page passes `value`. */
export async function expectCounterAbove(
  page: Page,
  counter: Counter,
  value: number,
): Promise<void> {
  await expect
    .poll(async () => (await mediaCounters(page))[counter], {
      message: `${counter} grows past ${value}`,
      timeout: 15_000,
    })
    .toBeGreaterThan(value);
}

/** Returns the call screen of the page. */
export function callScreen(page: Page, name: string | RegExp): Locator {
  return page.getByRole("dialog", { name });
}

/** Returns the chat's call entry whose text matches `text`. */
export function callEntry(page: Page, text: string | RegExp): Locator {
  return page
    .getByRole("log", { name: "Messages" })
    .getByRole("article", { name: text });
}

/** Starts a call from the open one-to-one chat's header. */
export async function startCall(page: Page, video: boolean): Promise<void> {
  await page
    .getByRole("button", { name: video ? "Video call" : "Voice call" })
    .click();
}

/** Holds back the call signalling that the server sends to one page. */
export interface SignalGate {
  /** Starts holding `call.signal` frames and counting sent offers. */
  hold(): void;
  /** Offers the page sent since `hold`. */
  offersSent(): number;
  /** Delivers the held frames in order and stops holding. */
  release(): void;
}

/**
 * Routes the page's socket through a gate for `call.signal` frames, and
 * reloads the page so its socket goes through the route. Holding both
 * ends' incoming signals while each makes an offer makes the offers
 * collide for certain.
 */
export async function gateSignals(page: Page): Promise<SignalGate> {
  let holding = false;
  let offers = 0;
  const held: string[] = [];
  let deliver: ((frame: string) => void) | null = null;
  await page.routeWebSocket(/\/api\/ws$/, (socket) => {
    const server = socket.connectToServer();
    deliver = (frame) => socket.send(frame);
    socket.onMessage((frame) => {
      const text = String(frame);
      if (holding && isSignal(text) && text.includes('"type":"offer"')) {
        offers += 1;
      }
      server.send(frame);
    });
    server.onMessage((frame) => {
      const text = String(frame);
      if (holding && isSignal(text)) held.push(text);
      else socket.send(frame);
    });
  });
  await page.reload();
  return {
    hold() {
      holding = true;
      offers = 0;
    },
    offersSent: () => offers,
    release() {
      holding = false;
      for (const frame of held.splice(0)) deliver?.(frame);
    },
  };
}

function isSignal(frame: string): boolean {
  return frame.includes('"type":"call.signal"');
}

/**
 * Returns framesDecoded of every inbound video track of the page's newest
 * open peer connection, by the stats id of the track.
 */
async function framesPerVideoTrack(page: Page): Promise<Map<string, number>> {
  const entries = await page.evaluate(async () => {
    const open = (window.testPeerConnections ?? []).filter(
      (connection) => connection.connectionState !== "closed",
    );
    const connection = open[open.length - 1];
    if (connection === undefined) return [];
    const frames: [string, number][] = [];
    const report = await connection.getStats();
    report.forEach((stats: Record<string, unknown>) => {
      if (stats.type !== "inbound-rtp" || stats.kind !== "video") return;
      frames.push([String(stats.id), Number(stats.framesDecoded ?? 0)]);
    });
    return frames;
  });
  return new Map(entries);
}

/**
 * Returns how many inbound video tracks decode frames now: their
 * framesDecoded grows between two reads a second apart.
 */
async function decodingVideoTracks(page: Page): Promise<number> {
  const before = await framesPerVideoTrack(page);
  await page.waitForTimeout(1_000);
  const after = await framesPerVideoTrack(page);
  let decoding = 0;
  for (const [id, frames] of after) {
    if (frames > (before.get(id) ?? 0)) decoding += 1;
  }
  return decoding;
}

/** Waits until the page decodes the video of `count` other people. */
export async function expectVideoFrom(
  page: Page,
  count: number,
): Promise<void> {
  await expect
    .poll(() => decodingVideoTracks(page), {
      message: "inbound video tracks decoding frames",
      timeout: 45_000,
    })
    .toBe(count);
}

export function grid(page: Page): Locator {
  return callScreen(page, "Group video call").getByRole("list", {
    name: "Participants",
  });
}

export function tileOf(page: Page, name: string): Locator {
  return grid(page).getByRole("listitem", { name: new RegExp(name) });
}
