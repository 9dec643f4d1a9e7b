// Lint rules for the whole repository (`npm run lint`). Formatting is Prettier's (`npm run format:check`);
// eslint-config-prettier turns off the rules that would fight it.
import js from "@eslint/js";
import globals from "globals";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

const PRODUCT = ["src/**/*.ts", "graph/**/*.ts", "tools/**/*.ts", "prompts/**/*.ts"];

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", ".artifacts/**", ".session-summaries/**", ".langgraph_api/**", "reports/**", "**/*.cjs", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A promise nobody awaits loses its error (an unhandled rejection takes the server down) and its order.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false, attributes: false } }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    files: PRODUCT,
    ignores: ["src/config/env.ts"],
    rules: {
      // One env reader: configuration comes from readConfig() in src/config/env.ts, checked and documented there.
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "read configuration through readConfig() (src/config/env.ts), the one env reader" }],
    },
  },
  {
    // The demo apps' pages run in the browser.
    files: ["examples/**/public/**/*.js", "src/report/page/client/**/*.js"],
    // Pages share the app object and the visit log that the apps' scripts define on window.
    languageOptions: { globals: { ...globals.browser, App: "writable", visitLog: "writable", Shop: "writable" } },
  },
  {
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      // Tests read untyped JSON bodies and poke at internals on purpose.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  prettier,
);
