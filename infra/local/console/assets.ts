// The console's two files: the HTML shell and its script. The script (client/*.ts: Preact components
// written with htm's tagged templates, so no JSX step) is bundled by esbuild on the first request and kept
// in memory: esbuild comes with tsx, which `npm start` already needs, so the console adds no build step
// and nothing to install beyond `npm ci`, and nothing is fetched from the internet (no CDN).
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('./client/main.ts', import.meta.url));

/** Same-origin only: the page loads its own script and styles, images from the edge, nothing else. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Local console</title>
<link rel="icon" href="data:,">
</head>
<body>
<div id="app">Loading the console…</div>
<script type="module" src="/_local/console/app.js"></script>
</body>
</html>
`;

let bundle: Promise<string> | undefined;

/** The client bundle (built once per process). */
export function clientBundle(): Promise<string> {
  bundle ??= (async () => {
    const esbuild = await import('esbuild');
    const out = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      target: 'es2022',
      minify: true,
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    return out.outputFiles[0]!.text;
  })();
  bundle.catch(() => {
    bundle = undefined;
  });
  return bundle;
}

export async function sendAsset(res: ServerResponse, name: 'index.html' | 'app.js'): Promise<void> {
  const text = name === 'index.html' ? HTML : await clientBundle();
  res.writeHead(200, {
    'content-type': name === 'index.html' ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-cache',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(text);
}
