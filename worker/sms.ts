import type { Env } from "./env.ts";
import { isDevelopment, phoneDirectory } from "./env.ts";
import { assertNever, log } from "./log.ts";
import { maskPhone } from "./phone.ts";

/** Sends one text message to a phone number in E.164 form. */
export interface SmsSender {
  send(to: string, text: string): Promise<void>;
}

type SmsProvider = "twilio";

/**
 * Picks the sender for this environment: the development outbox when
 * ENVIRONMENT is "development", else the provider named by SMS_PROVIDER.
 */
export function createSmsSender(env: Env): SmsSender {
  if (isDevelopment(env)) return new DevOutboxSender(env);
  const provider = env.SMS_PROVIDER as SmsProvider;
  switch (provider) {
    case "twilio":
      return new TwilioSender(env);
    default:
      return assertNever(provider);
  }
}

/**
 * Development only: logs the text (it is how a developer signs in locally)
 * with the number masked, and keeps it in the number's outbox for
 * GET /api/dev/sms.
 */
class DevOutboxSender implements SmsSender {
  constructor(private readonly env: Env) {}

  async send(to: string, text: string): Promise<void> {
    log("sms.dev_outbox", { to: maskPhone(to), text });
    await phoneDirectory(this.env, to).recordSms({
      to,
      body: text,
      sentAt: Date.now(),
    });
  }
}

/** Twilio's Messages API over HTTPS, with account SID and auth token. */
class TwilioSender implements SmsSender {
  constructor(private readonly env: Env) {}

  async send(to: string, text: string): Promise<void> {
    const {
      TWILIO_ACCOUNT_SID: sid,
      TWILIO_AUTH_TOKEN: token,
      TWILIO_FROM: from,
    } = this.env;
    if (!sid || !token || !from) {
      throw new Error(
        "Twilio secrets TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM must be set",
      );
    }
    const url = `https://api.twilio.com/2010-04-01/Accounts/${encodeURIComponent(sid)}/Messages.json`;
    const response = await fetch(url, {
      method: "POST",
      headers: {
        Authorization: `Basic ${btoa(`${sid}:${token}`)}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ To: to, From: from, Body: text }),
    });
    if (!response.ok) {
      throw new Error(
        `Twilio rejected the message with status ${response.status}`,
      );
    }
  }
}
