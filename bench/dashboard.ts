/**
 * Dashboard benchmark (issue #13): berth's real dashboard server (bench/dashboard/server.ts: the
 * real HTTP server, FileStore and live view, 10,000 Deployments in 500 namespaces) opened in
 * headless Chromium (Debian's /usr/bin/chromium, playwright-core), measured in the page:
 *
 *  - first paint (the page's first-contentful-paint entry);
 *  - time to interactive: from navigation until the namespace cards are on the page (the first
 *    live-view event rendered) — then the page answers input;
 *  - filtering: from typing a namespace name into the filter until one card is left;
 *  - the server's added RSS for the UI and its event streams: VmRSS of the server process with
 *    10 pages open (each holding its live view) minus before any page.
 *
 * The peer, in the same run and the same browser: a static HTML page listing the same 500
 * namespaces with their Deployments, served by node's http (no script, nothing to fetch): the
 * floor of first paint for that much content on this machine. Goals: first paint < 1 s, added
 * RSS ≤ 20 MB at 10 pages. Markdown to stdout, progress to stderr; exit 0 even when a goal is
 * missed (MISSED is printed), 1 when the benchmark itself failed.
 *
 *   node --import tsx bench/dashboard.ts [--deployments 10000] [--namespaces 500] [--runs 5]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { Cleanups, isInterrupted, runBenchmark } from './cleanup.js';
import { quantile } from './reconcile/stats.js';

const GOALS = { firstPaintMs: 1_000, addedRssBytes: 20 * 1024 * 1024 } as const;
const CHROMIUM = '/usr/bin/chromium';
const PAGES = 10;

const { values } = parseArgs({
  options: { deployments: { type: 'string', default: '10000' }, namespaces: { type: 'string', default: '500' }, runs: { type: 'string', default: '5' } },
});
const deployments = Number(values.deployments);
const namespaces = Number(values.namespaces);
const runs = Number(values.runs);
const progress = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const cleanups = new Cleanups(progress);

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

async function startDashboardServer(stateDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'dashboard', 'server.ts'), stateDir, String(deployments), String(namespaces)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  cleanups.push(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`the dashboard server exited (${code})`)));
  });
  return { url, child };
}

/** A static page with the same content: 500 namespaces and their Deployments, no script. */
function staticPage(): string {
  const perNs = Math.ceil(deployments / namespaces);
  const cards = Array.from({ length: namespaces }, (_, n) => {
    const apps = Array.from({ length: perNs }, (_, i) => `<li>app-${String(i).padStart(3, '0')} Complete 1/1</li>`).join('');
    return `<a class="card" href="#"><h3>ns-${String(n).padStart(4, '0')}</h3><p>Synced · Healthy</p><ul>${apps}</ul></a>`;
  }).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>static</title></head><body><main>${cards}</main></body></html>`;
}

async function firstPaint(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const found = performance.getEntriesByName('first-contentful-paint')[0];
        if (found) return resolve(found.startTime);
        new PerformanceObserver((list) => {
          const e = list.getEntriesByName('first-contentful-paint')[0];
          if (e) resolve(e.startTime);
        }).observe({ type: 'paint', buffered: true });
      }),
  );
}

async function main(): Promise<number> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'berth-bench-dashboard-'));
  cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
  progress(`filling a store with ${deployments} Deployments in ${namespaces} namespaces`);
  const { url, child } = await startDashboardServer(stateDir);
  const peer: Server = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(staticPage()));
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => peer.close(() => r())));
  const peerUrl = `http://127.0.0.1:${(peer.address() as { port: number }).port}/`;
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  cleanups.push(() => browser.close());

  // The server as berth runs it, before any page: one status read warms the store's reads.
  await (await fetch(`${url}/api/v1/status`)).text();
  const rssBefore = await rssOf(child.pid!);

  const paint: number[] = [];
  const interactive: number[] = [];
  const filtering: number[] = [];
  const peerPaint: number[] = [];
  for (let run = 0; run < runs && !isInterrupted(); run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(url);
    await page.locator('[data-testid=ns-card]').first().waitFor({ timeout: 30_000 });
    interactive.push(await page.evaluate(() => performance.now()));
    paint.push(await firstPaint(page));
    const target = `ns-${String(Math.floor(namespaces / 2)).padStart(4, '0')}`;
    const started = await page.evaluate(() => performance.now());
    await page.getByLabel('Filter').fill(target);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=ns-card]').length === 1, undefined, { timeout: 30_000 });
    filtering.push((await page.evaluate(() => performance.now())) - started);
    await context.close();

    const peerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const peerPage = await peerContext.newPage();
    await peerPage.goto(peerUrl);
    peerPaint.push(await firstPaint(peerPage));
    await peerContext.close();
    progress(
      `run ${run + 1}/${runs}: first paint ${paint.at(-1)!.toFixed(0)} ms, interactive ${interactive.at(-1)!.toFixed(0)} ms (static page: ${peerPaint.at(-1)!.toFixed(0)} ms)`,
    );
  }

  // Ten pages open at once, each holding its live view (one watcher serves them all). One
  // browser context each, as ten people's browsers: a context keeps at most 6 connections to a
  // host, and each page holds one for its event stream.
  const contexts = await Promise.all(Array.from({ length: PAGES }, () => browser.newContext()));
  const pages: Page[] = [];
  for (const context of contexts) {
    const p = await context.newPage();
    await p.goto(url);
    await p.locator('[data-testid=ns-card]').first().waitFor({ timeout: 30_000 });
    pages.push(p);
  }
  // Let each page's stream settle past a refresh or two of the watcher (1 s), then read the peak of a few samples.
  let rssOpen = 0;
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 1_000));
    rssOpen = Math.max(rssOpen, await rssOf(child.pid!));
  }
  await Promise.all(contexts.map((c) => c.close()));
  const added = rssOpen - rssBefore;

  const med = (xs: number[]) => quantile(xs, 0.5);
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const mb = (x: number) => `${(x / 1024 / 1024).toFixed(1)} MB`;
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const out = [
    `## Dashboard at ${deployments.toLocaleString('en')} Deployments in ${namespaces} namespaces (${runs} runs, medians)`,
    '',
    '| goal | berth dashboard | static HTML page of the same content (floor) | verdict |',
    '|---|---|---|---|',
    `| first paint < 1 s | ${ms(med(paint))} | ${ms(med(peerPaint))} | ${verdict(med(paint) < GOALS.firstPaintMs)} |`,
    `| time to interactive (cards on the page) | ${ms(med(interactive))} | — | |`,
    `| filter to one namespace | ${ms(med(filtering))} | — | |`,
    `| server RSS added with ${PAGES} open pages ≤ 20 MB | ${mb(added)} (${mb(rssBefore)} → ${mb(rssOpen)}) | — | ${verdict(added <= GOALS.addedRssBytes)} |`,
    '',
    `raw: first paint ${paint.map((x) => x.toFixed(0)).join(', ')} ms; interactive ${interactive.map((x) => x.toFixed(0)).join(', ')} ms; filter ${filtering.map((x) => x.toFixed(0)).join(', ')} ms; static first paint ${peerPaint.map((x) => x.toFixed(0)).join(', ')} ms`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

runBenchmark({ main, cleanups, progress });
