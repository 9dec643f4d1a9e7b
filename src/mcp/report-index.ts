import { z } from "zod";
import type { BlobStore } from "../store/blob-store.ts";
import { keySegment } from "../store/keys.ts";

/** Reports an MCP client made, newest first, at most this many remembered per project. */
export const MCP_REPORT_INDEX_SIZE = 200;

const IndexEntrySchema = z.object({ report_id: z.string(), title: z.string(), created_at: z.string() });
const IndexSchema = z.array(IndexEntrySchema);
export type McpReportEntry = z.infer<typeof IndexEntrySchema>;

/**
 * The reports listed as MCP resources. The blob store cannot list keys, so the reports made through
 * MCP are remembered in one small blob under the project's prefix (reports made elsewhere stay
 * readable by id: `report://<id>.json`).
 */
export class McpReportIndex {
  constructor(
    private readonly blobs: BlobStore,
    private readonly project: string,
  ) {}

  private get key(): string {
    return `${keySegment(this.project)}/mcp/reports`;
  }

  async list(): Promise<McpReportEntry[]> {
    return (await this.blobs.getJson(this.key, IndexSchema)) ?? [];
  }

  async add(entry: McpReportEntry): Promise<void> {
    const others = (await this.list()).filter((known) => known.report_id !== entry.report_id);
    await this.blobs.putJson(this.key, [entry, ...others].slice(0, MCP_REPORT_INDEX_SIZE));
  }
}
