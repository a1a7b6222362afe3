// Encrypted calls in a browser without RTCRtpScriptTransform, where frame
// encryption falls back to Chromium's pre-standard `createEncodedStreams`.
// Chromium has both APIs, so every page here runs with
// RTCRtpScriptTransform deleted before the app's scripts run.
import type { Page } from "@playwright/test";
import {
  callScreen,
  expectMediaFlowing,
  mediaCounters,
  startCall,
  watchMedia,
} from "./call-steps.ts";
import {
  encryptedGroupOfThree,
  expectOneCode,
  expectVideoFrom,
  grid,
  expectSframeTracks,
  payloadReport,
  tileOf,
} from "./group-call-steps.ts";
import {
  chatHeader,
  directPair,
  expect,
  messageWith,
  sendText,
  test,
  type Person,
} from "./helpers.ts";

declare global {
  interface Window {
    /** Senders and receivers whose `createEncodedStreams` a page called. */
    testEncodedStreams?: Set<RTCRtpSender | RTCRtpReceiver>;
    /** Frames that the page's senders sent, and how many grew on the way. */
    testSentFrames?: { frames: number; grown: number };
  }
}

/**
 * Deletes RTCRtpScriptTransform from every page of the person's context.
 * Records each sender and receiver whose `createEncodedStreams` the app
 * calls, and measures the frames that senders send. The script runs from
 * the next page load on, which `watchMedia` brings.
 */
async function withoutScriptTransform(person: Person): Promise<Person> {
  await person.context.addInitScript(() => {
    delete (globalThis as { RTCRtpScriptTransform?: unknown })
      .RTCRtpScriptTransform;
    type Endpoint = RTCRtpSender | RTCRtpReceiver;
    interface Frame {
      timestamp: number;
      data: ArrayBuffer;
    }
    interface EncodedStreams {
      readable: ReadableStream<Frame>;
      writable: WritableStream<Frame>;
    }
    /** Chromium's pre-standard method, absent from the DOM types. */
    interface EncodedStreamsEndpoint {
      createEncodedStreams: (this: Endpoint) => EncodedStreams;
    }
    const endpoints = new Set<Endpoint>();
    const sent = { frames: 0, grown: 0 };
    window.testEncodedStreams = endpoints;
    window.testSentFrames = sent;

    // Compares each frame that a sender's worker writes with the frame of
    // the same RTP timestamp that it read. An encrypted frame is larger
    // because SFrame adds a header and a tag.
    const measure = (streams: EncodedStreams): EncodedStreams => {
      const sizes = new Map<number, number>();
      const input = new TransformStream<Frame, Frame>({
        transform(frame, controller) {
          sizes.set(frame.timestamp, frame.data.byteLength);
          controller.enqueue(frame);
        },
      });
      const output = new TransformStream<Frame, Frame>({
        transform(frame, controller) {
          const before = sizes.get(frame.timestamp);
          sizes.delete(frame.timestamp);
          sent.frames++;
          if (before !== undefined && frame.data.byteLength > before) {
            sent.grown++;
          }
          controller.enqueue(frame);
        },
      });
      void output.readable.pipeTo(streams.writable);
      return {
        readable: streams.readable.pipeThrough(input),
        writable: output.writable,
      };
    };

    for (const prototype of [
      RTCRtpSender.prototype,
      RTCRtpReceiver.prototype,
    ] as unknown as EncodedStreamsEndpoint[]) {
      const create = prototype.createEncodedStreams;
      prototype.createEncodedStreams = function (this: Endpoint) {
        endpoints.add(this);
        const streams = create.call(this);
        return this instanceof RTCRtpSender ? measure(streams) : streams;
      };
    }
  });
  return person;
}

/** Collects the structured log lines (JSON) that the page writes. */
function recordLog(page: Page): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  page.on("console", (message) => {
    try {
      lines.push(JSON.parse(message.text()) as Record<string, unknown>);
    } catch {
      // Not a structured log line.
    }
  });
  return lines;
}

/**
 * Transform use of the newest open peer connection's senders with a
 * track and receivers of transceivers that receive.
 */
interface EndpointTransforms {
  hasScriptTransform: boolean;
  senders: number;
  sendersWithStreams: number;
  receivers: number;
  receiversWithStreams: number;
  withScriptTransform: number;
  /** Frames that senders sent, and those larger than before the worker. */
  sentFrames: number;
  grownFrames: number;
}

async function endpointTransformsOf(page: Page): Promise<EndpointTransforms> {
  return page.evaluate(() => {
    const open = (window.testPeerConnections ?? []).filter(
      (connection) => connection.connectionState !== "closed",
    );
    const connection = open[open.length - 1];
    const transceivers = connection?.getTransceivers() ?? [];
    const senders = transceivers
      .map((transceiver) => transceiver.sender)
      .filter((sender) => sender.track !== null);
    // A send-only transceiver's receiver never gets a frame, so the app
    // leaves it without a transform.
    const receivers = transceivers
      .filter((transceiver) => transceiver.direction.includes("recv"))
      .map((transceiver) => transceiver.receiver);
    const streams = window.testEncodedStreams ?? new Set();
    return {
      hasScriptTransform: "RTCRtpScriptTransform" in globalThis,
      senders: senders.length,
      sendersWithStreams: senders.filter((sender) => streams.has(sender))
        .length,
      receivers: receivers.length,
      receiversWithStreams: receivers.filter((receiver) =>
        streams.has(receiver),
      ).length,
      withScriptTransform: [...senders, ...receivers].filter(
        (endpoint) => endpoint.transform !== null,
      ).length,
      sentFrames: window.testSentFrames?.frames ?? 0,
      grownFrames: window.testSentFrames?.grown ?? 0,
    };
  });
}

