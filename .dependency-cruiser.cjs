// The layers of ARCHITECTURE.md ("Layers and their rules"), enforced: `npm run lint:deps`.
// Bottom up: src/domain → pure modules → prompts/ → src/llm → src/runtime → graph/ → entry points.

/** Pure modules: plain code, no model calls through the LLM layer, no graphs. */
const PURE = "^src/(encode|replay|render|patterns|report|analysts|sources|store|validation|summaries|io|config|capture|generate|log|http|eval|watch|queue|limits|tickets|stats|triage)/";
/** What sits above the pure modules. */
const ABOVE_PURE = "^(prompts|graph|tools)/|^src/(llm|runtime|server|service|cli|mcp)/";
/** Entry points and services: only other entry points import them. */
const ENTRY = "^src/(server|service|cli|mcp)/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "domain-at-the-bottom",
      comment: "src/domain holds the types, schemas and errors shared by all: it imports nothing of ours outside itself.",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { path: "^(src|graph|tools|prompts|examples|test|bench)/", pathNot: "^src/domain/" },
    },
    {
      name: "config-at-the-bottom",
      comment: "src/config reads the environment for everyone: it imports only src/domain.",
      severity: "error",
      from: { path: "^src/config/" },
      to: { path: "^(src|graph|tools|prompts)/", pathNot: "^src/(domain|config)/" },
    },
    {
      name: "pure-modules-stay-pure",
      comment: "Pure modules never import prompts, the LLM layer, the runtime, graphs, tools, the server, services or the CLI.",
      severity: "error",
      from: { path: PURE },
      to: { path: ABOVE_PURE },
    },
    {
      name: "prompts-are-data",
      comment: "prompts/ is prompt text, typed formatters and output schemas: it imports only src/domain and pure modules.",
      severity: "error",
      from: { path: "^prompts/" },
      to: { path: "^(graph|tools)/|^src/(llm|runtime|server|service|cli)/" },
    },
    {
      name: "llm-layer-below-graphs",
      comment: "src/llm (model seam, structured calls, analyst and validator facades) builds no graph and knows no runtime.",
      severity: "error",
      from: { path: "^src/llm/" },
      to: { path: `^(graph|tools)/|^src/runtime/|${ENTRY}` },
    },
    {
      name: "runtime-below-graphs",
      comment: "src/runtime (what a run needs besides its state) is assembled from the layers below it.",
      severity: "error",
      from: { path: "^src/runtime/" },
      to: { path: `^(graph|tools)/|${ENTRY}` },
    },
    {
      name: "tools-below-graphs",
      comment: "The chat tools are called by the chat graph: they never import graph/, the server or the CLI.",
      severity: "error",
      from: { path: "^tools/" },
      to: { path: "^graph/|^src/(server|cli)/" },
    },
    {
      name: "graphs-below-entry-points",
      comment: "graph/ composes nodes; the server, services and CLI use the graphs, not the reverse. graph/studio.ts is an entry point.",
      severity: "error",
      from: { path: "^graph/", pathNot: "^graph/studio\\.ts$" },
      to: { path: ENTRY },
    },
    {
      name: "services-below-entry-points",
      comment: "src/service is used by the server, the CLI and tools; it never imports them.",
      severity: "error",
      from: { path: "^src/service/" },
      to: { path: "^src/(server|cli)/" },
    },
    {
      name: "no-examples-in-product",
      comment: "Demo apps are not the product: only the CLI's lazy loader map (src/cli/generate.ts) imports examples/.",
      severity: "error",
      from: { path: "^(src|graph|tools|prompts)/", pathNot: "^src/cli/generate\\.ts$" },
      to: { path: "^examples/" },
    },
    {
      name: "no-tests-in-product",
      comment: "Product code never imports tests, fakes, fixtures or benchmarks.",
      severity: "error",
      from: { path: "^(src|graph|tools|prompts)/" },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "no-circular",
      comment: "No import cycles between modules. A cycle closed only by type imports is erased at compile time and allowed.",
      severity: "error",
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "no-circular-folders",
      comment: "No import cycles between folders (layers and pure modules).",
      severity: "error",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
    {
      name: "not-to-unresolvable",
      comment: "An import that resolves to nothing is a typo or a missing dependency.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules|/public/|\\.d\\.ts$" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".mts", ".js", ".mjs", ".cjs", ".json"],
    },
    skipAnalysisNotInRules: true,
  },
};
