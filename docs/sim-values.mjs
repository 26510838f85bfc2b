#!/usr/bin/env node
// mdBook preprocessor of the cachesim book: replaces the book's placeholders
// with numbers from the simulator's own runs, so the prose cannot drift from
// the model. scripts/docs.sh makes those runs (docs/runs.txt) into
// $CACHESIM_SIM_DIR (default target/docs-sim/): NAME.json (the summary of
// `cachesim run --format json`), NAME.csv (the per-second series) and
// NAME.scenario.json (`cachesim scenario`).
//
// Placeholders (anywhere in a chapter's Markdown):
//
//   {{sim:RUN.PATH}}                a number of RUN's JSON summary by dotted
//                                   path, e.g. {{sim:steady.latency_ms.hit.p99}}
//   {{sim:RUN.scenario.PATH}}       a scenario parameter, e.g. {{sim:steady.scenario.cache.ttl_s}}
//   {{sim:RUN@T.COLUMN}}            COLUMN of the per-second CSV at second T
//   {{sim:RUN@A..B:AGG.COLUMN}}     AGG (mean, max, min, sum) of COLUMN over
//                                   the seconds A <= t_s <= B; first0 / first1:
//                                   the first such second where COLUMN is 0 / > 0
//   ... |FORMAT                     after any of them: int (rounded, 1,234),
//                                   pct (0.853 -> 85.3%), pct0 (85%), f0, f1,
//                                   f2, f3 (decimals), x1 (5.1x), k (10.1K)
//   {{sim:A / B|FORMAT}}            arithmetic: operands are references or
//                                   numbers, operators + - * / applied left
//                                   to right (no precedence)
//   {{sim-embed:RUN|TITLE}}         the live simulator in an iframe, running
//                                   RUN's scenario (?embed&preset=NAME when
//                                   RUN is a plain preset, else ?embed&s=...)
//   {{sim-runs}}                    a table of every run and its command
//
// Anything that does not resolve (an unknown run, key, column, second,
// aggregate or format; a value that is not a number) fails the whole build
// with every problem listed: a renamed key cannot silently print nothing.
//
// mdBook runs it as `node docs/sim-values.mjs supports html` (exit 0: yes),
// then with [context, book] as JSON on stdin, expecting the book on stdout.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');

if (process.argv[2] === 'supports') process.exit(0);

/** Splits a runs.txt line into its name and arguments. */
export function readRuns(file = path.join(HERE, 'runs.txt')) {
  const runs = [];
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [name, ...args] = line.split(/\s+/);
    runs.push({ name, args });
  }
  return runs;
}

function parseCsv(text) {
  const lines = text.trim().split('\n');
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((l) => {
    const cells = l.split(',');
    const row = {};
    header.forEach((h, i) => { row[h] = Number(cells[i]); });
    return row;
  });
  return { header, rows };
}

/** Everything the runs produced, by run name. */
export function loadData(dir) {
  const data = new Map();
  const problems = [];
  for (const run of readRuns()) {
    const base = path.join(dir, run.name);
    try {
      data.set(run.name, {
        args: run.args,
        summary: JSON.parse(fs.readFileSync(`${base}.json`, 'utf8')),
        scenario: JSON.parse(fs.readFileSync(`${base}.scenario.json`, 'utf8')),
        series: parseCsv(fs.readFileSync(`${base}.csv`, 'utf8')),
      });
    } catch (e) {
      problems.push(`run ${run.name}: ${e.message} (run ./scripts/docs.sh, which makes ${dir})`);
    }
  }
  return { data, problems };
}

const thousands = (n) => Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');

