import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  type: string;
}

/** The dashboard's own files (ui/ at the package's root, beside src/ and dist/), by their URL path. */
const OWN_FILES: Record<string, [file: string, type: string]> = {
  '/assets/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/assets/style.css': ['style.css', 'text/css; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
};

/** The packages the page imports, served from node_modules: nothing is loaded from anywhere else. */
const VENDOR_MODULES: Record<string, [specifier: string, type: string]> = {
  '/vendor/preact.mjs': ['preact', 'text/javascript; charset=utf-8'],
  '/vendor/preact-hooks.mjs': ['preact/hooks', 'text/javascript; charset=utf-8'],
  '/vendor/htm.mjs': ['htm', 'text/javascript; charset=utf-8'],
};

/** uPlot's ES module and stylesheet sit beside the CommonJS entry its package names. */
const UPLOT_FILES: Record<string, [file: string, type: string]> = {
  '/vendor/uplot.mjs': ['uPlot.esm.js', 'text/javascript; charset=utf-8'],
  '/vendor/uplot.css': ['uPlot.min.css', 'text/css; charset=utf-8'],
};

/**
 * Every file the dashboard serves, read once at start (about 150 KB): the page, its script and style, and the
 * vendored modules. The preact and htm imports resolve through the page's import map to these paths.
 */
export async function loadUiAssets(): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  const uiDir = new URL('../../ui/', import.meta.url);
  for (const [path, [file, type]] of Object.entries(OWN_FILES)) {
    assets.set(path, { body: await readFile(new URL(file, uiDir)), type });
  }
  for (const [path, [specifier, type]] of Object.entries(VENDOR_MODULES)) {
    assets.set(path, { body: await readFile(fileURLToPath(import.meta.resolve(specifier))), type });
  }
  const uplotDir = new URL('./', import.meta.resolve('uplot'));
  for (const [path, [file, type]] of Object.entries(UPLOT_FILES)) {
    assets.set(path, { body: await readFile(new URL(file, uplotDir)), type });
  }
  return assets;
}
