import fc from "fast-check";
import { SELF } from "cloudflare:test";
import type { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AddMembersBody,
  ClaimBody,
  CommitBody,
  CreateGroupBody,
  CreateUploadBody,
  DiscoverBody,
  HistoryEnvelope,
  HTTP_STATUS,
  ImportContactsBody,
  LookupBody,
  MarkReadBody,
  OpenDirectBody,
  OwnClaimBody,
  ProfilesBody,
  PublishKeysBody,
  PushSubscriptionBody,
  RemoveContactBody,
  RenameGroupBody,
  RequestAddBody,
  RequestCodeBody,
  SaveContactBody,
  SendMessageBody,
  SetRoleBody,
  UpdateInboxBody,
  DeleteAccountBody,
  UpdateProfileBody,
  UpdateSettingsBody,
  VerifyCodeBody,
} from "../../protocol/index.ts";
import {
  SfuCloseTracksBody,
  SfuNewSessionBody,
  SfuRenegotiateBody,
  SfuTracksBody,
} from "../../protocol/sfu.ts";
import {
  api,
  connect,
  createGroup,
  freshAddress,
  json,
  newMessageId,
  openDirect,
  ORIGIN,
  sendText,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";
import {
  expectErrorReply,
  fuzzParameters,
  hostileValue,
  nestedArrays,
  readWorld,
} from "./fuzz-helpers.ts";
import { ReportChatBody } from "../../protocol/reports.ts";
import {
  download,
  patternBytes,
  sendWithMedia,
  uploadFile,
} from "./media-helpers.ts";

interface BodyRoute {
  method: string;
  /** Path with `:name` parameters, filled from `ids` below. */
  path: string;
  schema: z.ZodType;
}

/** Every route that reads a JSON body, with the schema it validates. */
const BODY_ROUTES: BodyRoute[] = [
  { method: "POST", path: "/api/auth/code", schema: RequestCodeBody },
  { method: "POST", path: "/api/auth/verify", schema: VerifyCodeBody },
  { method: "PATCH", path: "/api/me", schema: UpdateProfileBody },
  { method: "DELETE", path: "/api/me", schema: DeleteAccountBody },
  { method: "PATCH", path: "/api/me/settings", schema: UpdateSettingsBody },
  { method: "POST", path: "/api/users/lookup", schema: LookupBody },
  { method: "POST", path: "/api/users/profiles", schema: ProfilesBody },
  { method: "POST", path: "/api/chats/direct", schema: OpenDirectBody },
  { method: "POST", path: "/api/chats/group", schema: CreateGroupBody },
  { method: "PATCH", path: "/api/chats/:group", schema: RenameGroupBody },
  {
    method: "POST",
    path: "/api/chats/:group/members",
    schema: AddMembersBody,
  },
  {
    method: "PATCH",
    path: "/api/chats/:group/members/:bob",
    schema: SetRoleBody,
  },
  {
    method: "POST",
    path: "/api/chats/:group/report",
    schema: ReportChatBody,
  },
  { method: "PATCH", path: "/api/inbox/:direct", schema: UpdateInboxBody },
  {
    method: "POST",
    path: "/api/devices/:device/history",
    schema: HistoryEnvelope,
  },
  { method: "POST", path: "/api/keys", schema: PublishKeysBody },
  { method: "POST", path: "/api/keys/own/claim", schema: OwnClaimBody },
  { method: "POST", path: "/api/chats/:direct/mls/claim", schema: ClaimBody },
  {
    method: "POST",
    path: "/api/chats/:direct/media",
    schema: CreateUploadBody,
  },
  {
    method: "POST",
    path: "/api/chats/:direct/messages",
    schema: SendMessageBody,
  },
  { method: "POST", path: "/api/chats/:direct/mls/commit", schema: CommitBody },
  {
    method: "POST",
    path: "/api/chats/:direct/mls/request-add",
    schema: RequestAddBody,
  },
  { method: "POST", path: "/api/contacts/import", schema: ImportContactsBody },
  { method: "POST", path: "/api/contacts/discover", schema: DiscoverBody },
  { method: "POST", path: "/api/contacts", schema: SaveContactBody },
  { method: "POST", path: "/api/contacts/remove", schema: RemoveContactBody },
  {
    method: "PUT",
    path: "/api/push/subscription",
    schema: PushSubscriptionBody,
  },
  { method: "POST", path: "/api/chats/:direct/read", schema: MarkReadBody },
  {
    method: "POST",
    path: "/api/chats/:group/calls/:call/sfu/sessions/new",
    schema: SfuNewSessionBody,
  },
  {
    method: "POST",
    path: "/api/chats/:group/calls/:call/sfu/sessions/:session/tracks/new",
    schema: SfuTracksBody,
  },
  {
    method: "PUT",
    path: "/api/chats/:group/calls/:call/sfu/sessions/:session/renegotiate",
    schema: SfuRenegotiateBody,
  },
  {
    method: "PUT",
    path: "/api/chats/:group/calls/:call/sfu/sessions/:session/tracks/close",
    schema: SfuCloseTracksBody,
  },
];

/** Routes whose path parameters are ids, with a body they accept. */
const PARAM_ROUTES: { method: string; path: string; body?: unknown }[] = [
  { method: "DELETE", path: "/api/devices/:device" },
  { method: "GET", path: "/api/users/:bob" },
  { method: "POST", path: "/api/calls/:call/decline" },
  { method: "GET", path: "/api/chats/:group" },
  { method: "PATCH", path: "/api/chats/:group", body: { name: "Renamed" } },
  { method: "POST", path: "/api/chats/:group/members", body: { userIds: [] } },
  { method: "DELETE", path: "/api/chats/:group/members/:bob" },
  {
    method: "PATCH",
    path: "/api/chats/:group/members/:bob",
    body: { role: "admin" },
  },
  { method: "PATCH", path: "/api/inbox/:direct", body: { pinned: true } },
  { method: "PUT", path: "/api/devices/:device/history/archive" },
  { method: "POST", path: "/api/devices/:device/history", body: {} },
  { method: "POST", path: "/api/chats/:direct/mls/claim", body: {} },
  { method: "GET", path: "/api/chats/:direct/media/:media" },
  { method: "POST", path: "/api/chats/:direct/media", body: { size: 100 } },
  { method: "GET", path: "/api/chats/:direct/media/:media/upload" },
  { method: "PUT", path: "/api/chats/:direct/media/:media/parts/:part" },
  { method: "POST", path: "/api/chats/:direct/media/:media/complete" },
  { method: "DELETE", path: "/api/chats/:direct/media/:media" },
  { method: "POST", path: "/api/chats/:direct/messages", body: {} },
  { method: "GET", path: "/api/chats/:direct/mls" },
  { method: "POST", path: "/api/chats/:direct/mls/commit", body: {} },
  { method: "POST", path: "/api/chats/:direct/mls/request-add", body: {} },
  { method: "PUT", path: "/api/blocks/:bob" },
  { method: "DELETE", path: "/api/blocks/:bob" },
  { method: "GET", path: "/api/users/:bob/photos/:photo" },
  { method: "POST", path: "/api/chats/:direct/read", body: { seq: 1 } },
  {
    method: "POST",
    path: "/api/chats/:group/calls/:call/sfu/sessions/new",
    body: {},
  },
  {
    method: "POST",
    path: "/api/chats/:group/calls/:call/sfu/sessions/:session/tracks/new",
    body: {},
  },
];

let alice: TestUser;
let bob: TestUser;
let aliceSocket: TestSocket;
/** Ids that fill the `:name` parameters of the route paths. */
type PathIds = Record<
  | "direct"
  | "group"
  | "bob"
  | "device"
  | "call"
  | "media"
  | "photo"
  | "session"
  | "part",
  string
>;

let ids: PathIds;

beforeAll(async () => {
  alice = await signUp();
  bob = await signUp();
  const direct = await openDirect(alice, bob);
  const group = await createGroup(alice, [bob]);
  aliceSocket = await connect(alice);
  await sendText(aliceSocket, direct, "before");
  ids = {
    direct,
    group,
    bob: bob.id,
    device: alice.deviceId,
    call: newMessageId(),
    media: newMessageId(),
    photo: newMessageId(),
    session: "a".repeat(32),
    part: "1",
  };
});

afterAll(() => {
  aliceSocket.close();
});

function fill(path: string, values: Record<string, string>): string {
  return path.replace(/:([a-z]+)/g, (_, name: string) => values[name] ?? "");
}

/** Sends raw bytes or text as Alice, from the app's origin. */
async function request(
  method: string,
  path: string,
  body: string | Uint8Array<ArrayBuffer> | undefined,
): Promise<Response> {
  return SELF.fetch(`${ORIGIN}${path}`, {
    method,
    body,
    headers: {
      Cookie: alice.cookie,
      Origin: ORIGIN,
      "Content-Type": "application/json",
      "CF-Connecting-IP": freshAddress(),
    },
  });
}

/** Everything a hostile request could have changed, as Alice reads it. */
async function world(): Promise<unknown> {
  const reads = [
    "/api/devices",
    "/api/contacts",
    "/api/blocks",
    "/api/keys",
    "/api/push/subscription",
    "/api/history",
  ];
  const extra: unknown[] = [];
  for (const path of reads) {
    extra.push(await json(await api("GET", path, { cookie: alice.cookie })));
  }
  const chats = await readWorld(alice, aliceSocket, [ids.direct, ids.group]);
  return { chats, extra };
}

function shapeKeys(schema: z.ZodType): string[] {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  return shape === undefined ? [] : Object.keys(shape);
}

function acceptsText(schema: z.ZodType, text: string): boolean {
  try {
    return schema.safeParse(JSON.parse(text)).success;
  } catch {
    return false;
  }
}

/** Byte sequences that are not UTF-8: a stray byte, a cut sequence, an
 * overlong form, an encoded surrogate and a 5-byte form. */
const INVALID_UTF8 = [
  [0xff],
  [0xc3, 0x28],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

/** Builds a JSON text with a string field whose bytes are not valid UTF-8. */
function withInvalidUtf8(
  key: string,
  bytes: number[],
): Uint8Array<ArrayBuffer> {
  const [head, tail] = JSON.stringify({ [key]: "A|B" }).split("|");
  const encoder = new TextEncoder();
  return new Uint8Array([
    ...encoder.encode(head),
    ...bytes,
    ...encoder.encode(tail),
  ]);
}

function hostileBodies(
  route: BodyRoute,
): fc.Arbitrary<string | Uint8Array<ArrayBuffer>> {
  const keys = shapeKeys(route.schema);
  const keyOf = keys.length > 0 ? fc.constantFrom(...keys) : fc.string();
  const text = fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 100 }),
    fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
    fc
      .dictionary(keyOf, hostileValue, { maxKeys: 4 })
      .map((value) => JSON.stringify(value)),
    fc
      .integer({ min: 100, max: 100_000 })
      .map((depth) =>
        JSON.stringify({ [keys[0] ?? "x"]: nestedArrays(depth) }),
      ),
    fc.constant(`{"${keys[0] ?? "x"}":"${"y".repeat(300 * 1024)}"}`),
  );
  const bytes = fc
    .tuple(keyOf, fc.constantFrom(...INVALID_UTF8))
    .map(([key, bytes]) => withInvalidUtf8(key, bytes));
  return fc.oneof(
    text.filter((data) => !acceptsText(route.schema, data)),
    bytes,
  );
}

