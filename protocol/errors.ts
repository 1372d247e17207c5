/**
 * Error codes NAVI's agent returns in JSON-RPC `ResponseError`s.
 *
 * JSON-RPC reserves -32768..-32000 and LSP reserves -32899..-32800, so NAVI's own codes live in
 * 41000..41999. Two standard codes are used as the spec intends:
 * - `-32602` (InvalidParams): the params failed the message's zod schema; `data.issues` lists
 *   each problem as `{ path, message }`.
 * - `-32800` (RequestCancelled): the client cancelled the request.
 */
export const ErrorCodes = {
  /** Params did not match the message's schema (JSON-RPC standard code). */
  InvalidParams: -32602,
  /** The request was cancelled by the client (LSP standard code). */
  RequestCancelled: -32800,
  /** The path given does not exist. `data.path` names it. */
  PathNotFound: 41001,
  /** The path exists but is not a directory. `data.path` names it. */
  NotADirectory: 41002,
  /** The path cannot be read (permissions). `data.path` names it. */
  PermissionDenied: 41003,
  /** The action needs a trusted workspace (VS Code Restricted Mode forbids it). */
  WorkspaceNotTrusted: 41004,
  /** A policy file is invalid (schema or a failing example); the message names file, rule and example. */
  InvalidPolicy: 41005,
  /** The audit log cannot be written or is corrupt: nothing runs without a record. */
  AuditUnavailable: 41006,
  /** The project profile has no command of the kind asked for (no test or start command). */
  NoProfileCommand: 41007,
  /** No started app has that id (it was stopped or never started). */
  NoSuchApp: 41008,
  /** `navi/modelChat`: the editor has no usable language model (`data.reason` says which failure). */
  ModelUnavailable: 41009,
  /** Something unexpected failed inside the agent; the agent log has the stack. */
  Internal: 41999,
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Shape of `ResponseError.data` for NAVI errors: a hint the UI shows next to the message. */
export interface NaviErrorData {
  /** What the user can do about it, in one sentence ("Open a folder", "Check permissions"). */
  hint?: string;
  /** The path the error is about, when there is one. */
  path?: string;
  /** For InvalidParams: each schema problem. */
  issues?: { path: string; message: string }[];
}

/**
 * An expected failure with a user-facing message. Task code throws it; the server's `handle()`
 * wrapper turns it into a JSON-RPC error with the same code, message and data.
 */
export class NaviError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly data: NaviErrorData = {},
  ) {
    super(message);
    this.name = 'NaviError';
  }
}
