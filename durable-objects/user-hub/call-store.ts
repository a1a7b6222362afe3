import type { CallInfo } from "../../protocol/index.ts";

/**
 * The call this person is in, or is rung for, as recorded in the one row
 * of `current_call`. The hub routes a device's later call frames, which
 * name only the call id, to the chat recorded here, and a second call to
 * this person finds them busy.
 */
export interface CurrentCall {
  callId: string;
  chatId: string;
  role: "caller" | "callee";
  /** "ringing" until a device of the callee accepts. */
  state: "ringing" | "accepted";
  /** The call as `call.incoming` shows it; null for the caller. */
  call: CallInfo | null;
  /** Whether a `call` push went out, so the end sends `call.end`. */
  pushed: boolean;
}

type CurrentCallRow = {
  call_id: string;
  chat_id: string;
  role: CurrentCall["role"];
  state: CurrentCall["state"];
  call: string | null;
  pushed: number;
};

/** Typed queries over `current_call`. All calls are sync. */
export class CallRecords {
  constructor(private readonly sql: SqlStorage) {}

  current(): CurrentCall | undefined {
    const row = this.sql
      .exec<CurrentCallRow>("SELECT * FROM current_call WHERE id = 1")
      .toArray()[0];
    if (row === undefined) return undefined;
    return {
      callId: row.call_id,
      chatId: row.chat_id,
      role: row.role,
      state: row.state,
      call: row.call === null ? null : (JSON.parse(row.call) as CallInfo),
      pushed: row.pushed === 1,
    };
  }

  /** Records `call` as the current one, replacing any other. */
  set(call: Omit<CurrentCall, "pushed">): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO current_call
         (id, call_id, chat_id, role, state, call, pushed)
       VALUES (1, ?, ?, ?, ?, ?, 0)`,
      call.callId,
      call.chatId,
      call.role,
      call.state,
      call.call === null ? null : JSON.stringify(call.call),
    );
  }

  markAccepted(callId: string): void {
    this.sql.exec(
      "UPDATE current_call SET state = 'accepted' WHERE call_id = ?",
      callId,
    );
  }

  markPushed(callId: string): void {
    this.sql.exec(
      "UPDATE current_call SET pushed = 1 WHERE call_id = ?",
      callId,
    );
  }

  /** Forgets the current call if it is `callId`. */
  clear(callId: string): void {
    this.sql.exec("DELETE FROM current_call WHERE call_id = ?", callId);
  }
}
