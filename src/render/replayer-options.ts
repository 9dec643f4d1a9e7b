/**
 * How every rrweb Replayer here plays a recording: in recorded time (idle stretches kept, speed 1),
 * without the mouse trail, focus changes or console chatter. Shared by the clip renderer's player
 * page and the report page's replay, so a reader sees the recording as the replay check saw it.
 * Plain data: the report page bundles it for the browser.
 */
export const REPLAYER_OPTIONS = {
  mouseTail: false,
  showWarning: false,
  showDebug: false,
  skipInactive: false,
  triggerFocus: false,
  speed: 1,
} as const;
