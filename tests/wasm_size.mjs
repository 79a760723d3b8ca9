// wasm_size.mjs — where the bytes of hub.wasm come from (used by tests/wasm_size.sh).
//
// usage: node tests/wasm_size.mjs PROFILED.wasm SYMBOLS.tsv DATA.tsv [SHIPPED.wasm]
//   PROFILED.wasm  the module linked and optimised exactly as shipped, but with its function
//                  names kept (emcc --profiling-funcs, wasm-opt -g)
//   SYMBOLS.tsv    "name<TAB>group" lines: every function defined by each input object and
//                  archive member, with the origin it belongs to (from llvm-nm; see the .sh)
//   DATA.tsv       "group<TAB>bytes" lines: initialised data of each origin's object files
//   SHIPPED.wasm   the module as shipped, to check that the profiled one has the same code
//
// Prints one table: per origin, the code bytes (the function bodies of the code section),
// their share, the group's bodies gzip -9'd on their own, and that figure scaled so the
// groups add up to the module's gzipped size (an estimate: gzip finds repeats across groups
// too). The data section is split by origin in proportion to the initialised data of the
// origins' object files (the link drops unused and merges equal strings, so an estimate);
// every other section is one row. Functions whose name
// several origins define (static helpers with the same name) are counted in a row of their
// own. Exit status 1 when a file cannot be read or is not a wasm module.
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const [profiled, symbols, datafile, shipped] = process.argv.slice(2);
if (!profiled || !symbols || !datafile) {
  console.error('usage: node tests/wasm_size.mjs PROFILED.wasm SYMBOLS.tsv DATA.tsv [SHIPPED.wasm]');
  process.exit(1);
}

// The same tools as a server's build step: gzip -9 and brotli -q 11 (Debian's gzip, brotli).
const gz = (b) => execFileSync('gzip', ['-9', '-n', '-c'], { input: b, maxBuffer: 1 << 26 }).length;
const br = (b) => execFileSync('brotli', ['-q', '11', '-c'], { input: b, maxBuffer: 1 << 26 }).length;

