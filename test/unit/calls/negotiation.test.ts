import { describe, expect, it } from "vitest";
import {
  isOfferCollision,
  shouldIgnoreDescription,
  type NegotiationState,
} from "../../../pwa/src/calls/negotiation.ts";

function state(fields: Partial<NegotiationState>): NegotiationState {
  return {
    polite: false,
    makingOffer: false,
    signalingState: "stable",
    settingRemoteAnswer: false,
    ...fields,
  };
}

describe("isOfferCollision", () => {
  it("sees no collision for an offer in a stable state", () => {
    expect(isOfferCollision(state({}), "offer")).toBe(false);
  });

  it("sees a collision while this end makes an offer", () => {
    expect(isOfferCollision(state({ makingOffer: true }), "offer")).toBe(true);
  });

  it("sees a collision with a sent offer awaiting its answer", () => {
    const waiting = state({ signalingState: "have-local-offer" });
    expect(isOfferCollision(waiting, "offer")).toBe(true);
  });

  it("accepts an offer while a remote answer is being applied", () => {
    const applying = state({
      signalingState: "have-local-offer",
      settingRemoteAnswer: true,
    });
    expect(isOfferCollision(applying, "offer")).toBe(false);
  });

  it("never counts an answer as a collision", () => {
    const waiting = state({ signalingState: "have-local-offer" });
    expect(isOfferCollision(waiting, "answer")).toBe(false);
  });
});

describe("shouldIgnoreDescription", () => {
  const glare = {
    makingOffer: true,
    signalingState: "have-local-offer" as const,
  };

  it("makes the impolite end ignore a colliding offer", () => {
    expect(shouldIgnoreDescription(state(glare), "offer")).toBe(true);
  });

  it("makes the polite end apply a colliding offer", () => {
    const polite = state({ ...glare, polite: true });
    expect(shouldIgnoreDescription(polite, "offer")).toBe(false);
  });

  it("makes the impolite end apply an answer", () => {
    expect(shouldIgnoreDescription(state(glare), "answer")).toBe(false);
  });
});