describe("hostile HTTP bodies", () => {
  it("invalid bodies get 400 or 413 and change nothing", async () => {
    const before = await world();
    const cases = fc
      .constantFrom(...BODY_ROUTES)
      .chain((route) => hostileBodies(route).map((body) => ({ route, body })));
    await fc.assert(
      fc.asyncProperty(cases, async ({ route, body }) => {
        const path = fill(route.path, ids);
        const response = await request(route.method, path, body);
        const error = await expectErrorReply(response, [400, 413]);
        expect(HTTP_STATUS[error.code]).toBe(response.status);
      }),
      fuzzParameters(300),
    );
    expect(await world()).toEqual(before);
    const next = await api("GET", "/api/me", { cookie: alice.cookie });
    expect(next.status).toBe(200);
  });

  it("invalid UTF-8 in a profile is rejected", async () => {
    const before = await json(
      await api("GET", "/api/me", { cookie: alice.cookie }),
    );
    const body = withInvalidUtf8("displayName", [0xff]);
    const response = await request("PATCH", "/api/me", body);
    const error = await expectErrorReply(response, [400]);
    expect(error.code).toBe("invalid_request");
    const after = await json(
      await api("GET", "/api/me", { cookie: alice.cookie }),
    );
    expect(after).toEqual(before);
  });
});

