import fc from "fast-check";
import { expect } from "vitest";
import { ErrorCode, type ErrorBody } from "../../protocol/index.ts";
import { api, json, type TestSocket, type TestUser } from "./helpers.ts";

/**
 * Runner settings for every property of the hostile-input tests. The seed
 * is fixed so a failure replays, and fast-check prints the seed and the path
 * of the failing case in its error. Shrinking is off because each case costs
 * a round trip to workerd, so the printed counterexample is unshrunk.
 */
export function fuzzParameters(numRuns: number): fc.Parameters<unknown> {
  return { numRuns, seed: 0x5eed_2026, endOnFailure: true };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Builds `depth` arrays nested inside each other around a number. */
export function nestedArrays(depth: number): Json {
  let value: Json = 0;
  for (let i = 0; i < depth; i += 1) value = [value];
  return value;
}

/** A string over the cap of every text field and every frame. */
export const HUGE_STRING = "x".repeat(300 * 1024);

/**
 * A JSON value that a field of the wrong type, an oversized one or one
 * out of range would carry.
 */
export const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.constantFrom(-1, -0.5, 1.5, 2 ** 53 + 2, 1e308, -1e308),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constant(HUGE_STRING),
  fc.integer({ min: 50, max: 3000 }).map(nestedArrays),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }) as fc.Arbitrary<
    Json[]
  >,
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), {
    maxKeys: 3,
  }) as fc.Arbitrary<Json>,
);

/** Lists every path to a property of a JSON object, parents before children. */
export function objectPaths(value: Json, prefix: string[] = []): string[][] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [];
  }
  const paths: string[][] = [];
  for (const [key, child] of Object.entries(value)) {
    paths.push([...prefix, key]);
    paths.push(...objectPaths(child, [...prefix, key]));
  }
  return paths;
}

export type Mutation =
  | { op: "delete"; path: string[] }
  | { op: "replace"; path: string[]; value: Json }
  | { op: "extra"; path: string[]; key: string; value: Json };

/** Returns a deep copy of `value` with one mutation applied. */
export function mutate(value: Json, mutation: Mutation): Json {
  const copy = structuredClone(value) as Record<string, Json>;
  const path = mutation.path;
  let parent: Record<string, Json> = copy;
  const last = mutation.op === "extra" ? path.length : path.length - 1;
  for (const key of path.slice(0, last)) {
    parent = parent[key] as Record<string, Json>;
  }
  const key = path[path.length - 1] ?? "";
  if (mutation.op === "delete") {
    Reflect.deleteProperty(parent, key);
  } else if (mutation.op === "replace") {
    parent[key] = mutation.value;
  } else {
    parent[mutation.key] = mutation.value;
  }
  return copy;
}

function isObject(value: Json | undefined): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function valueAt(value: Json, path: string[]): Json | undefined {
  let current: Json | undefined = value;
  for (const key of path) {
    current = isObject(current)
      ? (current as Record<string, Json>)[key]
      : undefined;
  }
  return current;
}

/** Picks a mutation of one property (or the object itself) of `base`. */
export function mutationOf(base: Json): fc.Arbitrary<Mutation> {
  const paths = objectPaths(base);
  const path = fc.constantFrom(...paths);
  const objectParents = paths.filter((p) => isObject(valueAt(base, p)));
  const parentPath = fc.constantFrom([], ...objectParents);
  return fc.oneof(
    path.map((p): Mutation => ({ op: "delete", path: p })),
    fc
      .tuple(path, hostileValue)
      .map(([p, value]): Mutation => ({ op: "replace", path: p, value })),
    fc
      .tuple(
        parentPath,
        fc.string({ minLength: 1, maxLength: 12 }),
        hostileValue,
      )
      .map(([p, key, value]): Mutation => ({
        op: "extra",
        path: p,
        key,
        value,
      })),
  );
}

/** Asserts an ErrorBody of the documented shape, without a stack trace. */
export function expectTypedError(error: ErrorBody): void {
  expect(ErrorCode.safeParse(error.code).success).toBe(true);
  expect(error.code).not.toBe("internal");
  expect(typeof error.message).toBe("string");
  expect(error.message).not.toMatch(/\n\s+at /);
}

/** Asserts an HTTP error reply: JSON `{ error }` with the code's status. */
export async function expectErrorReply(
  response: Response,
  statuses: number[],
): Promise<ErrorBody> {
  const text = await response.text();
  expect(statuses, text).toContain(response.status);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
  const { error } = JSON.parse(text) as { error: ErrorBody };
  expectTypedError(error);
  return error;
}

export interface ChatState {
  detail: unknown;
  messages: unknown;
}

export interface WorldState {
  me: unknown;
  chats: ChatState[];
  inbox: unknown;
}

let probeCounter = 0;

/**
 * Reads back what `observer` can see: its account, each chat's detail and
 * full message log, and its chat list. The reads go through the API and
 * `observer`'s socket, so the property compares what clients see.
 */
export async function readWorld(
  observer: TestUser,
  socket: TestSocket,
  chatIds: string[],
): Promise<WorldState> {
  const me = await json(
    await api("GET", "/api/me", { cookie: observer.cookie }),
  );
  const chats: ChatState[] = [];
  for (const chatId of chatIds) {
    const detail = await json(
      await api("GET", `/api/chats/${chatId}`, { cookie: observer.cookie }),
    );
    probeCounter += 1;
    const rid = `read-${probeCounter}`;
    socket.send({ type: "history", rid, chatId, afterSeq: 0, limit: 200 });
    const page = await socket.next("messages", (frame) => frame.rid === rid);
    chats.push({ detail, messages: page.messages });
  }
  probeCounter += 1;
  const rid = `inbox-${probeCounter}`;
  socket.send({ type: "sync", rid, chats: [] });
  const inbox = await socket.next("inbox", (frame) => frame.rid === rid);
  await socket.next("sync.done", (frame) => frame.rid === rid);
  return { me, chats, inbox: inbox.chats };
}

/** Asserts that `socket` still handles a valid frame: a history request. */
export async function expectSocketUsable(
  socket: TestSocket,
  chatId: string,
): Promise<void> {
  probeCounter += 1;
  const rid = `probe-${probeCounter}`;
  socket.send({ type: "history", rid, chatId, afterSeq: 0, limit: 1 });
  const page = await socket.next("messages", (frame) => frame.rid === rid);
  expect(page.chatId).toBe(chatId);
}
