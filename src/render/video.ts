import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { RenderError } from "./errors.ts";

/**
 * Encodes JPEG frames as an H.264 MP4 that any player and video model accepts: `framesPerSecond`
 * of the recording shown `speed` times faster, even frame sizes, `+faststart` so it streams.
 */
export async function encodeMp4(frames: readonly Buffer[], options: { framesPerSecond: number; speed: number; ffmpegPath?: string; timeoutMs?: number }): Promise<Buffer> {
  if (frames.length === 0) throw new RenderError("no_frames", "cannot encode a video without frames");
  const dir = await mkdtemp(path.join(tmpdir(), "ss-video-"));
  const out = path.join(dir, "clip.mp4");
  try {
    const ffmpeg = spawn(
      options.ffmpegPath ?? "ffmpeg",
      [
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        "image2pipe",
        "-framerate",
        String(options.framesPerSecond * options.speed),
        "-c:v",
        "mjpeg",
        "-i",
        "-",
        "-vf",
        "scale=trunc(iw/2)*2:trunc(ih/2)*2",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-preset",
        "veryfast",
        "-movflags",
        "+faststart",
        "-y",
        out,
      ],
      { stdio: ["pipe", "ignore", "pipe"] },
    );
    let stderr = "";
    ffmpeg.stderr.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve, reject) => {
      ffmpeg.on("error", (error) => reject(new RenderError("ffmpeg_not_found", `ffmpeg did not start (${error.message}): install it (apt-get install -y ffmpeg)`, { cause: error })));
      ffmpeg.on("close", resolve);
    });
    const timer = setTimeout(() => ffmpeg.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    try {
      for (const frame of frames) {
        if (!ffmpeg.stdin.write(frame)) await new Promise((resolve) => ffmpeg.stdin.once("drain", resolve));
      }
      ffmpeg.stdin.end();
      const code = await exited;
      if (code !== 0) throw new RenderError("ffmpeg_failed", `ffmpeg exited with ${code}: ${stderr.trim().slice(0, 500)}`);
    } finally {
      clearTimeout(timer);
    }
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
