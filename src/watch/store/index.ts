export type { TicketLink, TicketTracker, WatchStore } from "./types.ts";
export { TICKET_TRACKERS } from "./types.ts";
export { WatchStoreError } from "./errors.ts";
export { KyselyWatchStore } from "./kysely-store.ts";
export { describeWatchStore, openWatchStore, openWatchStoreAt } from "./open.ts";
export { MIGRATION_NAMES } from "./migrations/index.ts";
