#!/usr/bin/env node
/**
 * The first step of `npm test`: are the Debian packages the tests need (.ci/packages.txt) installed? Missing ones are
 * installed with apt-get when this can be done without asking (root, or password-less sudo), as .ci/run does;
 * otherwise it stops at once, naming each missing package, what uses it, and the one command that installs them.
 *
 * How it checks: `dpkg-query` when there is one (Debian, Ubuntu); elsewhere each package's probe in packages.txt (a
 * program on PATH or a python3 module). Exit 0 when everything is there, 1 when something is missing.
 * Plain Node, no dependencies: it runs before anything else of the test command, in well under a second.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LIST = new URL('./packages.txt', import.meta.url);

/** The package list: [{ name, probe, purpose }] in file order. */
export function readPackages(text = readFileSync(LIST, 'utf8')) {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [name, probe, ...purpose] = l.split(/\s+/);
      return { name, probe, purpose: purpose.join(' ') };
    });
}

/** The full path of a program on PATH, or undefined. */
function onPath(name, env) {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function run(cmd, args, env, opts = {}) {
  return spawnSync(cmd, args, { env, encoding: 'utf8', timeout: opts.timeout ?? 5000, stdio: opts.stdio });
}

/** Names of the packages not installed, by dpkg-query when present, else by probe. */
export function missingPackages(pkgs, env = process.env) {
  const dpkg = onPath('dpkg-query', env);
  if (dpkg) {
    // dpkg-query's own format fields, not a template
    const format = ['-f=$', '{Package} $', '{Status}\\n'].join('');
    // exit 1 only means "some not found"; a dpkg-query that did not run (or timed out on a loaded machine) is not
    // taken as "nothing installed": the probes decide then
    const r = run(dpkg, ['-W', format, ...pkgs.map((p) => p.name)], env, { timeout: 60_000 });
    if (!r.error && (r.status === 0 || r.status === 1)) return dpkgMissing(pkgs, r.stdout);
  }
  return probeMissing(pkgs, env);
}

/** Packages whose dpkg status line is not "install ok installed" (multi-arch names without their :arch). */
function dpkgMissing(pkgs, stdout) {
  const ok = new Set(
    (stdout ?? '')
      .split('\n')
      .filter((l) => l.endsWith(' install ok installed'))
      .map((l) => l.split(' ')[0].split(':')[0]),
  );
  return pkgs.filter((p) => !ok.has(p.name));
}

function probeMissing(pkgs, env) {
  const python = onPath('python3', env);
  return pkgs.filter((p) => {
    const [kind, what] = p.probe.split(':');
    if (kind === 'cmd') return !what.split('|').some((c) => onPath(c, env));
    if (kind === 'py') return !python || run(python, ['-c', `import ${what}`], env).status !== 0;
    return true; // no probe: cannot tell without dpkg-query
  });
}

/** How packages can be installed here without a password: ['apt-get'] as root, ['sudo','-n','apt-get'], or null. */
function installer(env) {
  const apt = onPath('apt-get', env);
  if (!apt) return null;
  if (process.getuid?.() === 0) return [apt];
  const sudo = onPath('sudo', env);
  if (sudo && run(sudo, ['-n', 'true'], env).status === 0) return [sudo, '-n', apt];
  return null;
}

export function main(env = process.env, out = process.stderr) {
  const pkgs = readPackages();
  let missing = missingPackages(pkgs, env);
  if (missing.length === 0) return 0;
  const names = missing.map((p) => p.name).join(' ');
  const how = installer(env);
  if (how) {
    out.write(`npm test: installing the Debian packages the tests need: ${names}\n`);
    const e = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
    const [cmd, ...pre] = how;
    const upd = run(cmd, [...pre, 'update', '-qq'], e, { timeout: 600_000, stdio: 'inherit' });
    const inst =
      upd.status === 0 &&
      run(cmd, [...pre, 'install', '-y', '-qq', ...missing.map((p) => p.name)], e, {
        timeout: 1_800_000,
        stdio: 'inherit',
      });
    if (inst && inst.status === 0) {
      missing = missingPackages(pkgs, env);
      if (missing.length === 0) return 0;
    }
  }
  const width = Math.max(...missing.map((p) => p.name.length));
  out.write(
    [
      `npm test: ${missing.length} Debian package(s) the tests need ${how ? 'could not be installed' : 'are missing'}:`,
      ...missing.map((p) => `  ${p.name.padEnd(width)}  ${p.purpose}`),
      'Install them with:',
      `  sudo apt-get install -y ${missing.map((p) => p.name).join(' ')}`,
      onPath('apt-get', env)
        ? 'then run `npm test` again (it installs them itself when run as root).'
        : 'This machine has no apt-get: install the equivalents, or run `npx vitest run` to skip the tests that need them.',
      'The list, with what uses each package: .ci/packages.txt',
      '',
    ].join('\n'),
  );
  return 1;
}

/** Run as a program (`node .ci/preflight.mjs`), also through a symlinked directory or a path with spaces. */
function isMain() {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) process.exitCode = main();
