/**
 * An Avro record schema as DuckDB column definitions: what a keyed-table source (`sql/sources/*.sql`) can use
 * instead of writing its columns out when its topic's values are registered in the schema registry.
 *
 *   avroRecordColumns(schemaText)            → [{ name, type, nullable }], one per field, in field order
 *   subjectColumns({ brokers, subject })     → the same for a subject's latest (or given) version, read from the
 *                                              `_schemas` topic (no registry server needed)
 *   columnDefinitions(columns)               → `"name" TYPE NOT NULL, ...` for a `create table`
 *
 * Types (docs/registry.md, "Avro to DuckDB"):
 *   boolean BOOLEAN · int INTEGER · long BIGINT · float FLOAT · double DOUBLE · string VARCHAR · bytes, fixed BLOB
 *   enum VARCHAR · array T[] · map MAP(VARCHAR, T) · record STRUCT("f" T, ...)
 *   ["null", T] (either order) → T, nullable · any other union → UNION("int" INTEGER, "string" VARCHAR, ...)
 *   logical types: date DATE · time-millis/micros TIME · timestamp-millis/micros and local-timestamp-* TIMESTAMP ·
 *   decimal(p, s) DECIMAL(p, s) (p ≤ 38, else DOUBLE) · uuid UUID
 * A field is nullable when its type is null or a union with null. The type says what a value means; converting
 * the wire value (a timestamp-millis is a long of epoch milliseconds) is the reader's job.
 */
import { tlError } from '../core/errors.js';
import { logger } from '../core/log.js';
import { sqlIdent } from '../lake/sql-quote.js';
import { parseAvroSchema } from './avro-schema.js';
import { SchemaStore } from './store.js';

export interface DuckdbColumn {
  /** The Avro field name (a valid identifier; quote it in SQL, e.g. with `columnDefinitions`). */
  name: string;
  /** DuckDB type, e.g. `BIGINT`, `VARCHAR[]`, `STRUCT("a" INTEGER)`. */
  type: string;
  nullable: boolean;
}

type AvroNode = string | AvroNode[] | { type: AvroNode; [k: string]: unknown };

const PRIMITIVES: Record<string, string> = {
  boolean: 'BOOLEAN',
  int: 'INTEGER',
  long: 'BIGINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  string: 'VARCHAR',
  bytes: 'BLOB',
};

/** Marks a record whose fields are being walked: a reference to it from inside is a recursive type. */
const RECURSIVE = '\u0000recursive';

/** Columns of an Avro record schema (text or parsed JSON); anything but a record is a TL_REGISTRY_BAD_SCHEMA. */
export function avroRecordColumns(schema: string | object, what = 'the schema'): DuckdbColumn[] {
  const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
  let root: AvroNode;
  try {
    parseAvroSchema(text); // valid Avro, or the reason it is not
    root = (typeof schema === 'string' ? JSON.parse(text) : schema) as AvroNode;
  } catch (e) {
    throw tlError('TL_REGISTRY_BAD_SCHEMA', { what, reason: (e as Error).message });
  }
  if (typeof root !== 'object' || Array.isArray(root) || root.type !== 'record')
    throw tlError('TL_REGISTRY_BAD_SCHEMA', { what, reason: 'it is not an Avro record, so it has no columns' });
  const walk = new Walk();
  walk.define(root, '', RECURSIVE);
  const ns = walk.namespaceOf(root, '');
  const columns = (root.fields as { name: string; type: AvroNode }[]).map((f) => {
    const { type, nullable } = walk.column(f.type, ns);
    return { name: f.name, type, nullable };
  });
  return columns;
}

/** `"name" TYPE [NOT NULL], ...` for a `create table`. */
export function columnDefinitions(columns: readonly DuckdbColumn[]): string {
  return columns.map((c) => `${sqlIdent(c.name)} ${c.type}${c.nullable ? '' : ' NOT NULL'}`).join(', ');
}

/** The columns of a subject's version (default: the latest live one), read from the `_schemas` topic. */
export async function subjectColumns(opts: {
  brokers: string[];
  subject: string;
  version?: number;
  topic?: string;
}): Promise<DuckdbColumn[]> {
  const store = new SchemaStore({ brokers: opts.brokers, topic: opts.topic, log: logger('registry') });
  try {
    await store.catchUp();
    const versions = store.state.versions(opts.subject);
    const v = opts.version === undefined ? versions.at(-1) : versions.find((x) => x.version === opts.version);
    const what = `subject ${opts.subject}${opts.version === undefined ? '' : ` version ${opts.version}`}`;
    if (!v) throw tlError('TL_REGISTRY_BAD_SCHEMA', { what, reason: 'not found in the schema registry' });
    return avroRecordColumns(v.schema, what);
  } finally {
    await store.close();
  }
}

