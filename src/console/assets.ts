import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The console's front end, built from src/console/client by esbuild when the
 * server starts (once per process, ~1 s): preact + htm and the same zod
 * correction schemas the API validates with, bundled into one script. Nothing
 * is fetched from elsewhere at run time and no bundle is committed.
 */

const CLIENT_DIR = path.join(import.meta.dirname, 'client');

export interface ConsoleAssets {
  html: string;
  js: string;
  css: string;
  etag: string;
}

/** How browser code is bundled: one minified ES module, in memory (also for scripts/bench-page-images.ts). */
export const BROWSER_BUNDLE = {
  bundle: true,
  write: false,
  minify: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  legalComments: 'none',
  logLevel: 'silent',
} as const;

let built: Promise<ConsoleAssets> | undefined;

export function consoleAssets(): Promise<ConsoleAssets> {
  built ??= buildAssets().catch((error: unknown) => {
    built = undefined;
    throw error;
  });
  return built;
}

async function buildAssets(): Promise<ConsoleAssets> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({ entryPoints: [path.join(CLIENT_DIR, 'main.ts')], ...BROWSER_BUNDLE });
  const js = result.outputFiles[0]!.text;
  const css = await readFile(path.join(CLIENT_DIR, 'console.css'), 'utf8');
  const html = await readFile(path.join(CLIENT_DIR, 'index.html'), 'utf8');
  const etag = `"${createHash('sha256').update(js).update(css).digest('hex').slice(0, 16)}"`;
  return { html, js, css, etag };
}
