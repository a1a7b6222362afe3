// ESLint for the benchmarks: the project's rules, with Node.js globals for
// the runner and the `any` rules relaxed for .mjs files, whose frames are
// parsed JSON and whose `ws` sockets come without type declarations.
import globals from "globals";
import project from "../eslint.config.js";

export default [
  // wrangler dev writes its build of the floor under floor/.wrangler/.
  { ignores: ["**/.wrangler/"] },
  ...project,
  {
    files: ["**/*.mjs"],
    languageOptions: { globals: globals.node },
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
];