/** Walks the schema's JSON in order, remembering each named type's DuckDB type for later references by name. */
class Walk {
  private readonly named = new Map<string, string>();

  /** The namespace a named node sets for what it encloses. */
  namespaceOf(node: { [k: string]: unknown }, enclosing: string): string {
    const name = String(node.name ?? '');
    if (name.includes('.')) return name.slice(0, name.lastIndexOf('.'));
    return typeof node.namespace === 'string' ? node.namespace : enclosing;
  }

  private fullName(node: { [k: string]: unknown }, enclosing: string): string {
    const name = String(node.name ?? '');
    if (name.includes('.')) return name;
    const ns = this.namespaceOf(node, enclosing);
    return ns ? `${ns}.${name}` : name;
  }

  define(node: { [k: string]: unknown }, enclosing: string, type: string): void {
    this.named.set(this.fullName(node, enclosing), type);
  }

  column(node: AvroNode, ns: string): { type: string; nullable: boolean } {
    if (Array.isArray(node)) {
      const branches = node.filter((b) => b !== 'null');
      const nullable = branches.length < node.length;
      if (branches.length === 1) return { type: this.type(branches[0], ns), nullable };
      if (branches.length === 0) return { type: 'INTEGER', nullable: true };
      const members = branches.map((b) => `${sqlIdent(branchName(b))} ${this.type(b, ns)}`);
      return { type: `UNION(${members.join(', ')})`, nullable };
    }
    if (node === 'null') return { type: 'INTEGER', nullable: true };
    return { type: this.type(node, ns), nullable: false };
  }

  private type(node: AvroNode, ns: string): string {
    if (typeof node === 'string') {
      const p = PRIMITIVES[node];
      if (p) return p;
      const n = this.named.get(node.includes('.') ? node : ns ? `${ns}.${node}` : node) ?? this.named.get(node);
      if (n === RECURSIVE)
        throw tlError('TL_REGISTRY_BAD_SCHEMA', {
          what: 'the schema',
          reason: `${node} refers to itself; DuckDB types cannot`,
        });
      if (n) return n;
      throw tlError('TL_REGISTRY_BAD_SCHEMA', { what: 'the schema', reason: `unknown type ${node}` });
    }
    if (Array.isArray(node)) return this.column(node, ns).type;
    const logical = logicalType(node);
    if (logical) return logical;
    switch (node.type) {
      case 'record': {
        this.define(node, ns, RECURSIVE);
        const inner = this.namespaceOf(node, ns);
        const fields = (node.fields as { name: string; type: AvroNode }[]).map(
          (f) => `${sqlIdent(f.name)} ${this.column(f.type, inner).type}`,
        );
        const out = `STRUCT(${fields.join(', ')})`;
        this.define(node, ns, out);
        return out;
      }
      case 'enum':
      case 'fixed': {
        const out = node.type === 'enum' ? 'VARCHAR' : 'BLOB';
        this.define(node, ns, out);
        return out;
      }
      case 'array':
        return `${this.type(node.items as AvroNode, ns)}[]`;
      case 'map':
        return `MAP(VARCHAR, ${this.type(node.values as AvroNode, ns)})`;
      default:
        return this.type(node.type, ns);
    }
  }
}

function branchName(b: AvroNode): string {
  if (typeof b === 'string') return b.split('.').pop() ?? b;
  if (Array.isArray(b)) return 'union';
  return typeof b.name === 'string' ? (b.name.split('.').pop() ?? b.name) : String(b.type);
}

function logicalType(node: { type: AvroNode; [k: string]: unknown }): string | undefined {
  switch (node.logicalType) {
    case 'date':
      return node.type === 'int' ? 'DATE' : undefined;
    case 'time-millis':
    case 'time-micros':
      return 'TIME';
    case 'timestamp-millis':
    case 'timestamp-micros':
    case 'local-timestamp-millis':
    case 'local-timestamp-micros':
      return node.type === 'long' ? 'TIMESTAMP' : undefined;
    case 'decimal': {
      const p = Number(node.precision);
      const s = Number(node.scale ?? 0);
      return Number.isInteger(p) && p >= 1 && p <= 38 && Number.isInteger(s) && s >= 0 && s <= p
        ? `DECIMAL(${p}, ${s})`
        : 'DOUBLE';
    }
    case 'uuid':
      return node.type === 'string' ? 'UUID' : undefined;
    default:
      return undefined;
  }
}
