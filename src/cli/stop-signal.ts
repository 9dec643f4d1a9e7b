/**
 * Resolves with the name of what stopped a long-running command (Ctrl-C, SIGTERM, or `signal`);
 * the handlers are removed on the first one, so a second Ctrl-C quits at once.
 */
export function waitForStop(signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve) => {
    const stop = (why: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      signal?.removeEventListener("abort", onAbort);
      resolve(why);
    };
    const onInt = () => stop("SIGINT");
    const onTerm = () => stop("SIGTERM");
    const onAbort = () => stop("stop requested");
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
    if (signal?.aborted) stop("stop requested");
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}
