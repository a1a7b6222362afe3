// @ts-check
// Generates a VAPID key pair for Web Push (RFC 8292): a P-256 key whose
// public half is base64url of the 65-byte uncompressed point and whose
// private half is base64url of the 32-byte scalar `d`. Run directly
// (`npm run vapid`), it prints the three variables the server reads.
import { pathToFileURL } from "node:url";

/** Subject used when none is given: a contact for push service operators. */
export const DEFAULT_VAPID_SUBJECT = "mailto:admin@example.com";

/**
 * Generates a fresh VAPID key pair.
 *
 * @returns {Promise<{ publicKey: string; privateKey: string }>}
 */
export async function generateVapidKeys() {
  const pair = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  );
  const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  if (jwk.d === undefined) throw new Error("exported key has no d");
  return {
    publicKey: Buffer.from(raw).toString("base64url"),
    privateKey: jwk.d,
  };
}

/**
 * Formats keys as `NAME=value` lines, the form of .dev.vars.
 *
 * @param {{ publicKey: string; privateKey: string }} keys
 * @param {string} subject
 */
export function vapidLines(keys, subject) {
  return [
    `VAPID_PUBLIC_KEY=${keys.publicKey}`,
    `VAPID_PRIVATE_KEY=${keys.privateKey}`,
    `VAPID_SUBJECT=${subject}`,
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const subject = process.argv[2] ?? DEFAULT_VAPID_SUBJECT;
  if (!/^(mailto:|https:)/.test(subject)) {
    console.error(
      `Invalid subject ${JSON.stringify(subject)}: pass a mailto: or https: URL, ` +
        "for example `npm run vapid -- mailto:you@example.com`.",
    );
    process.exit(2);
  }
  const keys = await generateVapidKeys();
  console.log(vapidLines(keys, subject).join("\n"));
  console.log(
    "\n# Production: store each value with `npx wrangler secret put NAME`." +
      "\n# Local: `npm start` writes a pair to .dev.vars when it has none.",
  );
}
