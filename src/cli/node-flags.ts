/**
 * The V8 flags the daemon runs with: `npm start` and the `lanyard` command's first line
 * (src/main.ts) both pass them, and a test keeps the three in step. They must be on node's
 * command line: V8 sizes its heap when the process starts, so setting them from inside the
 * program has no effect.
 *
 * --max-semi-space-size=4: V8's young generation (where each packet's short-lived objects live)
 * may otherwise grow to 16 MiB per semi-space and keep those pages resident after a burst.
 * With 4 MiB, 100,000 registered devices take 128–134 MiB instead of 149–153 MiB, and
 * bench:radius showed no difference in CPU per request beyond its noise (2 MiB did cost about
 * a tenth more). docs/benchmarks.md has the measurements.
 */
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
