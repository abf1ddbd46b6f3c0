import type { FastifyRequest } from 'fastify';
import type { AuditLog } from '../gateway/auth/auth-store.ts';
import type { Clock } from '../gateway/clock.ts';
import type { Logger } from '../gateway/log.ts';

/** Records one action in the audit log. */
export type Audit = (
  request: FastifyRequest,
  action: string,
  target: string | null,
  extra?: { username?: string; detail?: string | null },
) => void;

/**
 * The audit trail the routes write to: who (the logged-in user, or the username tried), what,
 * to what, when, from which address. Without an audit log (no data directory) it does nothing;
 * a failed write is logged and does not undo the action it records.
 */
export function auditTrail(deps: { audit?: AuditLog; clock: Clock; log: Logger }): Audit {
  return (request, action, target, extra = {}) => {
    if (!deps.audit) return;
    const username = extra.username ?? request.user?.username ?? '';
    try {
      deps.audit.record({
        ts: deps.clock.now(),
        username,
        action,
        target,
        address: request.ip || null,
        detail: extra.detail ?? null,
      });
    } catch (err) {
      deps.log.error({ err, action, username, target }, 'audit log write failed');
    }
  };
}
