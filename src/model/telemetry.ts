// onnxruntime-node (1.30 on Linux) starts Microsoft's telemetry with a process's first session:
// it stores each session's details (the model's file and graph names, its producer, the OS, the
// executable's path, a device id) in ~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db,
// leaves an empty mat-debug-<pid>.log in TMPDIR behind every process, and uploads the events
// wherever the network lets it. A function running on a database server must do none of that.
// onnxruntime skips all of it when ORT_DISABLE_TELEMETRY=1 is in the process environment as the
// first session is made, which only the main thread can arrange: a worker's process.env is a
// copy that native code never reads.

/** Call on the main thread before any session is made, here or on a worker. An operator's own value stands. */
export function disableOrtTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
}
