/** Exit codes of every `navi` command: 0 success, 1 failure, 2 bad usage, 130 interrupted. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** Bad usage: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}
