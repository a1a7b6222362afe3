// Steps of the group call specs: video decoding counts of a page, the
// grid and its tiles, a group of three people with the group open, and
// the local SFU's payload check of encrypted calls.
import type { Locator, Page } from "@playwright/test";
import { callScreen, watchMedia } from "./call-steps.ts";
import { createGroup } from "./steps.ts";
import {
  expect,
  messageWith,
  openChat,
  sendText,
  type Person,
} from "./helpers.ts";

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
export async function decodingVideoTracks(page: Page): Promise<number> {
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

/** Signs up Ana, Ben and Cleo with their group "Trip" open. */
export async function groupOfThree(
  newPerson: (name: string) => Promise<Person>,
): Promise<[Person, Person, Person]> {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  const cleo = await newPerson("Cleo");
  for (const person of [ana, ben, cleo]) await watchMedia(person);
  await createGroup(ana, "Trip", [ben, cleo]);
  await openChat(ben.page, "Trip");
  await openChat(cleo.page, "Trip");
  return [ana, ben, cleo];
}

/** The SFU's payload check of one published video track. */
export interface TrackPayloads {
  sessionId: string;
  trackName: string;
  frames: number;
  keyframes: number;
  kids: number;
  growingCtr: number;
  skipped: number;
}

export async function payloadReport(): Promise<TrackPayloads[]> {
  const base = process.env.E2E_SFU_API_URL ?? "";
  const appId = process.env.E2E_SFU_APP_ID ?? "";
  const response = await fetch(`${base}/apps/${appId}/payload-check`, {
    headers: { authorization: `Bearer ${process.env.E2E_SFU_APP_SECRET}` },
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { tracks: TrackPayloads[] };
  return body.tracks;
}

/**
 * Waits until the SFU has forwarded 60 frames on each of three video
 * tracks opened after `before` (session ids), then checks that every such
 * frame carried an SFrame header after the VP8 header bytes: keyframes
 * came through, few KIDs, each with a growing counter. Returns those
 * tracks.
 */
export async function expectSframeTracks(
  before: Set<string>,
): Promise<TrackPayloads[]> {
  await expect
    .poll(
      async () =>
        (await payloadReport()).filter(
          (track) => !before.has(track.sessionId) && track.frames >= 60,
        ).length,
      { message: "video tracks with 60 forwarded frames", timeout: 30_000 },
    )
    .toBeGreaterThanOrEqual(3);
  const tracks = (await payloadReport()).filter(
    (track) => !before.has(track.sessionId) && track.trackName === "video",
  );
  expect(tracks.length).toBeGreaterThanOrEqual(3);
  for (const track of tracks) {
    expect(track.keyframes).toBeGreaterThan(0);
    expect(track.kids).toBeLessThanOrEqual(4);
    expect(track.growingCtr).toBeGreaterThanOrEqual(track.frames - track.kids);
  }
  return tracks;
}

export function codeOf(page: Page) {
  return callScreen(page, "Group video call").getByLabel("Verification code");
}

/** Waits until every page shows one verification code; returns it. */
export async function expectOneCode(pages: Page[]): Promise<string> {
  await expect(codeOf(pages[0]!)).toHaveText(/^\d{4} \d{4} \d{4} \d{4}$/);
  const code = (await codeOf(pages[0]!).textContent()) ?? "";
  for (const page of pages.slice(1)) {
    await expect(codeOf(page)).toHaveText(code);
  }
  return code;
}

/** Signs up Ana, Ben and Cleo in the group "Trip", with its MLS group. */
export async function encryptedGroupOfThree(
  newPerson: (name: string) => Promise<Person>,
): Promise<[Person, Person, Person]> {
  const people = await groupOfThree(newPerson);
  const [ana, ben, cleo] = people;
  // The first message creates the chat's MLS group, the keys' source.
  await sendText(ana.page, "Call at 8?");
  for (const person of [ben, cleo]) {
    await expect(messageWith(person.page, "Call at 8?")).toBeVisible();
  }
  return people;
}