describe("hostile HTTP path parameters", () => {
  it("invalid ids get 400 or 404 and change nothing", async () => {
    const before = await world();
    const hostileParam = fc.oneof(
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 60 }),
      fc.constantFrom("..", "%00", "%2F..%2F", "' OR 1=1 --", "-1", "1e9"),
      fc.constant("z".repeat(8 * 1024)),
      fc.uuid().map((id) => id.toUpperCase()),
    );
    const cases = fc.record({
      route: fc.constantFrom(...PARAM_ROUTES),
      name: fc.constantFrom(...Object.keys(ids)),
      value: hostileParam,
    });
    await fc.assert(
      fc.asyncProperty(cases, async ({ route, name, value }) => {
        fc.pre(route.path.includes(`:${name}`));
        const path = fill(route.path, {
          ...ids,
          [name]: encodeURIComponent(value),
        });
        const body =
          route.body === undefined ? undefined : JSON.stringify(route.body);
        const response = await request(route.method, path, body);
        const error = await expectErrorReply(response, [400, 404]);
        expect(HTTP_STATUS[error.code]).toBe(response.status);
      }),
      { ...fuzzParameters(200), maxSkipsPerRun: 1000 },
    );
    expect(await world()).toEqual(before);
  });

  it("an invalid device id is a 400 naming deviceId", async () => {
    const response = await request(
      "DELETE",
      "/api/devices/not-a-device",
      undefined,
    );
    const error = await expectErrorReply(response, [400]);
    expect(error.field).toBe("deviceId");
  });

  it("an invalid blocked user id is a 400 naming userId", async () => {
    const response = await request(
      "DELETE",
      "/api/blocks/not-a-user",
      undefined,
    );
    const error = await expectErrorReply(response, [400]);
    expect(error.field).toBe("userId");
  });
});

