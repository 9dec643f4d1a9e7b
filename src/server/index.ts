export { createApp, type CreateAppOptions } from "./app.ts";
export { ApiKeyAuth, presentedKey, requireProject } from "./auth.ts";
export { ServerError, toServerError } from "./errors.ts";
export { isLoopback, resolveServerProjects, ServerConfigFileSchema, type ProjectSpec, type ServerProjects } from "./projects.ts";
export { startServer, type RunningServer, type StartServerOptions } from "./server.ts";
export { ServerServices, type ServerServicesOptions } from "./services.ts";
export { SseWriter } from "./sse.ts";
export { ChatThreads } from "./threads.ts";
