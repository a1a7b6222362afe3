import { afterEach, describe, expect, it, vi } from "vitest";
import {
  EncryptionUnsupported,
  FrameEncryption,
  peerConfig,
  transformApi,
} from "../../../pwa/src/calls/e2ee/frame-encryption.ts";

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("frame encryption support", () => {
  it("without WebRTC there is no API", () => {
    expect(transformApi()).toBeNull();
  });

  it("start rejects without an API", () => {
    expect(() => FrameEncryption.start()).toThrow(EncryptionUnsupported);
  });

  it("prefers RTCRtpScriptTransform", () => {
    vi.stubGlobal("RTCRtpScriptTransform", class {});
    vi.stubGlobal(
      "RTCRtpSender",
      class {
        createEncodedStreams() {
          return null;
        }
      },
    );
    expect(transformApi()).toBe("script-transform");
  });

  it("falls back to createEncodedStreams", () => {
    vi.stubGlobal(
      "RTCRtpSender",
      class {
        createEncodedStreams() {
          return null;
        }
      },
    );
    expect(transformApi()).toBe("encoded-streams");
    expect(peerConfig("encoded-streams")).toEqual({
      encodedInsertableStreams: true,
    });
  });

  it("sender without either API has none", () => {
    vi.stubGlobal("RTCRtpSender", class {});
    expect(transformApi()).toBeNull();
    expect(peerConfig("script-transform")).toEqual({});
  });
});
