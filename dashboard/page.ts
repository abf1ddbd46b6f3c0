import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PUBLIC_DIR } from '../gateway/paths.ts';

/**
 * The control-room page: the bundle `dashboard/build.ts` writes to `dashboard/public/` (built by
 * `npm install` and `npm start`). No inline script or style, so the policy allows scripts and
 * styles from this origin only. uPlot and Preact set styles through the CSSOM, which
 * `style-src 'self'` permits.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface PageAsset {
  type: string;
  body: string;
}

/** `/`, `/app.js`, `/app.css`, read once at start. */
export type PageAssets = Record<'/' | '/app.js' | '/app.css', PageAsset>;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>community-gateway</title></head>
<body><h1>community-gateway</h1><p>The dashboard is not built: run <code>npm run build:web</code>
(or <code>npm install</code>) and restart. The API is at <code>/api</code>, login with
<code>POST /api/login</code>.</p></body></html>
`;

/** Reads the built bundle; without one, `/` explains how to build it. The site name goes in a meta tag. */
export async function loadPage(options: { site: string; dir?: string }): Promise<PageAssets> {
  const dir = options.dir ?? PUBLIC_DIR;
  const read = (file: string) => readFile(join(dir, file), 'utf8').catch(() => undefined);
  const [html, js, css] = await Promise.all([read('index.html'), read('app.js'), read('app.css')]);
  const site = `<meta name="cgw-site" content="${escapeHtml(options.site)}">`;
  return {
    '/': {
      type: 'text/html; charset=utf-8',
      body: html && js && css ? html.replace('</head>', `${site}\n</head>`) : NOT_BUILT,
    },
    '/app.js': { type: 'text/javascript; charset=utf-8', body: js ?? '' },
    '/app.css': { type: 'text/css; charset=utf-8', body: css ?? '' },
  };
}
