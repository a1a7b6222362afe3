import { describe, expect, it } from "vitest";
import * as wrangler from "wrangler";

/** The parts of wrangler's resolved configuration these tests read. */
interface DeployConfig {
  name: string;
  vars: Record<string, unknown>;
  durable_objects: { bindings: { name: string; class_name: string }[] };
  migrations: { new_sqlite_classes?: string[]; new_classes?: string[] }[];
  r2_buckets: { binding: string; bucket_name?: string }[];
  analytics_engine_datasets: { binding: string; dataset?: string }[];
  assets?: { directory?: string; run_worker_first?: unknown };
  observability?: { enabled?: boolean };
}

// wrangler's declaration of its config type does not resolve under this
// project's compiler settings, so the function is typed here.
const { unstable_readConfig: readConfig } = wrangler as unknown as {
  unstable_readConfig(
    this: void,
    args: { config: string; env?: string },
    options: { hideWarnings: boolean },
  ): DeployConfig;
};

const CONFIG = "wrangler.toml";

function read(env?: string): DeployConfig {
  return readConfig(
    { config: CONFIG, ...(env === undefined ? {} : { env }) },
    { hideWarnings: true },
  );
}

describe("production environment in wrangler.toml", () => {
  const local = read();
  const production = read("production");

  it("deploys as the Worker named messenger", () => {
    expect(production.name).toBe("messenger");
  });

  it("binds every Durable Object of the top level", () => {
    const names = (config: DeployConfig) =>
      config.durable_objects.bindings.map(
        ({ name, class_name }) => `${name}=${class_name}`,
      );
    expect(names(production)).toEqual(names(local));
  });

  it("creates every Durable Object class by a migration", () => {
    const created = production.migrations.flatMap((migration) => [
      ...(migration.new_sqlite_classes ?? []),
      ...(migration.new_classes ?? []),
    ]);
    for (const { class_name } of production.durable_objects.bindings) {
      expect(created).toContain(class_name);
    }
  });

  it("binds the same R2 buckets", () => {
    expect(production.r2_buckets).toEqual(local.r2_buckets);
  });

  it("binds the same Analytics Engine datasets", () => {
    expect(production.analytics_engine_datasets).toEqual(
      local.analytics_engine_datasets,
    );
    const bindings = production.analytics_engine_datasets.map(
      ({ binding }) => binding,
    );
    expect(bindings).toContain("METRICS");
  });

  it("defines every var of the top level", () => {
    expect(Object.keys(production.vars).sort()).toEqual(
      Object.keys(local.vars).sort(),
    );
  });

  it("runs as production with the SMS outbox off", () => {
    expect(production.vars.ENVIRONMENT).toBe("production");
  });

  it("serves the built app and enables Workers Logs", () => {
    expect(production.assets?.directory).toBe("./dist");
    expect(production.assets?.run_worker_first).toEqual(["/api/*"]);
    expect(production.observability?.enabled).toBe(true);
  });
});
