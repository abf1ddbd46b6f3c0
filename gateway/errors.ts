/**
 * Coded errors. Codes are area-prefixed and stable: logs, metrics and API answers carry them.
 */
export const ERROR_CODES = {
  CGW_CONFIG_INVALID: { status: 400, transient: false },
  CGW_CONFIG_NOT_FOUND: { status: 400, transient: false },
  CGW_INPUT_REJECTED: { status: 400, transient: false },
  CGW_NOT_FOUND: { status: 404, transient: false },
  CGW_UNAUTHORIZED: { status: 401, transient: false },
  CGW_FORBIDDEN: { status: 403, transient: false },
  CGW_RATE_LIMITED: { status: 429, transient: true },
  CGW_STORE_UNAVAILABLE: { status: 503, transient: true },
  CGW_STORE_REJECTED: { status: 500, transient: false },
  CGW_SPOOL_CORRUPT: { status: 500, transient: false },
  CGW_BROKER_LISTEN: { status: 500, transient: false },
  CGW_INTERNAL: { status: 500, transient: false },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly context: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.context = options.context ?? {};
  }

  /** Worth retrying: the same call may succeed later. */
  isTransient(): boolean {
    return ERROR_CODES[this.code].transient;
  }

  /** The HTTP status this error maps to. */
  get httpStatus(): number {
    return ERROR_CODES[this.code].status;
  }
}

export function isGatewayError(err: unknown, code?: ErrorCode): err is GatewayError {
  return err instanceof GatewayError && (code === undefined || err.code === code);
}

/** A short human message for anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
