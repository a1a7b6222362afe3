import { render } from "preact";
import { boot, checkSubscription, session } from "./data/index.ts";
import { setCallLoader } from "./data/call-frames.ts";
import { registerServiceWorker } from "./data/update.ts";
import { App } from "./ui/App.tsx";

// The call engine and its screen load on the first call frame or button.
setCallLoader(() => import("./ui/Call/index.tsx"));

async function start(root: HTMLElement): Promise<void> {
  // Boot before the first render so that the UI starts from the stored
  // session rather than flashing the sign-in screen.
  await boot();
  render(<App />, root);
  if (import.meta.env.PROD) await registerServiceWorker();
  if (session.value) await checkSubscription();
}

// The build id (VITE_BUILD_ID at build time, empty by default) marks which
// version of the app a page runs, for update tests and bug reports.
const buildId: unknown = import.meta.env.VITE_BUILD_ID;
document.documentElement.dataset.build =
  typeof buildId === "string" ? buildId : "";

const root = document.getElementById("app");
if (root === null) throw new Error("index.html has no #app element");
start(root).catch((error: unknown) => {
  console.error(JSON.stringify({ event: "boot_failed", error: String(error) }));
});
