import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, loadPage } from './page.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('loadPage', () => {
  it('serves the bundle with the site name in a meta tag, escaped', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cgw-page-'));
    await writeFile(join(dir, 'index.html'), '<html><head><title>x</title></head><body></body></html>');
    await writeFile(join(dir, 'app.js'), 'console.log(1)');
    await writeFile(join(dir, 'app.css'), 'body{}');
    const page = await loadPage({ site: 'a"<b>', dir });
    expect(page['/'].body).toContain('<meta name="cgw-site" content="a&#34;&#60;b&#62;">');
    expect(page['/app.js']).toEqual({ type: 'text/javascript; charset=utf-8', body: 'console.log(1)' });
  });

  it('explains how to build when there is no bundle', async () => {
    const page = await loadPage({ site: 's', dir: join(tmpdir(), 'cgw-no-such-dir') });
    expect(page['/'].body).toContain('npm run build:web');
  });

  it('allows no inline script or style', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe/);
  });
});