describe("hostile Range headers", () => {
  const FILE_BYTES = 1000;
  let mediaId: string;
  let file: Uint8Array<ArrayBuffer>;

  beforeAll(async () => {
    file = patternBytes(FILE_BYTES);
    mediaId = await uploadFile(alice, ids.direct, file);
    const sent = await sendWithMedia(alice, ids.direct, [mediaId]);
    expect(sent.status).toBe(200);
  });

  it("every Range gets 200, 206 or 416 with matching bytes", async () => {
    const bound = fc.oneof(
      fc.constant(""),
      fc.nat({ max: 2 * FILE_BYTES }).map(String),
      fc.constantFrom("0", "00000999", "9".repeat(30), "1e3", "-1", " 5"),
    );
    const header = fc.oneof(
      fc.tuple(bound, bound).map(([first, last]) => `bytes=${first}-${last}`),
      fc.tuple(bound, bound, bound).map(([a, b, c]) => `bytes=${a}-${b},${c}-`),
      fc.string({ unit: "grapheme-ascii", maxLength: 30 }),
    );
    await fc.assert(
      fc.asyncProperty(header, async (range) => {
        const response = await download(bob, ids.direct, mediaId, {
          Range: range,
        });
        const body = new Uint8Array(await response.arrayBuffer());
        expect([200, 206, 416], range).toContain(response.status);
        if (response.status === 200) {
          expect(body).toEqual(file);
        }
        if (response.status === 206) {
          const contentRange = response.headers.get("Content-Range") ?? "";
          const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange);
          expect(match, contentRange).not.toBeNull();
          const [, first, last, size] = (match ?? []).map(Number);
          expect(size).toBe(FILE_BYTES);
          expect(last).toBeLessThan(FILE_BYTES);
          expect(body.byteLength).toBe((last ?? 0) - (first ?? 0) + 1);
          expect(response.headers.get("Content-Length")).toBe(
            String(body.byteLength),
          );
          expect(body).toEqual(file.slice(first, (last ?? 0) + 1));
        }
      }),
      fuzzParameters(60),
    );
  });
});
