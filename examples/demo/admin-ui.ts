/**
 * The admin UI the demo serves at `/`. Real AdminForth builds its SPA (`admin.bundleNow()`) and
 * serves it from `admin.express.serve(app)`; the project's test host does neither (contract §9.8),
 * so the demo builds the page the browser test drives (test/ui/page: the plugin's components with
 * stand-ins for AdminForth's SPA modules, a login form and a "Start some jobs" form) and serves it
 * as static files. The build is reused while its sources are unchanged (test/ui/page/build.ts).
 *
 * `DEMO_UI=off` skips it (the test helpers that start many demos at once do).
 */
import express from 'express';
import path from 'path';

export async function adminUi(): Promise<{ middleware: express.Handler; summary: string } | null> {
  if (process.env.DEMO_UI === 'off') return null;
  const { buildAdminUi } = await import('../../test/ui/page/build.js');
  const build = await buildAdminUi();
  const seconds = (build.ms / 1000).toFixed(1);
  const summary = build.built
    ? `admin UI built in ${seconds} s (${path.relative(process.cwd(), build.dir)})`
    : `admin UI unchanged since its last build, reused (${path.relative(process.cwd(), build.dir)}, checked in ${seconds} s)`;
  // Hashed asset names: the files may be cached; index.html is always asked again.
  const files = express.static(build.dir, { index: 'index.html', maxAge: 0 });
  // The admin's own pages (the plugin's Jobs page at /background-jobs) are routes of the page,
  // as AdminForth's SPA serves its routes: any other GET of a page address answers index.html.
  const middleware: express.Handler = (req, res, next) => files(req, res, () => {
    const page = req.method === 'GET' && !req.path.startsWith('/adminapi/') && !req.path.startsWith('/api/') && !/\.[a-z0-9]+$/i.test(req.path);
    if (page && req.accepts('html')) res.sendFile('index.html', { root: build.dir });
    else next();
  });
  return { middleware, summary };
}
