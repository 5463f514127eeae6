/** Dispatches `ticklake <command>` to the command files of this folder. */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../core/config.js';
import { isTicklakeError, tlError } from '../core/errors.js';
import { resolveLogFormat, setLogFormat, setLogLevel } from '../core/log.js';
import type { Command } from './command.js';
import { commandHelp, mainHelp } from './help.js';

const NOT_COMMANDS = new Set(['main', 'bin', 'command', 'help', 'lake-session', 'compiled', 'threadpool']);

export async function loadCommands(): Promise<Command[]> {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  // `.ts` in the sources, `.js` in their compiled mirror (cli/compiled.js)
  const ext = extname(here);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(ext) && !NOT_COMMANDS.has(basename(f, ext)))
    .sort();
  const commands: Command[] = [];
  for (const f of files) {
    const mod = (await import(join(dir, f))) as { command?: Command };
    if (mod.command) commands.push(mod.command);
  }
  return commands.sort((a, b) => a.name.localeCompare(b.name));
}

/** `ticklake 0.1.0 (node v20.20.2)`: the version of package.json. */
export function versionLine(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return `ticklake ${pkg.version} (node ${process.version})`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || rest.includes('--version')) {
    process.stdout.write(`${versionLine()}\n`);
    return 0;
  }
  const commands = await loadCommands();
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${mainHelp(commands)}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const e = tlError('TL_CONFIG_UNKNOWN_COMMAND', { command: name });
    process.stderr.write(`ticklake: ${e.message} [${e.code}]\n\n${mainHelp(commands)}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return 0;
  }
  try {
    const config = parseCommandLine(command.name, rest);
    const resolved = resolveLogFormat(config.choice('logFormat'), process.stderr.isTTY === true);
    setLogFormat(resolved);
    // on a terminal the commands' own output is what a person reads: info-level logs only when asked for
    setLogLevel(resolved === 'text' && !config.isGiven('logLevel') ? 'warn' : config.str('logLevel'));
    return await command.run(config);
  } catch (e) {
    if (isTicklakeError(e)) {
      process.stderr.write(`ticklake ${name}: ${e.message} [${e.code}]\n`);
      return e.code.startsWith('TL_CONFIG_') ? 2 : 1;
    }
    process.stderr.write(`ticklake ${name}: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
