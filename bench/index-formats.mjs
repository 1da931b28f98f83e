// How the results index is stored, measured: the listing of the compare data set (100,000
// results, bench/generate.mjs) written and read back as one JSON document of objects (the ls
// cache before the index), JSON lines, V8's serializer over objects and over columns (the
// index's format), and SQLite through better-sqlite3 when REPRO_BENCH_SQLITE names a folder
// where it is installed (`npm install better-sqlite3@12` there: it is no dependency of repro's).

import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { generate } from './generate.mjs';
import { benchEnv, CLI } from './lib.mjs';

function time(f, rounds = 3) {
  const ms = [];
  let out;
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    out = f();
    ms.push(performance.now() - t);
  }
  return { ms: ms.sort((a, b) => a - b)[Math.floor(rounds / 2)], out };
}

export async function benchIndexFormats() {
  const data = generate();
  const runs = JSON.parse(
    execFileSync(process.execPath, [CLI, 'ls', '--json', '--no-stale'], {
      cwd: data,
      env: benchEnv(),
      maxBuffer: 2 ** 30,
      encoding: 'utf8',
    }),
  );
  const dir = join(tmpdir(), `repro-index-formats-${process.pid}`);
  const file = (n) => `${dir}-${n}`;
  const rows = [];
  const add = (format, write, read, size, note = '') =>
    rows.push([
      format,
      `${write.toFixed(0)} ms`,
      `${read.toFixed(0)} ms`,
      `${(size / 2 ** 20).toFixed(1)} MiB`,
      note,
    ]);

  const json = JSON.stringify(runs);
  const w1 = time(() => writeFileSync(file('json'), JSON.stringify(runs)));
  add(
    'one JSON document of objects',
    w1.ms,
    time(() => JSON.parse(readFileSync(file('json'), 'utf8'))).ms,
    json.length,
  );
  const lines = runs.map((r) => JSON.stringify(r)).join('\n');
  const w2 = time(() => writeFileSync(file('jsonl'), runs.map((r) => JSON.stringify(r)).join('\n')));
  add(
    'JSON lines',
    w2.ms,
    time(() =>
      readFileSync(file('jsonl'), 'utf8')
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).ms,
    lines.length,
  );
  const w3 = time(() => writeFileSync(file('v8'), v8.serialize(runs)));
  add(
    'V8 serializer, objects',
    w3.ms,
    time(() => v8.deserialize(readFileSync(file('v8')))).ms,
    readFileSync(file('v8')).length,
  );
  // columns: what the index does (one array per field, numbers in typed arrays, texts joined)
  const keys = Object.keys(runs[0]);
  const columns = () => {
    const c = {};
    for (const k of keys) {
      const values = runs.map((r) => r[k]);
      c[k] = values.every((v) => typeof v === 'number')
        ? Float64Array.from(values)
        : values.every((v) => typeof v === 'string')
          ? values.join('\0')
          : JSON.stringify(values);
    }
    return c;
  };
  const w4 = time(() => writeFileSync(file('cols'), v8.serialize(columns())));
  const r4 = time(() => {
    const c = v8.deserialize(readFileSync(file('cols')));
    for (const k of keys) if (typeof c[k] === 'string' && !c[k].startsWith('[')) c[k] = c[k].split('\0');
    return c;
  });
  add(
    'V8 serializer, columns (config and metrics columns as JSON text)',
    w4.ms,
    r4.ms,
    readFileSync(file('cols')).length,
  );
  const where = process.env.REPRO_BENCH_SQLITE;
  if (where) {
    const Database = createRequire(join(where, 'x.js'))('better-sqlite3');
    rmSync(file('db'), { force: true });
    const db = new Database(file('db'));
    db.pragma('journal_mode = WAL');
    db.exec('create table r (name text primary key, status text, started text, acc real, summary text)');
    const insert = db.prepare('insert into r values (?, ?, ?, ?, ?)');
    const w5 = time(() => {
      db.exec('delete from r');
      db.transaction(() => {
        for (const r of runs)
          insert.run(
            r.name,
            r.status,
            r.started_at,
            typeof r.metrics.acc?.last === 'number' ? r.metrics.acc.last : null,
            JSON.stringify(r),
          );
      })();
    });
    const all = time(() =>
      db
        .prepare('select summary from r')
        .raw()
        .all()
        .map(([s]) => JSON.parse(s)),
    );
    const top = time(() => db.prepare('select summary from r order by acc desc limit 20').raw().all());
    add(
      'SQLite (better-sqlite3 12): every row',
      w5.ms,
      all.ms,
      readFileSync(file('db')).length,
      `sorted by a column, 20 rows: ${top.ms.toFixed(0)} ms`,
    );
    db.close();
  } else
    rows.push([
      'SQLite',
      'skipped: set REPRO_BENCH_SQLITE to a folder with better-sqlite3 installed',
      '',
      '',
      '',
    ]);
  for (const n of ['json', 'jsonl', 'v8', 'cols', 'db', 'db-wal', 'db-shm']) rmSync(file(n), { force: true });
  return {
    title: `storing the results index (${runs.length.toLocaleString('en')} results)`,
    head: ['format', 'write', 'read back', 'size', ''],
    rows,
    note: 'Medians of 3; the listing as `repro ls --json` gives it, in the page cache.',
  };
}
