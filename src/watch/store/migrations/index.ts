import type { Migration, MigrationProvider } from "kysely";
import type { WatchDialect } from "../schema.ts";
import { initial } from "./001-initial.ts";
import { answers } from "./002-answers.ts";
import { tickets } from "./003-tickets.ts";

/**
 * The watch store's migrations, in order, as code (no files read at run time). A new migration is
 * a new file `NNN-what.ts` added at the end here; a migration once released is never edited.
 */
const MIGRATIONS: ReadonlyArray<readonly [name: string, build: (dialect: WatchDialect) => Migration]> = [
  ["001-initial", initial],
  ["002-answers", answers],
  ["003-tickets", tickets],
];

export class WatchMigrations implements MigrationProvider {
  constructor(private readonly dialect: WatchDialect) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    return Object.fromEntries(MIGRATIONS.map(([name, build]) => [name, build(this.dialect)]));
  }
}

export const MIGRATION_NAMES: readonly string[] = MIGRATIONS.map(([name]) => name);
