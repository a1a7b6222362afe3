import preact from "@preact/preset-vite";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

const apiPort = process.env.API_PORT ?? "8787";

export default defineConfig({
  root: "pwa",
  build: {
    outDir: "../dist",
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        codeSplitting: {
          // Every module that the entry imports statically loads at first
          // paint anyway, so they share one chunk. Each extra chunk would
          // cost a request, its own gzip overhead and import and export
          // lists. Modules reached only through `import()` are not tagged
          // "$initial" and stay in their on-demand chunks.
          groups: [
            { name: "app", tags: ["$initial"] },
            // The RealtimeKit SDK (about 640 kB) loads only when a call on
            // RealtimeKit starts. A named chunk keeps it out of the precache.
            {
              name: "realtimekit",
              test: /node_modules[\\/]@cloudflare[\\/]realtimekit/,
            },
          ],
        },
      },
    },
  },
  plugins: [
    preact(),
    VitePWA({
      strategies: "injectManifest",
      srcDir: "sw",
      filename: "sw.ts",
      // The page registers the worker itself through workbox-window, so it
      // can offer the "new version ready" prompt.
      injectRegister: false,
      injectManifest: {
        globPatterns: ["**/*.{js,css,html,svg,png,webmanifest}"],
        // Deployments on the SFU never load it, and calls need the network.
        globIgnores: ["**/realtimekit-*.js"],
      },
      manifest: {
        name: "Messenger",
        short_name: "Messenger",
        description: "Messages with the people you know, on any device.",
        theme_color: "#0b7a5a",
        background_color: "#ffffff",
        display: "standalone",
        start_url: "/",
        scope: "/",
        icons: [
          {
            src: "/icons/icon-192.png",
            sizes: "192x192",
            type: "image/png",
          },
          {
            src: "/icons/icon-512.png",
            sizes: "512x512",
            type: "image/png",
          },
          {
            src: "/icons/icon-maskable-512.png",
            sizes: "512x512",
            type: "image/png",
            purpose: "maskable",
          },
          {
            src: "/icons/icon.svg",
            sizes: "any",
            type: "image/svg+xml",
          },
        ],
        shortcuts: [
          {
            name: "New chat",
            short_name: "New chat",
            url: "/new",
            icons: [
              {
                src: "/icons/icon-192.png",
                sizes: "192x192",
                type: "image/png",
              },
            ],
          },
        ],
      },
    }),
  ],
  server: {
    host: "127.0.0.1",
    proxy: {
      "/api": {
        target: `http://127.0.0.1:${apiPort}`,
        ws: true,
      },
    },
  },
});
