import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium where installed; otherwise the binary the npm package @sparticuz/chromium ships. */
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

// headless as root on a machine with no network: no sandbox, no background connections
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** Which Chromium the tests and benchmarks drive: never one downloaded at run time. */
export async function chromiumPath(): Promise<string> {
  if (existsSync(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  // unpacks its bundled binary into the OS temp folder on first use
  const { default: packaged } = await import('@sparticuz/chromium');
  return packaged.executablePath();
}

/** Launches headless Chromium with playwright-core. */
export async function launchChromium(): Promise<Browser> {
  // the packaged binary takes its locale from LANG: C.UTF-8 becomes "en-US@posix", which
  // Intl refuses (the page's date formatting then throws)
  const env = { ...process.env, LANG: 'en_US.UTF-8', LC_ALL: 'en_US.UTF-8' };
  return chromium.launch({ executablePath: await chromiumPath(), args: FLAGS, env });
}