// A wasm reader: LEB128 numbers and the sections of the module.
function reader(buf, pos) {
  const r = {
    pos,
    u32() {
      let v = 0, shift = 0, b;
      do { b = buf[r.pos++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
      return v;
    },
    name() { const n = r.u32(); const s = buf.toString('utf8', r.pos, r.pos + n); r.pos += n; return s; },
  };
  return r;
}

function sections(buf) {
  if (buf.length < 8 || buf.readUInt32LE(0) !== 0x6d736100) throw new Error('not a wasm module');
  const out = [];
  const r = reader(buf, 8);
  while (r.pos < buf.length) {
    const id = buf[r.pos++];
    const size = r.u32();
    const start = r.pos;
    let name = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start',
      'element', 'code', 'data', 'datacount'][id] || `id ${id}`;
    if (id === 0) name = 'custom:' + reader(buf, start).name();
    out.push({ id, name, start, end: start + size, headerStart: start - 1 - lebLen(size) });
    r.pos = start + size;
  }
  return out;
}
function lebLen(v) { let n = 1; while (v >= 0x80) { v = Math.floor(v / 128); n++; } return n; }

// Imported functions come first in the function index space.
function importedFunctions(buf, sec) {
  if (!sec) return 0;
  const r = reader(buf, sec.start);
  let n = 0;
  for (let i = r.u32(); i > 0; i--) {
    r.name(); r.name();
    const kind = buf[r.pos++];
    if (kind === 0) { r.u32(); n++; }
    else if (kind === 1) { r.pos++; const f = r.u32(); r.u32(); if (f & 1) r.u32(); }
    else if (kind === 2) { const f = r.u32(); r.u32(); if (f & 1) r.u32(); }
    else if (kind === 3) { r.pos += 2; }
  }
  return n;
}

function functionNames(buf, sec) {
  const names = new Map();
  if (!sec) return names;
  const r = reader(buf, sec.start);
  r.name();
  while (r.pos < sec.end) {
    const sub = buf[r.pos++];
    const size = r.u32();
    const end = r.pos + size;
    if (sub === 1) for (let i = r.u32(); i > 0; i--) { const idx = r.u32(); names.set(idx, r.name()); }
    r.pos = end;
  }
  return names;
}

function bodies(buf, sec) {
  const r = reader(buf, sec.start);
  const out = [];
  for (let i = r.u32(); i > 0; i--) {
    const size = r.u32();
    out.push(buf.subarray(r.pos, r.pos + size));
    r.pos += size;
  }
  return out;
}

const mod = readFileSync(profiled);
const secs = sections(mod);
const byName = (n) => secs.find((s) => s.name === n);
const nimp = importedFunctions(mod, byName('import'));
const names = functionNames(mod, byName('custom:name'));
const code = byName('code');
const fbodies = bodies(mod, code);

// name -> set of groups
const owner = new Map();
for (const line of readFileSync(symbols, 'utf8').split('\n')) {
  const [name, group] = line.split('\t');
  if (!name || !group) continue;
  if (!owner.has(name)) owner.set(name, new Set());
  owner.get(name).add(group);
}

function groupOf(name) {
  if (name === undefined) return 'runtime (unnamed)';
  let n = name;
  let g = owner.get(n);
  // wasm-ld and binaryen add suffixes to clones and stubs (legalstub$f, f.1)
  if (!g) { n = n.replace(/^(legalstub|legalfunc|orig)\$/, '').replace(/\.\d+$/, ''); g = owner.get(n); }
  if (!g) return 'runtime (emscripten glue, JS imports)';
  if (g.size === 1) return [...g][0];
  return 'same name in several origins';
}

const groups = new Map();
fbodies.forEach((b, i) => {
  const g = groupOf(names.get(nimp + i));
  if (!groups.has(g)) groups.set(g, { bytes: 0, parts: [], n: 0 });
  const e = groups.get(g);
  e.bytes += b.length; e.parts.push(b); e.n++;
});
// WASM_SIZE_FUNCS=FILE: also write every function as "bytes<TAB>origin<TAB>name", largest first.
if (process.env.WASM_SIZE_FUNCS) {
  const all = fbodies.map((b, i) => [b.length, groupOf(names.get(nimp + i)), names.get(nimp + i)]);
  all.sort((a, b) => b[0] - a[0]);
  writeFileSync(process.env.WASM_SIZE_FUNCS, all.map((r) => r.join('\t')).join('\n') + '\n');
}

const total = mod.length;
const rows = [...groups.entries()].map(([g, e]) => ({ g, n: e.n, bytes: e.bytes, gz: gz(Buffer.concat(e.parts)) }));
const data = byName('data');
const dataBytes = data ? data.end - data.headerStart : 0;
const codeBytes = code.end - code.headerStart;
const named = byName('custom:name');
const nameBytes = named ? named.end - named.headerStart : 0;
const otherBytes = total - codeBytes - dataBytes - nameBytes - 8;
const dataGz = data ? gz(mod.subarray(data.start, data.end)) : 0;
const otherParts = secs.filter((s) => !['code', 'data', 'custom:name'].includes(s.name))
  .map((s) => mod.subarray(s.headerStart, s.end));
const otherGz = gz(Buffer.concat(otherParts));
// The shipped module has no name section: its gzipped size without it is what the groups share.
const noNames = Buffer.concat([mod.subarray(0, 8),
  ...secs.filter((s) => s.name !== 'custom:name').map((s) => mod.subarray(s.headerStart, s.end))]);
const moduleGz = gz(noNames);
const alone = rows.reduce((a, r) => a + r.gz, 0) + dataGz + otherGz;
const scale = moduleGz / alone;

rows.sort((a, b) => b.bytes - a.bytes);
const objData = new Map();
for (const line of readFileSync(datafile, 'utf8').split('\n')) {
  const [g, n] = line.split('\t');
  if (g && n) objData.set(g, (objData.get(g) || 0) + Number(n));
}
const objTotal = [...objData.values()].reduce((a, b) => a + b, 0) || 1;
const pad = (s, n) => String(s).padStart(n);
const padr = (s, n) => String(s).padEnd(n);
const pct = (a, b) => (100 * a / b).toFixed(1) + '%';
const body = total - nameBytes;
const line = (g, n, bytes, alone, est) =>
  console.log(`| ${padr(g, 52)} | ${pad(n, 9)} | ${pad(bytes, 10)} | ${pad(pct(bytes, body), 6)} | ${pad(alone, 13)} | ${pad(est, 12)} |`);
console.log(`| ${padr("origin", 52)} | functions | bytes      | share  | gzip -9 alone | gzip -9 est. |`);
console.log(`|${'-'.repeat(54)}|-----------|------------|--------|---------------|--------------|`);
for (const r of rows) line('code: ' + r.g, r.n, r.bytes, r.gz, Math.round(r.gz * scale));
for (const [g, n] of [...objData.entries()].sort((a, b) => b[1] - a[1])) {
  const part = n / objTotal;
  if (Math.round(dataBytes * part) >= 1000) line('data: ' + g, '', Math.round(dataBytes * part), '', Math.round(dataGz * scale * part));
}
const small = [...objData.values()].filter((n) => Math.round(dataBytes * n / objTotal) < 1000).reduce((a, b) => a + b, 0);
line('data: the rest (< 1000 bytes each)', '', Math.round(dataBytes * small / objTotal), '', Math.round(dataGz * scale * small / objTotal));
line('data section, all (gzip -9 alone)', '', dataBytes, dataGz, Math.round(dataGz * scale));
line('other sections (types, imports, exports)', '', otherBytes + 8, otherGz, Math.round(otherGz * scale));
line('the module (as shipped: no names)', fbodies.length, body, alone, moduleGz);
const sums = new Map();
for (const r of rows) {
  const k = r.g.startsWith('core:') ? 'core (src/)' : r.g.startsWith('libc') || r.g.startsWith('soft') ? 'libc + soft-float' : r.g.replace(/ \(.*/, '');
  sums.set(k, (sums.get(k) || 0) + r.gz * scale);
}
for (const [g, n] of objData) {
  const k = g.startsWith('core:') ? 'core (src/)' : g.replace(/ \(.*/, '');
  sums.set(k, (sums.get(k) || 0) + dataGz * scale * n / objTotal);
}
console.log('gzip -9 estimate by origin, code + data: ' + [...sums.entries()].sort((a, b) => b[1] - a[1])
  .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} KB (${pct(v, moduleGz)})`).join(', '));
if (shipped) {
  const s = readFileSync(shipped);
  const sc = sections(s).find((x) => x.name === 'code');
  const same = sc.end - sc.headerStart === codeBytes;
  console.log(`shipped module: ${s.length} bytes raw, ${gz(s)} gzip -9, ${br(s)} brotli -q 11; ` +
    `code section ${same ? 'identical in size to' : 'DIFFERENT in size from'} the profiled one (${sc.end - sc.headerStart} vs ${codeBytes})`);
}
