/** `ticklake shell`: an interactive DuckDB session over the lake views (cli/shell/repl.ts); works piped too. */
import type { Command } from './command.js';
import { loadLocalCatalog, openLocalLakeSession } from './lake-session.js';

export const command: Command = {
  name: 'shell',
  summary: 'Interactive SQL shell over the lake (views loaded, .help for commands); also reads piped SQL',
  async run(config) {
    const { Shell } = await import('./shell/repl.js');
    const { homedir } = await import('node:os');
    const session = await openLocalLakeSession(config);
    const conn = await session.connect();
    try {
      const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
      const shell = new Shell(
        session,
        conn,
        await loadLocalCatalog(config, 'report'),
        await loadLocalCatalog(config, 'check'),
        {
          input: process.stdin,
          output: process.stdout,
          error: process.stderr,
          interactive,
          historyFile: config.str('historyFile').replace(/^~(?=\/)/, homedir()),
        },
      );
      return await shell.run();
    } finally {
      conn.closeSync();
      session.close();
    }
  },
};