test.describe("calls encrypted with createEncodedStreams", () => {
  test("one-to-one video decodes both ways", async ({ newPerson }) => {
    const { ana, ben } = await directPair(async (name) =>
      withoutScriptTransform(await newPerson(name)),
    );
    const logs = [recordLog(ana.page), recordLog(ben.page)];
    await watchMedia(ana);
    await watchMedia(ben);
    // The first message creates the chat's MLS group, the keys' source.
    await sendText(ana.page, "Can I call you?");
    await expect(messageWith(ben.page, "Can I call you?")).toBeVisible();

    await startCall(ana.page, true);
    const ringing = callScreen(ben.page, "Incoming video call");
    await ringing.getByRole("button", { name: "Accept with video" }).click();
    await expectMediaFlowing(ana.page, { video: true });
    await expectMediaFlowing(ben.page, { video: true });

    for (const [index, page] of [ana.page, ben.page].entries()) {
      const started = logs[index]!.filter(
        (line) => line.event === "call_encryption_started",
      );
      expect(started.map((line) => line.api)).toEqual(["encoded-streams"]);
      const transforms = await endpointTransformsOf(page);
      expect(transforms.hasScriptTransform).toBe(false);
      expect(transforms.senders).toBe(2);
      expect(transforms.sendersWithStreams).toBe(2);
      expect(transforms.receivers).toBe(2);
      expect(transforms.receiversWithStreams).toBe(2);
      expect(transforms.withScriptTransform).toBe(0);
      await expect(callScreen(page, /video call/)).toContainText(
        "End-to-end encrypted",
      );
    }

    const code = callScreen(ana.page, /video call/).getByLabel(
      "Verification code",
    );
    await expect(code).toHaveText(/^\d{4} \d{4} \d{4} \d{4}$/);
    await expect(
      callScreen(ben.page, /video call/).getByLabel("Verification code"),
    ).toHaveText((await code.textContent()) ?? "");

    // Decoding goes on under the keys, not only for the first frames.
    for (const page of [ana.page, ben.page]) {
      const before = (await mediaCounters(page)).framesDecoded;
      await expect
        .poll(async () => (await mediaCounters(page)).framesDecoded, {
          message: "inbound video framesDecoded keeps growing",
          timeout: 15_000,
        })
        .toBeGreaterThan(before + 20);
    }

    // Every frame sent grew, as SFrame encryption makes it.
    for (const page of [ana.page, ben.page]) {
      const transforms = await endpointTransformsOf(page);
      expect(transforms.sentFrames).toBeGreaterThan(20);
      expect(transforms.grownFrames).toBe(transforms.sentFrames);
    }
  });

  test("group call sends only SFrame to the SFU", async ({ newPerson }) => {
    test.setTimeout(240_000);
    const people = await encryptedGroupOfThree(async (name) =>
      withoutScriptTransform(await newPerson(name)),
    );
    const [ana, ben, cleo] = people;
    const logs = people.map((person) => recordLog(person.page));
    const before = new Set(
      (await payloadReport()).map((track) => track.sessionId),
    );

    await chatHeader(ana.page)
      .getByRole("button", { name: "Start video call" })
      .click();
    await expect(tileOf(ana.page, "You")).toBeVisible();
    for (const person of [ben, cleo]) {
      await callScreen(person.page, "Incoming group video call")
        .getByRole("button", { name: "Join" })
        .click();
    }
    for (const person of people) {
      await expect(grid(person.page).getByRole("listitem")).toHaveCount(3);
    }
    for (const person of people) await expectVideoFrom(person.page, 2);
    await expectOneCode(people.map((person) => person.page));

    for (const [index, person] of people.entries()) {
      const started = logs[index]!.filter(
        (line) => line.event === "group_call_encryption_started",
      );
      expect(started.length).toBeGreaterThan(0);
      for (const line of started) expect(line.api).toBe("encoded-streams");
      const transforms = await endpointTransformsOf(person.page);
      expect(transforms.hasScriptTransform).toBe(false);
      expect(transforms.senders).toBeGreaterThan(0);
      expect(transforms.sendersWithStreams).toBe(transforms.senders);
      expect(transforms.receiversWithStreams).toBe(transforms.receivers);
      expect(transforms.withScriptTransform).toBe(0);
      // Every frame sent grew, as SFrame encryption makes it.
      expect(transforms.sentFrames).toBeGreaterThan(20);
      expect(transforms.grownFrames).toBe(transforms.sentFrames);
      await expect(callScreen(person.page, "Group video call")).toContainText(
        "End-to-end encrypted",
      );
    }

    await expectSframeTracks(before);
  });
});