const FORMATS = {
  int: (v) => thousands(v),
  pct: (v) => `${(v * 100).toFixed(1)}%`,
  pct0: (v) => `${(v * 100).toFixed(0)}%`,
  f0: (v) => v.toFixed(0),
  f1: (v) => v.toFixed(1),
  f2: (v) => v.toFixed(2),
  f3: (v) => v.toFixed(3),
  x1: (v) => `${v.toFixed(1)}x`,
  k: (v) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}K` : v.toFixed(0)),
};

function defaultFormat(v) {
  if (Number.isInteger(v)) return thousands(v);
  return Math.abs(v) >= 100 ? thousands(v) : v.toFixed(2);
}

const AGGS = {
  mean: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
  max: (xs) => Math.max(...xs),
  min: (xs) => Math.min(...xs),
  sum: (xs) => xs.reduce((a, b) => a + b, 0),
};
// aggregates that need the rows (not only the column's values)
const ROW_AGGS = {
  // the first second of the window in which COLUMN is 0 (e.g. errors stopped)
  first0: (rows, key) => rows.find((r) => r[key] === 0)?.t_s,
  // the first second of the window in which COLUMN is above 0 (e.g. errors began)
  first1: (rows, key) => rows.find((r) => r[key] > 0)?.t_s,
};

/** One reference (RUN.PATH, RUN@T.COL, RUN@A..B:AGG.COL) or a literal number. */
function resolveRef(ref, data) {
  if (/^-?\d+(\.\d+)?$/.test(ref)) return Number(ref);
  const m = /^([a-z0-9-]+)(?:@(\d+(?:\.\.\d+)?)(?::([a-z0-9]+))?)?\.([A-Za-z0-9_.]+)$/.exec(ref);
  if (!m) throw new Error(`"${ref}" is not RUN.PATH, RUN@T.COLUMN or RUN@A..B:AGG.COLUMN`);
  const [, runName, window, agg, key] = m;
  const run = data.get(runName);
  if (!run) throw new Error(`unknown run "${runName}" (runs: ${[...data.keys()].join(', ')}; see docs/runs.txt)`);
  if (window === undefined) {
    if (agg) throw new Error(`"${ref}": an aggregate needs a window, RUN@A..B:${agg}.COLUMN`);
    let obj = run.summary;
    let parts = key.split('.');
    if (parts[0] === 'scenario') {
      obj = run.scenario;
      parts = parts.slice(1);
    }
    let where = '';
    for (const p of parts) {
      if (obj === null || typeof obj !== 'object' || !(p in obj)) {
        const keys = obj && typeof obj === 'object' ? Object.keys(obj).join(', ') : '(not an object)';
        throw new Error(`run ${runName} has no key "${key}": no "${p}" after "${where || '(top)'}" (keys there: ${keys})`);
      }
      obj = obj[p];
      where = where ? `${where}.${p}` : p;
    }
    if (typeof obj !== 'number') throw new Error(`run ${runName}: "${key}" is ${JSON.stringify(obj)}, not a number`);
    return obj;
  }
  const { header, rows } = run.series;
  if (!header.includes(key)) throw new Error(`run ${runName}'s per-second series has no column "${key}" (columns: ${header.join(', ')})`);
  const [a, b] = window.split('..').map(Number);
  const to = b === undefined ? a : b;
  if (b !== undefined && !agg) throw new Error(`"${ref}": a window A..B needs an aggregate (mean, max, min, sum, first0, first1)`);
  const names = [...Object.keys(AGGS), ...Object.keys(ROW_AGGS)].join(', ');
  if (agg && !AGGS[agg] && !ROW_AGGS[agg]) throw new Error(`"${ref}": unknown aggregate "${agg}" (${names})`);
  const inWindow = rows.filter((r) => r.t_s >= a && r.t_s <= to);
  if (ROW_AGGS[agg]) {
    const t = ROW_AGGS[agg](inWindow, key);
    if (t === undefined) throw new Error(`"${ref}": no second in ${window} where ${agg} holds for "${key}"`);
    return t;
  }
  const xs = inWindow.map((r) => r[key]);
  if (xs.length === 0 || xs.some((x) => !Number.isFinite(x))) {
    throw new Error(`run ${runName} has no second ${window} with a number in "${key}" (it has t_s ${rows[0]?.t_s}..${rows.at(-1)?.t_s})`);
  }
  return agg ? AGGS[agg](xs) : xs[0];
}

/** The body of {{sim:...}}: an expression, then an optional |FORMAT. */
export function evaluate(body, data) {
  const [expr, fmt, ...rest] = body.split('|').map((s) => s.trim());
  if (rest.length) throw new Error(`"${body}": at most one |FORMAT`);
  const tokens = expr.split(/\s+/).filter(Boolean);
  if (tokens.length % 2 === 0) throw new Error(`"${expr}": an expression is VALUE [OP VALUE]...`);
  let v = resolveRef(tokens[0], data);
  for (let i = 1; i < tokens.length; i += 2) {
    const op = tokens[i];
    const w = resolveRef(tokens[i + 1], data);
    if (op === '+') v += w;
    else if (op === '-') v -= w;
    else if (op === '*') v *= w;
    else if (op === '/') {
      if (w === 0) throw new Error(`"${expr}": division by zero`);
      v /= w;
    } else throw new Error(`"${expr}": unknown operator "${op}" (+ - * /)`);
  }
  if (fmt === undefined || fmt === '') return defaultFormat(v);
  if (!FORMATS[fmt]) throw new Error(`"${body}": unknown format "${fmt}" (${Object.keys(FORMATS).join(', ')})`);
  return FORMATS[fmt](v);
}

