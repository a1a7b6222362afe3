import type { Env as WorkerEnv } from "../../worker/env.ts";

// Gives `env` from cloudflare:test the Worker's bindings.
declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}

export {};
