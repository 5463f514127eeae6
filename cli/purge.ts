/**
 * `ticklake purge TABLE KEY...`: an erasure request. Every row of the given keys of a declared keyed table is
 * removed from the lake's files (lake/changelog-purge.ts) and from the keyed-table engine's state (its copy of the
 * change log and the undelivered outbox), so the data physically disappears. The key must be deleted first (a
 * tombstone or a Debezium delete through the source): a live row is refused. The processor must be stopped (its
 * state database is then free); running the same purge again finishes an interrupted one.
 */
import type { Command } from './command.js';

export const command: Command = {
  name: 'purge',
  summary: 'Erase deleted keys of a keyed table from the lake and the state: every old image and the delete marker',
  usage: '[options] <table> <key> [<key>...]',
  description:
    'A key is a JSON object of the key columns ({"client_id":"C7"}), or the bare value for a one-column key.\n' +
    'The key must already be deleted through the source; stop the processor first. See docs/tables.md, "Erasure".',
  async run(config) {
    const { join } = await import('node:path');
    const { tlError } = await import('../core/errors.js');
    const { loadTableCatalog } = await import('../processors/tables/catalog.js');
    const { openTablesState, rel } = await import('../processors/tables/state.js');
    const { purgeKeys } = await import('../lake/changelog-purge.js');
    const { sqlIdent } = await import('../lake/sql-quote.js');
    const [table, ...rawKeys] = config.positional;
    if (!table || rawKeys.length === 0) {
      throw tlError('TL_CONFIG_MISSING', { setting: '<table> <key>' });
    }
    const catalog = await loadTableCatalog(config.list('sqlDir'));
    const decl = catalog.byName.get(table);
    if (!decl || decl.key.length === 0) {
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: '<table>',
        value: JSON.stringify(table),
        reason: decl ? 'a stream has no key to purge by' : 'no source or job of that name (sql/sources, sql/jobs)',
      });
    }
    const keys = rawKeys.map((raw) => {
      let k: unknown;
      try {
        k = JSON.parse(raw);
      } catch {
        k = raw;
      }
      const obj = k !== null && typeof k === 'object' ? (k as Record<string, unknown>) : { [decl.key[0]]: k };
      const missing = decl.key.filter((c) => obj[c] === undefined || obj[c] === null);
      if (missing.length > 0 || (typeof k !== 'object' && decl.key.length > 1)) {
        throw tlError('TL_CONFIG_BAD_VALUE', {
          setting: '<key>',
          value: JSON.stringify(raw),
          reason: `name every key column: ${decl.key.join(', ')}`,
        });
      }
      return Object.fromEntries(decl.key.map((c) => [c, String(obj[c])]));
    });
    let state: Awaited<ReturnType<typeof openTablesState>>;
    try {
      state = await openTablesState(config.str('stateDir'));
    } catch (e) {
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: '--state-dir',
        value: config.str('stateDir'),
        reason: `cannot open the keyed-table state (is a processor running? stop it first): ${(e as Error).message.split('\n')[0]}`,
      });
    }
    const conn = state.conn;
    const typeOf = (c: string) => decl.columns.find((x) => x.name === c)?.type ?? 'VARCHAR';
    const where = (i: number) =>
      decl.key.map((c, j) => `${sqlIdent(c)} = CAST($k${i}_${j} AS ${typeOf(c)})`).join(' AND ');
    const params = (i: number) => Object.fromEntries(decl.key.map((c, j) => [`k${i}_${j}`, keys[i][c]]));
    try {
      for (let i = 0; i < keys.length; i++) {
        const live = await conn.runAndReadAll(`SELECT count(*) FROM ${rel('cur', table)} WHERE ${where(i)}`, params(i));
        if (Number(live.getRowsJS()[0][0]) > 0) {
          throw tlError('TL_CONFIG_BAD_VALUE', {
            setting: '<key>',
            value: rawKeys[i],
            reason: `${table} still holds this key: delete it through its source first (a tombstone), then purge`,
          });
        }
      }
      const lake = await purgeKeys(conn, config.str('lakeDir'), decl, keys);
      let stateRows = 0;
      for (let i = 0; i < keys.length; i++) {
        for (const schema of ['log', 'ob'] as const) {
          const exists = await conn.runAndReadAll(
            `SELECT count(*) FROM duckdb_tables() WHERE schema_name = '${schema}' AND table_name = $t`,
            { t: table },
          );
          if (Number(exists.getRowsJS()[0][0]) === 0) continue;
          const r = await conn.run(`DELETE FROM ${rel(schema, table)} WHERE ${where(i)}`, params(i));
          stateRows += Number(r.rowsChanged);
        }
      }
      await conn.run('CHECKPOINT');
      process.stdout.write(
        `purged ${keys.length} key(s) of ${table}: ${lake.rows} row(s) from ${lake.files.length} lake file(s), ` +
          `${stateRows} from the state (${join(config.str('stateDir'))})\n`,
      );
      return 0;
    } finally {
      conn.closeSync();
      state.instance.closeSync();
    }
  },
};
