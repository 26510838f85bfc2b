#!/usr/bin/env node
// A tiny static file server for the built docs site (dist-docs/), with the
// right MIME types (application/wasm included). No dependencies.
//
// Usage: node scripts/static-server.mjs DIR [PORT] [ADDRESS]   (defaults 8080, 127.0.0.1)

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const [dirArg, portArg = '8080', address = '127.0.0.1'] = process.argv.slice(2);
if (!dirArg) {
  process.stderr.write('usage: node scripts/static-server.mjs DIR [PORT] [ADDRESS]\n');
  process.exit(2);
}
const root = path.resolve(dirArg);
const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8', '.woff': 'font/woff',
  '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.eot': 'application/vnd.ms-fontobject', '.otf': 'font/otf',
};

const server = http.createServer((req, res) => {
  let rel;
  try {
    rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  } catch {
    res.writeHead(400).end('bad path');
    return;
  }
  let file = path.resolve(root, '.' + rel);
  if (file !== root && !file.startsWith(root + path.sep)) {
    res.writeHead(403).end('forbidden');
    return;
  }
  try {
    if (fs.statSync(file).isDirectory()) {
      if (!rel.endsWith('/')) {
        res.writeHead(301, { location: rel + '/' + (req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '') }).end();
        return;
      }
      file = path.join(file, 'index.html');
    }
  } catch {
    // not found below
  }
  fs.readFile(file, (err, body) => {
    if (err) {
      const notFound = path.join(root, '404.html');
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(fs.existsSync(notFound) ? fs.readFileSync(notFound) : 'not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[path.extname(file).toLowerCase()] || 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
});
server.listen(Number(portArg), address, () => {
  process.stdout.write(`serving ${root} at http://${address}:${portArg}/ (Ctrl-C stops)\n`);
});
