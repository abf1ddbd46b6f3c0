import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isGatewayError } from '../../gateway/errors.ts';
import type { Alert } from '../../rules/lifecycle.ts';
import type { DashboardDeps } from '../app.ts';
import { auditTrail } from '../audit.ts';
import { errorAnswer, errorBodySchema } from '../errors.ts';
import type { ZodTypeProvider } from '../zod-schema.ts';
import { alertParams, alertSchema, alertServiceOf } from './alert-schemas.ts';

const linkQuery = z.strictObject({ token: z.string().min(1).max(1000) });

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A page a phone shows well: the technician opened the link from a chat message. */
function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:32rem;padding:0 1rem}
button{font-size:1.1rem;padding:.6rem 1.6rem}.muted{color:#666}</style></head>
<body><h1>${escape(title)}</h1>${body}</body></html>`;
}

function summary(a: Alert): string {
  return `<p><strong>${escape(a.message)}</strong></p>
<p class="muted">${escape(a.deviceName)} (${escape(a.device)}) · ${escape(a.severity)} · team ${escape(a.team)}</p>`;
}

function stateLine(a: Alert): string {
  if (a.state === 'acknowledged')
    return `<p>已确认 Already acknowledged${a.ackedBy ? ` by ${escape(a.ackedBy)}` : ''}.</p>`;
  if (a.state === 'resolved') return '<p>已恢复 Already resolved.</p>';
  return '';
}

const HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const wantsHtml = (request: FastifyRequest): boolean => (request.headers.accept ?? '').includes('text/html');

function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .status(status)
    .headers(HEADERS)
    .type('text/html; charset=utf-8')
    .send(html as never);
}

/**
 * The signed acknowledge link, no login needed. `GET` only shows the alert and a button: chat
 * apps open links to preview them, and a preview must not acknowledge anything. `POST` (the
 * button, or an API client) acknowledges as `link:<channel>`; a second use answers 409.
 */
export const ackLinkRoutes: FastifyPluginAsync<DashboardDeps> = async (root, deps) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const alerts = alertServiceOf(deps);
  const record = auditTrail(deps);
  // The button posts an empty HTML form; the token is in the query string.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, _body, done) =>
    done(null, undefined),
  );

  app.get(
    '/api/alerts/:id/ack-link',
    {
      config: { public: true },
      schema: {
        summary: 'The acknowledge page of a signed link (no login)',
        tags: ['alerts'],
        produces: 'text/html',
        params: alertParams,
        querystring: linkQuery,
      },
    },
    async (request, reply) => {
      try {
        const { alert } = alerts().checkAckLink(request.params.id, request.query.token);
        const action = `?token=${encodeURIComponent(request.query.token)}`;
        const body =
          alert.state === 'active'
            ? `${summary(alert)}<form method="post" action="${escape(action)}"><button type="submit">确认 Acknowledge</button></form>`
            : summary(alert) + stateLine(alert);
        return sendPage(reply, 200, page('告警确认 Acknowledge alert', body));
      } catch (err) {
        const { status, body } = errorAnswer(err);
        return sendPage(
          reply,
          status,
          page('告警确认 Acknowledge alert', `<p>${escape(body.error.message)}</p>`),
        );
      }
    },
  );

  app.post(
    '/api/alerts/:id/ack-link',
    {
      config: { public: true },
      schema: {
        summary: 'Acknowledge through a signed link (no login)',
        description: '403: the link is wrong or expired; 409: the alert is already acknowledged or resolved.',
        tags: ['alerts'],
        params: alertParams,
        querystring: linkQuery,
        response: { 200: alertSchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema },
      },
    },
    async (request, reply) => {
      const html = wantsHtml(request);
      try {
        const alert = alerts().acknowledgeByLink(request.params.id, request.query.token);
        record(request, 'alert.ack-link', alert.id, { username: alert.ackedBy ?? 'link' });
        if (!html) return alert;
        return sendPage(reply, 200, page('已确认 Acknowledged', `${summary(alert)}<p>谢谢 Thank you.</p>`));
      } catch (err) {
        if (!html) throw err;
        const { status, body } = errorAnswer(err);
        const current = isGatewayError(err, 'CGW_RULE_ALERT_CONFLICT')
          ? alerts().get(request.params.id)
          : undefined;
        const detail = current
          ? summary(current) + stateLine(current)
          : `<p>${escape(body.error.message)}</p>`;
        return sendPage(reply, status, page('告警确认 Acknowledge alert', detail));
      }
    },
  );
};
