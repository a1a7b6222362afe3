// @ts-check
// Renders the MLS section of docs/benchmarks.md: making and processing
// commits, joining from a Welcome, and encrypting and decrypting messages.
import { table } from "./report.mjs";
import { fixed } from "./stats.mjs";

/** @param {any[]} groups */
function createTable(groups) {
  return table(
    [
      "devices",
      "create + add commit ms",
      "commit bytes",
      "Welcome bytes",
      "ratchet tree bytes",
      "creator applies ms",
      "join p50 ms",
      "join max ms",
    ],
    groups.map((g) => [
      String(g.members),
      fixed(g.create.ms),
      String(g.create.commitBytes),
      String(g.create.welcomeBytes),
      String(g.create.ratchetTreeBytes),
      fixed(g.create.applyMs),
      fixed(g.create.join.p50),
      fixed(g.create.join.max),
    ]),
  );
}

/** @param {any[]} groups */
function addTable(groups) {
  return table(
    [
      "devices before",
      "commit ms",
      "commit bytes",
      "Welcome bytes",
      "ratchet tree bytes",
      "creator applies ms",
      "member processes p50 ms",
      "member processes max ms",
      "new device joins ms",
    ],
    groups.map((g) => [
      String(g.members),
      fixed(g.add.ms),
      String(g.add.commitBytes),
      String(g.add.welcomeBytes),
      String(g.add.ratchetTreeBytes),
      fixed(g.add.applyMs),
      fixed(g.add.process.p50),
      fixed(g.add.process.max),
      fixed(g.add.joinMs),
    ]),
  );
}

/** @param {any[]} groups */
function messageTable(groups) {
  return table(
    [
      "devices",
      "messages",
      "encrypt p50 ms",
      "encrypt p99 ms",
      "decrypt p50 ms",
      "decrypt p99 ms",
      "body bytes",
      "overhead bytes",
      "state bytes p50",
      "state bytes max",
    ],
    groups.map((g) => [
      String(g.members),
      String(g.messages),
      fixed(g.encrypt.p50, 2),
      fixed(g.encrypt.p99, 2),
      fixed(g.decrypt.p50, 2),
      fixed(g.decrypt.p99, 2),
      String(g.body.bodyBytes.p50),
      String(g.body.overheadBytes.p50),
      String(g.stateBytes.p50),
      String(g.stateBytes.max),
    ]),
  );
}

/**
 * Returns the "MLS" section of the page, or a line saying it was not run.
 *
 * @param {any} mls
 */
export function renderMlsSection(mls) {
  if (mls === undefined) return "## MLS\n\nNot measured in this run.\n";
  const [first] = mls.groups;
  return `## MLS

The client's MLS core (pwa/src/crypto, ts-mls with cipher suite 1:
X25519, AES-128-GCM, SHA-256 and Ed25519) runs in Node.js, bundled by
esbuild from \`bench/mls/entry.ts\`. Each device has its own database in
fake-indexeddb and goes through the real \`MlsStore\`, so every figure
includes decoding the group state, the operation and storing the new
state, as in the browser. fake-indexeddb keeps its data in memory, so
the storage share is that of its JavaScript code, not of Chromium's
IndexedDB on disk. The one-minute load average was
${fixed(mls.loadAverage, 1)} on ${mls.cores} cores when the section
started, and every device runs in the one Node.js process. An unmeasured
group of two devices goes first, so the code paths are warm.

- The first device creates the group and adds every other device in one
  commit (\`createGroup\` and \`addDevices\`). It then applies its own
  commit (\`processCommit\`), and the other devices join from the Welcome
  and the ratchet tree (\`joinFromWelcome\`). In a group of more than 32
  devices only the first 32 join, and only they take part in the later
  steps (\`MAX_JOINED_DEVICES\`), because every join costs about the same.
- The first device then encrypts ${first?.messages ?? 0} messages of 100
  ASCII characters (\`encryptMessage\`) and the second decrypts each one
  as it is made (\`decryptMessage\`), after ${first?.warmup ?? 0}
  unmeasured ones. A body is \`mls1:\` and base64url of the MLS private
  message. State bytes are each device's stored group state after the
  messages. Each encryption and decryption decodes and stores the whole
  state, so their cost grows with the group as the state does.
- Last, the first device adds one new device in its own commit, the
  other joined devices process it and the new device joins.
- Sizes are bytes of the encoded MLS messages. On the wire, a commit
  request sends each as base64url, which is 4/3 as long.

### Creating a group

${createTable(mls.groups)}

### Adding one device later

${addTable(mls.groups)}

### Messages

${messageTable(mls.groups)}
`;
}
