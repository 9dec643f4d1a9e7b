import { gunzipSync } from "node:zlib";
import { CaptureError } from "./errors.ts";

/**
 * Turns a capture request body into JSON, accepting every encoding posthog-js (and PostHog's own
 * capture service) uses:
 *
 * - raw gzip, usually sent as `text/plain` and often without any query flag: recognised by the
 *   `1f 8b` magic bytes, whatever the headers say (posthog-js drops `compression=gzip-js` from the
 *   URL when it gzips);
 * - `compression=base64`: an `application/x-www-form-urlencoded` body `data=<base64 of UTF-8 JSON>`
 *   (posthog-js's sendBeacon fallback and its choice when gzip is not negotiated), or a bare base64 body;
 * - plain JSON (`application/json`, posthog-js's default before the remote config arrives);
 * - GET with `?data=...` (old SDKs and pixel-style tracking).
 *
 * LZ64 (`compression=lz64`, very old posthog-js) is refused with 415: decoding it needs lz-string.
 */

export type CompressionHint = "gzip" | "base64" | "lz64" | undefined;

export interface RawCaptureRequest {
  /** The body as received (after HTTP `Content-Encoding` was undone by the body parser), or empty. */
  body: Buffer;
  /** The `Content-Type` header, if any. */
  contentType?: string;
  /** `compression` query parameter. */
  compression?: string;
  /** `data` query parameter (GET requests). */
  dataParam?: string;
  /** Largest decoded payload accepted; larger is a 413. */
  maxDecodedBytes: number;
}

export interface DecodedPayload {
  value: unknown;
  /** How the body was encoded, e.g. `gzip`, `form+base64`, `json`: for logs and stats. */
  encoding: string;
}

const FORM_TYPE = "application/x-www-form-urlencoded";
/** Media types posthog-js sends, plus what curl and beacons send without thinking. */
const ACCEPTED_MEDIA_TYPES = new Set(["", "text/plain", "application/json", FORM_TYPE, "application/octet-stream"]);
const STRICT_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

export function compressionHint(value: string | undefined): CompressionHint {
  switch ((value ?? "").trim().toLowerCase()) {
    case "gzip":
    case "gzip-js":
      return "gzip";
    case "base64":
      return "base64";
    case "lz64":
    case "lz-string":
      return "lz64";
    default:
      // PostHog ignores values it does not know and sniffs the body instead; so do we.
      return undefined;
  }
}

export function decodeCapturePayload(request: RawCaptureRequest): DecodedPayload {
  const mediaType = mediaTypeOf(request.contentType);
  if (!ACCEPTED_MEDIA_TYPES.has(mediaType)) {
    throw new CaptureError("unsupported_content_type", `content type ${JSON.stringify(mediaType)} is not accepted here; send JSON, text/plain (gzip) or ${FORM_TYPE} (data=<base64>)`, 415);
  }
  let hint = compressionHint(request.compression);
  const steps: string[] = [];
  let bytes: Buffer;
  if (request.dataParam !== undefined && request.dataParam.length > 0) {
    // Query decoding turned any unescaped '+' of base64 into a space.
    const data = looksLikeJson(request.dataParam) ? request.dataParam : request.dataParam.replace(/ /g, "+");
    bytes = Buffer.from(data, "utf8");
    steps.push("query");
  } else {
    bytes = request.body;
  }
  if (bytes.length === 0) {
    throw new CaptureError("empty_payload", "request has no body and no data= query parameter", 400);
  }
  if (hint === "lz64") throw unsupportedLz64();

  if (isGzip(bytes)) {
    bytes = gunzip(bytes, request.maxDecodedBytes);
    steps.push("gzip");
  } else if (hint === "gzip") {
    throw new CaptureError("invalid_gzip", "compression=gzip-js, but the body is not gzip data (no 1f 8b magic bytes)", 400);
  }
  let text = decodeUtf8(bytes, "body");

  if (mediaType === FORM_TYPE || looksLikeDataForm(text)) {
    const form = new URLSearchParams(text);
    const data = form.get("data");
    if (data === null || data.length === 0) {
      throw new CaptureError("invalid_form", "form body has no data= field", 400);
    }
    hint = compressionHint(form.get("compression") ?? undefined) ?? hint;
    if (hint === "lz64") throw unsupportedLz64();
    // A '+' of base64 that was not percent-encoded arrives as a space after form decoding.
    text = looksLikeJson(data) ? data : data.replace(/ /g, "+");
    steps.push("form");
  }

  if (hint === "base64" || (!looksLikeJson(text) && STRICT_BASE64.test(text.trim()))) {
    let decoded = decodeBase64(text);
    if (isGzip(decoded)) {
      decoded = gunzip(decoded, request.maxDecodedBytes);
      steps.push("base64+gzip");
    } else {
      steps.push("base64");
    }
    text = decodeUtf8(decoded, "base64 payload");
  }
  if (Buffer.byteLength(text) > request.maxDecodedBytes) {
    throw tooLarge(request.maxDecodedBytes);
  }
  if (text.trim().length === 0) throw new CaptureError("empty_payload", "payload is empty after decoding", 400);

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CaptureError("invalid_json", `payload is not valid JSON (${reason})`, 400);
  }
  return { value, encoding: steps.length > 0 ? steps.join("+") : "json" };
}

function isGzip(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

function gunzip(bytes: Buffer, maxOutputLength: number): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength });
  } catch (error) {
    if (error instanceof RangeError || (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw tooLarge(maxOutputLength);
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new CaptureError("invalid_gzip", `body starts like gzip but cannot be gunzipped (${reason})`, 400);
  }
}

function decodeBase64(text: string): Buffer {
  const compact = text.replace(/\s+/g, "");
  // Buffer.from(…, "base64") silently skips bad characters; check first so garbage is an error.
  if (compact.length === 0 || compact.length % 4 === 1 || !STRICT_BASE64.test(compact)) {
    throw new CaptureError("invalid_base64", "payload is marked or looks like base64 but is not valid base64", 400);
  }
  return Buffer.from(compact, "base64");
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(bytes: Buffer, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new CaptureError("invalid_utf8", `${what} is not valid UTF-8 (and not gzip)`, 400);
  }
}

function looksLikeJson(text: string): boolean {
  const first = text.trimStart()[0];
  return first === "{" || first === "[";
}

function looksLikeDataForm(text: string): boolean {
  return !looksLikeJson(text) && /(^|&)data=/.test(text.slice(0, 200));
}

function unsupportedLz64(): CaptureError {
  return new CaptureError("unsupported_compression", "compression=lz64 is not supported by the local capture server; use a posthog-js from the last years (gzip or base64)", 415);
}

function tooLarge(limit: number): CaptureError {
  return new CaptureError("payload_too_large", `decoded payload is larger than ${limit} bytes`, 413);
}
