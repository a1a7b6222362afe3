export * from "./batch.ts";
export * from "./errors.ts";
export * from "./frames.ts";
export * from "./http.ts";
export * from "./ids.ts";
export * from "./limits.ts";
export * from "./models.ts";
export * from "./service-worker.ts";
