import { ApiError } from "../../protocol/index.ts";
import {
  realtimeKitParticipantKey,
  type RealtimeKitTokenReply,
} from "../../protocol/realtimekit.ts";
import type { Env } from "../../worker/env.ts";
import { errorMessage, log } from "../../worker/log.ts";
import {
  RealtimeKitApi,
  RealtimeKitError,
  realtimeKitConfig,
} from "../../worker/realtimekit.ts";
import type {
  DeviceRef,
  GroupCallRow,
  GroupCallStore,
  ParticipantRow,
} from "./group-call-store.ts";

/**
 * The RealtimeKit meeting of a group call whose provider is
 * "realtimekit". The room creates one meeting per call on the first
 * token request and adds each device as a meeting participant once.
 * Requests of the REST API await outside the input gate, so concurrent
 * token requests share one pending creation instead of each creating a
 * meeting, and every result is checked against the call's state again
 * after the await.
 */
export class RoomCallMeetings {
  /** Pending meeting creations by call id. */
  private readonly meetings = new Map<string, Promise<string>>();
  /** Pending participant additions by call id and participant key. */
  private readonly joins = new Map<string, Promise<string>>();

  constructor(
    private readonly calls: GroupCallStore,
    private readonly env: Env,
    private readonly chatId: () => string,
  ) {}

  /**
   * Issues an auth token for `device` in the meeting of `call`. The
   * caller checked that the device is a participant, and `stillIn`
   * repeats that check after the REST requests, raising when it fails.
   */
  async token(
    device: DeviceRef,
    call: GroupCallRow,
    stillIn: () => ParticipantRow,
  ): Promise<RealtimeKitTokenReply> {
    const api = new RealtimeKitApi(realtimeKitConfig(this.env));
    const key = realtimeKitParticipantKey(device.userId, device.deviceId);
    const ids = { chatId: this.chatId(), callId: call.call_id, ...device };
    try {
      const meetingId = await this.meeting(api, call);
      stillIn();
      const known = this.calls.meetingParticipant(call.call_id, device);
      let authToken: string;
      if (known === undefined) {
        authToken = await this.join(api, call.call_id, meetingId, device);
      } else {
        authToken = await api.refreshToken(meetingId, known);
      }
      stillIn();
      log("realtimekit.token_issued", { ...ids, meetingId });
      return { authToken, meetingId, participantKey: key };
    } catch (error) {
      if (!(error instanceof RealtimeKitError)) throw error;
      log("realtimekit.request_failed", {
        ...ids,
        status: error.status,
        error: error.message,
      });
      throw new ApiError(
        "unavailable",
        "The call service failed to admit this device; try again in a moment.",
      );
    }
  }

  /** Returns the call's meeting id, creating the meeting once. */
  private meeting(api: RealtimeKitApi, call: GroupCallRow): Promise<string> {
    const stored = this.calls.byId(call.call_id)?.rtk_meeting_id ?? null;
    if (stored !== null) return Promise.resolve(stored);
    let pending = this.meetings.get(call.call_id);
    if (pending === undefined) {
      pending = this.createMeeting(api, call.call_id).finally(() => {
        this.meetings.delete(call.call_id);
      });
      this.meetings.set(call.call_id, pending);
    }
    return pending;
  }

  private async createMeeting(api: RealtimeKitApi, callId: string) {
    const meetingId = await api.createMeeting(`Group call ${callId}`);
    const call = this.calls.byId(callId);
    this.calls.setMeeting(callId, meetingId);
    log("realtimekit.meeting_created", {
      chatId: this.chatId(),
      callId,
      meetingId,
    });
    if (call === undefined || call.ended_at !== null) {
      // The call ended while the meeting was being created.
      await api.endMeeting(meetingId, { chatId: this.chatId(), callId });
      throw new ApiError("not_found", "This group call has ended.");
    }
    return meetingId;
  }

  /** Adds `device` to the meeting once and returns its first token. */
  private join(
    api: RealtimeKitApi,
    callId: string,
    meetingId: string,
    device: DeviceRef,
  ): Promise<string> {
    const key = realtimeKitParticipantKey(device.userId, device.deviceId);
    let pending = this.joins.get(`${callId}/${key}`);
    if (pending === undefined) {
      pending = api
        .addParticipant(meetingId, key, device.userId)
        .then((participant) => {
          this.calls.setMeetingParticipant(callId, device, participant.id);
          return participant.token;
        })
        .finally(() => this.joins.delete(`${callId}/${key}`));
      this.joins.set(`${callId}/${key}`, pending);
    }
    return pending;
  }

  /** Ends the meeting of a call that ended, if it had one. */
  async end(call: GroupCallRow): Promise<void> {
    const meetingId = this.calls.byId(call.call_id)?.rtk_meeting_id ?? null;
    if (call.provider !== "realtimekit" || meetingId === null) return;
    const ids = { chatId: this.chatId(), callId: call.call_id, meetingId };
    try {
      const api = new RealtimeKitApi(realtimeKitConfig(this.env));
      await api.endMeeting(meetingId, ids);
      log("realtimekit.meeting_ended", ids);
    } catch (error) {
      log("realtimekit.end_failed", { ...ids, error: errorMessage(error) });
    }
  }

  /**
   * Removes a device that left the chat from the meeting's live session,
   * so it stops receiving the call's media at once.
   */
  async cutOff(call: GroupCallRow, row: ParticipantRow): Promise<void> {
    const meetingId = this.calls.byId(call.call_id)?.rtk_meeting_id ?? null;
    const device = { userId: row.user_id, deviceId: row.device_id };
    const known = this.calls.meetingParticipant(call.call_id, device);
    if (meetingId === null || known === undefined) return;
    const key = realtimeKitParticipantKey(row.user_id, row.device_id);
    const ids = {
      chatId: this.chatId(),
      callId: call.call_id,
      userId: row.user_id,
      deviceId: row.device_id,
    };
    try {
      const api = new RealtimeKitApi(realtimeKitConfig(this.env));
      await api.kick(meetingId, [key]);
      log("realtimekit.participant_cut_off", ids);
    } catch (error) {
      log("realtimekit.kick_failed", { ...ids, error: errorMessage(error) });
    }
  }
}
