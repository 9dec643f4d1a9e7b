import type { LoadingWaitSignal } from "./types.ts";

/**
 * The session metadata block: a few numbers that let the model calibrate (was the user active,
 * how much did they click). Deliberately no list of errors: a long error list made the original
 * system's model report errors the user never saw.
 */
export interface MetadataFields {
  durationMs?: number;
  activeSeconds?: number;
  clicks?: number;
  keypresses?: number;
  mouseActivity?: number;
  /** `url_N` alias. */
  startUrlAlias?: string;
  windows?: number;
  loadingWaits?: readonly LoadingWaitSignal[];
}

function finiteNumber(value: number | undefined): string | undefined {
  return value === undefined || !Number.isFinite(value) ? undefined : String(Math.round(value));
}

/** `session_metadata:` followed by one `key: value` line per known field. */
export function formatMetadata(fields: MetadataFields): string {
  const lines: Array<[string, string | undefined]> = [
    ["duration_s", finiteNumber(fields.durationMs === undefined ? undefined : fields.durationMs / 1000)],
    ["active_s", finiteNumber(fields.activeSeconds)],
    ["clicks", finiteNumber(fields.clicks)],
    ["keypresses", finiteNumber(fields.keypresses)],
    ["mouse_activity", finiteNumber(fields.mouseActivity)],
    ["start_url", fields.startUrlAlias],
    ["windows", finiteNumber(fields.windows)],
    // Numbers only: the indicator's text is page text and stays out of the unfenced block.
    [
      "loading_waits",
      fields.loadingWaits?.length
        ? fields.loadingWaits.map((wait) => `t=${wait.startS.toFixed(1)} for ${Math.round(wait.seconds)} s${wait.stillLoading ? " (still loading when the recording ended)" : ""}`).join("; ")
        : undefined,
    ],
  ];
  const known = lines.filter((line): line is [string, string] => line[1] !== undefined);
  return ["session_metadata:", ...known.map(([key, value]) => `${key}: ${value}`)].join("\n");
}
