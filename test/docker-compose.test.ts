/**
 * docker-compose.yml, checked without a Docker engine: `docker-compose config` must accept it, and the resolved
 * file (read back as data through Debian's python3-yaml, the YAML library docker-compose itself uses) must keep
 * the services a deployment relies on, with the settings the docs promise.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../core/config.js';
import { DEBIAN_PYTHON, requireTool } from './helpers/tools.js';

const compose = requireTool('docker-compose');
const ROOT = new URL('..', import.meta.url).pathname;

interface Service {
  image?: string;
  build?: { context: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  ports?: { published: number; target: number }[];
}

function resolved(): { services: Record<string, Service>; volumes: Record<string, unknown> } {
  const yml = execFileSync(compose!, ['-f', 'docker-compose.yml', 'config'], { cwd: ROOT, encoding: 'utf8' });
  const json = execFileSync(
    DEBIAN_PYTHON,
    ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'],
    {
      input: yml,
      encoding: 'utf8',
    },
  );
  return JSON.parse(json);
}

describe.skipIf(!compose)('docker-compose.yml', () => {
  it('is valid for docker-compose config and keeps Kafka (KRaft), MySQL 8.4 and the ticklake services', () => {
    const { services, volumes } = resolved();
    expect(Object.keys(services).sort()).toEqual(
      [
        'api',
        'grafana',
        'bank',
        'cdc',
        'kafka',
        'kafka-init',
        'mysql',
        'processor',
        'valuations',
        'tables',
        'producer-crx',
        'producer-se1',
        'producer-se2',
        'prometheus',
      ].sort(),
    );
    expect(services.kafka.image).toMatch(/^apache\/kafka:/);
    expect(services.kafka.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(services.mysql.image).toBe('mysql:8.4');
    // ticks gets 3 partitions before anything produces
    expect(services['kafka-init'].command?.join(' ')).toMatch(/--create --if-not-exists --topic \$\$t --partitions/);
    expect(services['kafka-init'].environment?.TICKS_PARTITIONS).toBe(3);
    expect(Object.keys(volumes).sort()).toEqual([
      'cdc',
      'exchanges',
      'grafana-data',
      'kafka-data',
      'lake',
      'mysql-data',
      'prometheus-data',
      'state',
    ]);
    // the binlog change data capture needs (docs/cdc.md)
    for (const flag of [
      '--binlog-format=ROW',
      '--binlog-row-image=FULL',
      '--binlog-row-metadata=FULL',
      '--log-bin=mysql-bin',
    ]) {
      expect(services.mysql.command, flag).toContain(flag);
    }
    expect(services.cdc.command).toEqual(['cdc']);
    for (const name of [
      'kafka',
      'mysql',
      'producer-se1',
      'producer-se2',
      'producer-crx',
      'cdc',
      'processor',
      'api',
      'prometheus',
      'grafana',
    ]) {
      expect(services[name].healthcheck?.test.length, `${name} healthcheck`).toBeGreaterThan(0);
    }
  });

  it('runs one live producer per exchange of the universe, two processor replicas, and the API over the shared lake', () => {
    const { services } = resolved();
    const universe = JSON.parse(readFileSync(new URL('../producers/universe.json', import.meta.url), 'utf8')) as {
      exchanges: { id: string }[];
    };
    const producers = Object.entries(services).filter(([n]) => n.startsWith('producer-'));
    expect(producers.map(([, s]) => s.environment?.TICKLAKE_EXCHANGE).sort()).toEqual(
      universe.exchanges.map((x) => x.id).sort(),
    );
    for (const [, s] of producers) {
      expect(s.build?.context).toBe(ROOT.replace(/\/$/, ''));
      expect(s.command).toEqual(['produce', '--live']);
      expect(s.environment?.TICKLAKE_BROKERS).toBe('kafka:9092');
      expect(s.depends_on?.['kafka-init'].condition).toBe('service_completed_successfully');
    }
    const proc = services.processor;
    // two tick-engine replicas in one group (docs/scaling.md), each with its own state directory (its hostname)
    // (`config` prints compose's escaped `$$`: the container's shell sees `$HOSTNAME`)
    expect(proc.entrypoint).toEqual(['sh', '-c', 'exec node cli/bin.js process --state-dir /data/state/$$HOSTNAME']);
    expect(proc.deploy?.replicas).toBe(2);
    expect(proc.environment).toMatchObject({
      TICKLAKE_SCALE_OUT: 'true',
      TICKLAKE_PUBLISH_CLOSES: 'true',
      TICKLAKE_SOURCES: 'ticks',
    });
    expect(proc.environment?.TICKLAKE_STATE_DIR).toBeUndefined();
    // the valuation stage once, over the closes the replicas publish, in the same group name
    expect(services.valuations.command).toEqual(['process', '--stage', 'valuations']);
    expect(services.valuations.environment?.TICKLAKE_GROUP).toBe(proc.environment?.TICKLAKE_GROUP);
    // the keyed-table engine once, for every declared source but ticks (read from sql/sources here)
    const declared = readdirSync(new URL('../sql/sources/', import.meta.url))
      .filter((f) => f.endsWith('.sql'))
      .map((f) => f.replace(/\.sql$/, ''))
      .filter((n) => n !== 'ticks')
      .sort();
    expect(String(services.tables.environment?.TICKLAKE_SOURCES).split(',').sort()).toEqual(declared);
    expect(services.tables.command).toEqual(['process']);
    const stateDirs = ['valuations', 'tables'].map((n) => services[n].environment?.TICKLAKE_STATE_DIR);
    expect(new Set(stateDirs).size).toBe(2);
    expect(proc.environment?.TICKLAKE_MYSQL_URL).toMatch(/^mysql:\/\/\w+:\w+@mysql:3306\/ticklake$/);
    expect(proc.volumes).toEqual(expect.arrayContaining(['lake:/data/lake:rw', 'state:/data/state:rw']));
    expect(proc.depends_on?.mysql.condition).toBe('service_healthy');
    const api = services.api;
    expect(api.command).toEqual(['serve']);
    // the API runs the scheduler, which writes results and run records to the lake (docs/scheduler.md)
    expect(api.volumes).toEqual(['lake:/data/lake:rw']);
    expect(api.environment?.TICKLAKE_MYSQL_URL).toBe(proc.environment?.TICKLAKE_MYSQL_URL);
    expect(api.environment?.TICKLAKE_API_HOST).toBe('0.0.0.0');
    expect(api.ports).toEqual([{ published: 8080, target: 8080 }]);
  });

  it('configures ticklake only through settings declared in core/config.ts (the README table)', () => {
    const { services } = resolved();
    const declared = new Set(SETTINGS.map((s) => s.env));
    const used = new Set<string>();
    for (const s of Object.values(services)) {
      for (const k of Object.keys(s.environment ?? {})) if (k.startsWith('TICKLAKE_')) used.add(k);
    }
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((k) => !declared.has(k))).toEqual([]);
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const k of used) expect(readme, k).toContain(`\`${k}\``);
  });

  it('provisions Prometheus (scraping the API and the processor, with the alert rules) and Grafana (the dashboard)', () => {
    const { services } = resolved();
    const prom = services.prometheus;
    expect(prom.image).toMatch(/^prom\/prometheus:/);
    expect(prom.volumes).toEqual(expect.arrayContaining([`${ROOT}deploy/prometheus:/etc/prometheus:ro`]));
    const promYml = readFileSync(new URL('../deploy/prometheus/prometheus.yml', import.meta.url), 'utf8');
    expect(promYml).toContain("targets: ['api:8080']");
    expect(promYml).toContain(`targets: ['processor:${services.processor.environment?.TICKLAKE_METRICS_PORT}']`);
    expect(promYml).toContain('/etc/prometheus/alerts.yml');
    const graf = services.grafana;
    expect(graf.image).toMatch(/^grafana\/grafana:/);
    expect(graf.volumes).toEqual(
      expect.arrayContaining([
        `${ROOT}deploy/grafana/provisioning:/etc/grafana/provisioning:ro`,
        `${ROOT}deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro`,
      ]),
    );
    expect(graf.depends_on?.prometheus.condition).toBe('service_healthy');
  });
});
