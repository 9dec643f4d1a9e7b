import { randomBytes } from "node:crypto";
import { ReportSchema, type Report } from "../domain/report.ts";
import type { BlobStore } from "./blob-store.ts";
import { blobKeys } from "./keys.ts";

/** Report ids are ours (`report-…`) or the CLI's (`run-…`); anything empty or huge is simply not found. */
export function isPlausibleId(id: string): boolean {
  return typeof id === "string" && id.length > 0 && id.length <= 200;
}

/** A finished report of a project, wherever it was made (reports API, chat, CLI); undefined when there is none. */
export async function readReport(blobs: BlobStore, project: string, reportId: string): Promise<Report | undefined> {
  if (!isPlausibleId(project) || !isPlausibleId(reportId)) return undefined;
  const stored = await blobs.getJson(blobKeys.report(project, reportId));
  return stored === undefined ? undefined : ReportSchema.parse(stored);
}

/** A new report id: `report-<UTC time>-<random>`, sortable by time. */
export function newReportId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `report-${stamp}-${randomBytes(3).toString("hex")}`;
}
