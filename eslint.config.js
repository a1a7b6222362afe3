// ESLint flat config. Type-aware rules read the tsconfig of each runtime
// through the TypeScript project service; eslint-config-prettier comes last
// so formatting is left to Prettier.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "node_modules/",
      ".wrangler/",
      ".tsbuild/",
      "coverage/",
      "test-results/",
      "playwright-report/",
      "**/*.d.ts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each file is checked with the tsconfig of its runtime, found
        // through the references of the top-level tsconfig.json.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      // Durable Object RPC methods and handler-map entries are async by
      // contract even when their body has nothing to await.
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true },
      ],
      eqeqeq: ["error", "always", { null: "ignore" }],
    },
  },
  {
    files: ["scripts/**", "dev/**", "*.js", "*.mjs", "*.ts", "test/e2e/**"],
    languageOptions: { globals: globals.node },
  },
  {
    files: ["pwa/src/**"],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ["pwa/sw/**"],
    languageOptions: { globals: globals.serviceworker },
  },
  prettier,
);
