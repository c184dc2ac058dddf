// Makes docs/report.png: the page of the demo's last night, in headless Chromium.
//
//     npm run demo && node dist/test/report/make-screenshot.js demo-run docs/report.png
//
// It writes that night's report.html beside its JSON reports (as the batch's outbox
// will), then takes a full-page screenshot. Not a test: the page is tested in
// report-html.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { parseParticipants } from '../../src/core/config';
import { openStore } from '../../src/store/db';
import { writeDayReportHtml } from '../../src/store/day-report-data';

async function main(): Promise<void> {
  const [demoDir = 'demo-run', out = path.join('docs', 'report.png')] = process.argv.slice(2);
  const parsed = parseParticipants(JSON.parse(fs.readFileSync(path.join(demoDir, 'participants.json'), 'utf8')));
  if (!parsed.ok) throw new Error(`${demoDir}/participants.json: ${parsed.path}: ${parsed.message}`);
  const db = openStore(path.join(demoDir, 'lct.db'), { readonly: true });
  let page: string;
  try {
    const D = db.prepare("SELECT MAX(date) FROM days WHERE status = 'CLOSED'").pluck().get() as string | null;
    if (D === null) throw new Error(`${demoDir}/lct.db: no closed day (run npm run demo first)`);
    const dir = path.join(demoDir, 'outbox', D, 'reports', D);
    const read = (name: string) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    page = writeDayReportHtml(db, parsed.value, D, read('summary.json'), read('reconciliation.json'), read('exceptions.json'), dir);
  } finally {
    db.close();
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 800, height: 1000 },
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  });
  try {
    const tab = await context.newPage();
    await tab.goto(pathToFileURL(path.resolve(page)).href, { waitUntil: 'load' });
    await tab.screenshot({ path: out, fullPage: true });
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(`${page} -> ${out}`);
}

main().catch((err: unknown) => {
  console.error(`make-screenshot: ${(err as Error).message}`);
  process.exitCode = 1;
});
