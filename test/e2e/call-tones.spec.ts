// The ringtone of an incoming call and the ringback of an outgoing one,
// read from the Web Audio oscillators that each page schedules.
import type { Page } from "@playwright/test";
import { callScreen, startCall } from "./call-steps.ts";
import {
  composer,
  directPair,
  expect,
  messageWith,
  sendText,
  test,
  type Person,
} from "./helpers.ts";

/** One OscillatorNode's schedule, in seconds of its AudioContext's clock. */
interface OscillatorRecord {
  frequency: number;
  startS: number;
  /** The time of the last `stop` call, which is the one that applies. */
  stopS: number | null;
  context: BaseAudioContext;
}

declare global {
  interface Window {
    /** Set by the init script of `watchTones`, in test pages only. */
    testOscillators?: OscillatorRecord[];
  }
}

/**
 * Records when every oscillator of the person's pages starts and stops,
 * and reloads the page so the script runs. The app has no test hook.
 */
async function watchTones(person: Person): Promise<void> {
  await person.context.addInitScript(() => {
    const records: OscillatorRecord[] = [];
    const byNode = new WeakMap<OscillatorNode, OscillatorRecord>();
    window.testOscillators = records;
    // OscillatorNode inherits start and stop from AudioScheduledSourceNode.
    const source = AudioScheduledSourceNode.prototype;
    const prototype = OscillatorNode.prototype;
    prototype.start = function (this: OscillatorNode, when = 0) {
      const record: OscillatorRecord = {
        frequency: this.frequency.value,
        startS: Math.max(when, this.context.currentTime),
        stopS: null,
        context: this.context,
      };
      byNode.set(this, record);
      records.push(record);
      source.start.call(this, when);
    };
    prototype.stop = function (this: OscillatorNode, when = 0) {
      const record = byNode.get(this);
      if (record !== undefined) {
        record.stopS = Math.max(when, this.context.currentTime);
      }
      source.stop.call(this, when);
    };
  });
  await person.page.reload();
}

/**
 * Returns the sorted frequencies of the oscillators that sound now or are
 * scheduled to sound later. A running tone always has its next burst
 * scheduled, so this is empty only while no tone plays. A suspended
 * context is listed as "suspended", because it plays nothing.
 */
async function tonesNow(page: Page): Promise<(number | string)[]> {
  return page.evaluate(() => {
    const tones = new Set<number | string>();
    for (const record of window.testOscillators ?? []) {
      const nowS = record.context.currentTime;
      const stopS = record.stopS ?? Infinity;
      if (record.startS >= stopS || stopS <= nowS) continue;
      tones.add(
        record.context.state === "running" ? record.frequency : "suspended",
      );
    }
    return [...tones].sort();
  });
}

/** Counts the oscillators that the page has started so far. */
async function oscillatorCount(page: Page): Promise<number> {
  return page.evaluate(() => window.testOscillators?.length ?? 0);
}

const RINGTONE = [660, 880];
const RINGBACK = [440, 480];

/**
 * Signs up Ana and Ben with their direct chat open and their tones
 * recorded, and waits until Ben's socket delivers, so a call reaches him.
 * Ben clicks his page once, because browsers keep the audio of a page
 * suspended until a user gesture.
 */
async function tonePair(
  newPerson: (name: string) => Promise<Person>,
): Promise<{ ana: Person; ben: Person }> {
  const pair = await directPair(newPerson);
  await watchTones(pair.ana);
  await watchTones(pair.ben);
  await composer(pair.ben.page).click();
  await sendText(pair.ana.page, "Can I call you?");
  await expect(messageWith(pair.ben.page, "Can I call you?")).toBeVisible();
  return pair;
}

test.describe("call tones", () => {
  test("ringtone and ringback stop on accept", async ({ newPerson }) => {
    const { ana, ben } = await tonePair(newPerson);
    expect(await tonesNow(ana.page)).toEqual([]);
    expect(await tonesNow(ben.page)).toEqual([]);

    await startCall(ana.page, false);
    const outgoing = callScreen(ana.page, "Outgoing voice call");
    await expect(outgoing.getByRole("status")).toHaveText("Ringing…");
    const ringing = callScreen(ben.page, "Incoming voice call");
    await expect(ringing).toContainText("Ana");
    await expect.poll(() => tonesNow(ben.page)).toEqual(RINGTONE);
    await expect.poll(() => tonesNow(ana.page)).toEqual(RINGBACK);

    await ringing.getByRole("button", { name: "Accept" }).click();
    await expect.poll(() => tonesNow(ben.page)).toEqual([]);
    await expect.poll(() => tonesNow(ana.page)).toEqual([]);

    // Nothing starts again for longer than a ringtone cycle (3 s).
    const anaCount = await oscillatorCount(ana.page);
    const benCount = await oscillatorCount(ben.page);
    await ben.page.waitForTimeout(3_500);
    expect(await oscillatorCount(ana.page)).toBe(anaCount);
    expect(await oscillatorCount(ben.page)).toBe(benCount);
    expect(await tonesNow(ana.page)).toEqual([]);
    expect(await tonesNow(ben.page)).toEqual([]);
  });

  test("declined call stops both tones", async ({ newPerson }) => {
    const { ana, ben } = await tonePair(newPerson);
    await startCall(ana.page, false);
    const outgoing = callScreen(ana.page, "Outgoing voice call");
    await expect(outgoing.getByRole("status")).toHaveText("Ringing…");
    const ringing = callScreen(ben.page, "Incoming voice call");
    await expect.poll(() => tonesNow(ben.page)).toEqual(RINGTONE);
    await expect.poll(() => tonesNow(ana.page)).toEqual(RINGBACK);

    // The ringtone repeats, so more oscillators start while it rings.
    const ringCount = await oscillatorCount(ben.page);
    await expect
      .poll(() => oscillatorCount(ben.page), { timeout: 8_000 })
      .toBeGreaterThan(ringCount);

    await ringing.getByRole("button", { name: "Decline" }).click();
    await expect(outgoing.getByRole("status")).toHaveText("Declined");
    await expect.poll(() => tonesNow(ben.page)).toEqual([]);
    await expect.poll(() => tonesNow(ana.page)).toEqual([]);
  });
});
