/**
 * The shape of one `ticklake` subcommand. Each file in `cli/` (other than main, bin, command, help)
 * exports `command`. Keep command files light: import heavy modules (DuckDB, Fastify, the broker)
 * inside `run`, so that `ticklake --help` stays fast.
 */
import type { Config } from '../core/config.js';

export interface Command {
  name: string;
  /** One line for `ticklake --help`. */
  summary: string;
  /** Usage line after `ticklake NAME`, e.g. `[options] <file>`. */
  usage?: string;
  /** Longer text for `ticklake NAME --help`, after the usage line. */
  description?: string;
  /** Hidden commands (internal helpers) do not appear in `ticklake --help`. */
  hidden?: boolean;
  /** Returns the process exit code. */
  run(config: Config): Promise<number>;
}
