// A throwaway PostgreSQL server for the benchmarks (as test/helpers/start-postgres.ts does for the tests), with
// fsync on: the figures should be what a real database costs, not a test server's.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { sleep } from './lib.mjs';

function postgresBin() {
  const root = '/usr/lib/postgresql';
  const major = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))[0]
    : undefined;
  if (major === undefined) throw new Error('PostgreSQL is not installed here: apt-get install -y postgresql');
  return join(root, major, 'bin');
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function query(url, text, values = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

export async function startPostgres() {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'batchpilot-bench-pg-'));
  const root = process.getuid?.() === 0;
  const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  const user = root ? { uid: id('-u'), gid: id('-g') } : {};
  if (root) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  execFileSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'bp', '-E', 'UTF8'], {
    stdio: 'ignore',
    ...user,
  });
  const port = await freePort();
  const server = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-c',
      'listen_addresses=127.0.0.1',
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'max_connections=200',
      // Statements per request are counted (docs/scale-out.md's projection is built on them).
      '-c',
      'shared_preload_libraries=pg_stat_statements',
      '-c',
      'pg_stat_statements.track=top',
    ],
    { stdio: 'ignore', ...user },
  );
  const url = `postgres://bp@127.0.0.1:${String(port)}/postgres`;
  for (let tries = 0; ; tries += 1) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (tries > 300) throw error;
      await sleep(100);
    }
  }
  await query(url, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  return {
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`CREATE DATABASE ${name}`);
      await client.end();
      return url.replace(/\/postgres$/, `/${name}`);
    },
    /** Statements run in database `name` (`pg_stat_statements`, cluster-wide, read by its oid) and transactions committed. */
    async statements(name) {
      const rows = await query(
        url,
        `SELECT COALESCE(SUM(s.calls), 0)::bigint AS calls, (SELECT xact_commit FROM pg_stat_database WHERE datname = $1) AS commits
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1`,
        [name],
      );
      return { calls: Number(rows[0].calls), commits: Number(rows[0].commits) };
    },
    /**
     * The answer rate of job `jobId` (database `name`) once it got going: the middle 80% of its answers over the time
     * between the 10th and the 90th percentile of their completion, leaving out start-up, reading and the end.
     */
    async steadyRate(name, jobId) {
      const rows = await query(
        url.replace(/\/postgres$/, `/${name}`),
        `SELECT percentile_disc(0.1) WITHIN GROUP (ORDER BY completed_at) AS t10,
                percentile_disc(0.9) WITHIN GROUP (ORDER BY completed_at) AS t90, count(*) AS n
         FROM items WHERE job_id = $1 AND completed_at IS NOT NULL`,
        [jobId],
      );
      const { t10, t90, n } = rows[0];
      return (0.8 * Number(n)) / ((Number(t90) - Number(t10)) / 1000);
    },
    async stop() {
      server.kill('SIGINT');
      await new Promise((resolve) => server.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