const base64url = (s) => Buffer.from(s, 'utf8').toString('base64url');
const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The iframe of {{sim-embed:RUN|TITLE}}; `depth` is the chapter's folder depth. */
export function embed(body, data, depth = 0) {
  const [runName, title] = body.split('|').map((s) => s.trim());
  const run = data.get(runName);
  if (!run) throw new Error(`sim-embed: unknown run "${runName}" (see docs/runs.txt)`);
  if (!title) throw new Error(`sim-embed:${runName}: needs a title, {{sim-embed:RUN|TITLE}}`);
  const plain = run.args.length === 2 && run.args[0] === '--preset';
  const name = run.scenario.name;
  const query = plain ? `?embed&preset=${encodeURIComponent(run.args[1])}` : `?embed&s=${base64url(JSON.stringify(run.scenario))}&preset=${encodeURIComponent(name)}`;
  const src = `${'../'.repeat(depth)}app/${query}`;
  return [
    `<figure class="sim-embed" data-run="${escapeHtml(runName)}">`,
    `<iframe src="${escapeHtml(src)}" width="820" height="560" loading="lazy" title="${escapeHtml(`cachesim: ${title}`)}"></iframe>`,
    `<figcaption>${escapeHtml(title)} — the live simulator running <code>${escapeHtml(run.args.join(' '))}</code>. ` +
      `<a href="${escapeHtml(src.replace('?embed&', '?'))}" target="_blank" rel="noopener">Open it full size</a>.</figcaption>`,
    `</figure>`,
  ].join('\n');
}

function runsTable(data) {
  const rows = ['| run | command | simulated seconds |', '|---|---|---|'];
  for (const [name, run] of data) {
    // as a shell would need it typed
    const quoted = run.args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`));
    const cmd = `cachesim run ${quoted.join(' ')}`.replace(/\|/g, '\\|');
    rows.push(`| \`${name}\` | \`${cmd}\` | ${run.summary.seconds} |`);
  }
  return rows.join('\n');
}

const PLACEHOLDER = /\{\{(sim|sim-embed|sim-runs)(?::([^}]*))?\}\}/g;

/** Replaces every placeholder of one chapter; problems are pushed to `problems`. */
export function substitute(content, data, where, problems, depth = 0) {
  const out = content.replace(PLACEHOLDER, (whole, kind, body) => {
    try {
      if (kind === 'sim-runs') return runsTable(data);
      if (body === undefined) throw new Error(`${whole} needs a body: {{${kind}:...}}`);
      return kind === 'sim' ? evaluate(body, data) : embed(body, data, depth);
    } catch (e) {
      problems.push(`${where}: ${whole}: ${e.message}`);
      return whole;
    }
  });
  // a placeholder that does not match the pattern (a typo in its kind, a
  // missing brace) would otherwise print as text
  const left = out.match(/\{\{\s*sim[^}]*\}?\}?/g);
  if (left) for (const l of left) if (!problems.some((p) => p.includes(l))) problems.push(`${where}: malformed placeholder ${l}`);
  return out;
}

function visit(items, fn) {
  for (const item of items) {
    const ch = item && item.Chapter;
    if (ch) {
      fn(ch);
      visit(ch.sub_items || [], fn);
    }
  }
}

function main() {
  const input = fs.readFileSync(0, 'utf8');
  const [, book] = JSON.parse(input);
  const dir = path.resolve(ROOT, process.env.CACHESIM_SIM_DIR || 'target/docs-sim');
  const { data, problems } = loadData(dir);
  if (problems.length === 0) {
    visit(book.sections || book.items || [], (ch) => {
      const where = ch.source_path || ch.path || ch.name;
      const depth = ch.path ? ch.path.split('/').length - 1 : 0;
      ch.content = substitute(ch.content, data, where, problems, depth);
    });
  }
  if (problems.length) {
    process.stderr.write(`sim-values: ${problems.length} placeholder(s) did not resolve:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write(JSON.stringify(book));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
