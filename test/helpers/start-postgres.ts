import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { killOwned, spawnOwned } from './spawn-owned.ts';

/** A throwaway PostgreSQL server on 127.0.0.1, started by a test and gone with it. */
export interface PostgresHandle {
  /** `postgres://bp@127.0.0.1:PORT/postgres` (trust authentication: no password). */
  url: string;
  /** A URL of a fresh database on this server (created empty), for a test that wants its own. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown) and removes its folder. */
  stop(): Promise<void>;
}

/** The server's binaries: Debian's `postgresql` package puts them under /usr/lib/postgresql/<major>/bin. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const major = majors[0];
  if (major === undefined) {
    throw new Error('PostgreSQL is not installed here: apt-get install -y postgresql (.ci/run does it)');
  }
  return join(root, major, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The `postgres` user's ids when this process is root: PostgreSQL refuses to run as root. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * Starts a PostgreSQL server in a temp folder: `initdb` (trust, user `bp`), then the server itself as a child this
 * test process owns (killed with it, whatever ends it: see spawn-owned.ts), listening on a free port of 127.0.0.1 and
 * its socket in its own folder. Resolves once a connection succeeds (within 60 s).
 */
export interface StartPostgresOptions {
  /**
   * One more address to listen on, besides 127.0.0.1, trusted from its /24 (a worker in a network namespace reaches
   * the server through a veth pair).
   */
  alsoListenOn?: string;
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresHandle> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'batchpilot-pg-'));
  const user = postgresUser();
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  execFileSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'bp', '-E', 'UTF8'], {
    stdio: 'ignore',
    ...user,
  });
  if (options.alsoListenOn !== undefined) {
    const subnet = `${options.alsoListenOn.split('.').slice(0, 3).join('.')}.0/24`;
    appendFileSync(join(data, 'pg_hba.conf'), `host all all ${subnet} trust\n`);
  }
  const port = await freePort();
  const server = spawnOwned(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-c',
      `listen_addresses=${['127.0.0.1', ...(options.alsoListenOn === undefined ? [] : [options.alsoListenOn])].join(',')}`,
      '-p',
      String(port),
      '-k',
      dir,
      // A test server: durability is not what is tested here, speed is welcome.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], ...user },
  );
  let log = '';
  server.stderr?.setEncoding('utf8');
  server.stderr?.on('data', (chunk: string) => {
    log = (log + chunk).slice(-4000);
  });
  const url = `postgres://bp@127.0.0.1:${String(port)}/postgres`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (server.exitCode !== null || Date.now() > deadline) {
        killOwned(server);
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`PostgreSQL did not start on port ${String(port)}\n${log}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replaceAll('"', '')}"`);
      } finally {
        await client.end();
      }
      return url.replace(/\/postgres$/, `/${name}`);
    },
    async stop() {
      if (server.exitCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        // SIGINT: the server's fast shutdown (backends rolled back, then it exits).
        server.kill('SIGINT');
        const timer = setTimeout(() => killOwned(server), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
