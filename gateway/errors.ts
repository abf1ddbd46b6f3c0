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
  CGW_CONFLICT: { status: 409, transient: false },
  CGW_STORE_UNAVAILABLE: { status: 503, transient: true },
  CGW_STORE_REJECTED: { status: 500, transient: false },
  CGW_SPOOL_CORRUPT: { status: 500, transient: false },
  CGW_BROKER_LISTEN: { status: 500, transient: false },
  // ONVIF cameras: unreachable or offline (503), too slow (504), or answering but unusable (502).
  CGW_ONVIF_UNAVAILABLE: { status: 503, transient: true },
  CGW_ONVIF_TIMEOUT: { status: 504, transient: true },
  CGW_ONVIF_UNAUTHORIZED: { status: 502, transient: false },
  CGW_ONVIF_FAULT: { status: 502, transient: false },
  CGW_ONVIF_MALFORMED: { status: 502, transient: true },
  // Modbus: no answer in time (504), unreachable (503), an exception or garbled reply (502).
  CGW_MODBUS_TIMEOUT: { status: 504, transient: true },
  CGW_MODBUS_DISCONNECTED: { status: 503, transient: true },
  CGW_MODBUS_EXCEPTION: { status: 502, transient: true },
  CGW_MODBUS_BAD_REPLY: { status: 502, transient: true },
  CGW_INTERNAL: { status: 500, transient: false },
  CGW_RULE_INVALID: { status: 400, transient: false },
  CGW_RULE_ALERT_CONFLICT: { status: 409, transient: false },
  CGW_RULE_LINK_INVALID: { status: 403, transient: false },
  CGW_RULE_NOTIFY_FAILED: { status: 502, transient: true },
  CGW_RULE_NOTIFY_REFUSED: { status: 502, transient: false },
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
