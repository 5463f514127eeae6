import { describe, expect, it } from 'vitest';
import { bindParams, loadStreamFiles, parseStreamFile } from '../stream-sql.js';

const header = (extra = '') => `-- title: T\n-- stage: ticks\n-- output: anomalies\n${extra}`;

describe('stream SQL files', () => {
  it('loads the shipped files with their stages and parameters', () => {
    const files = loadStreamFiles().map((f) => [f.file.split('/').pop(), f.stage, f.output, f.params]);
    expect(files).toEqual([
      ['bars.sql', 'close', 'bars', []],
      ['price-anomalies.sql', 'ticks', 'anomalies', ['critical_threshold', 'spike_threshold']],
      ['valuations.sql', 'valuation', 'valuations', []],
      ['volume-spikes.sql', 'bars', 'anomalies', ['volume_spike_factor']],
    ]);
  });

  it('names the file and line of a bad header', () => {
    expect(() => parseStreamFile('x.sql', '-- title: T\n-- stage: hourly\n-- output: bars\nselect 1')).toThrow(
      /x\.sql:2: unknown stage "hourly"/,
    );
    expect(() => parseStreamFile('x.sql', '-- title: T\n-- stage: close\n-- output: anomalies\nselect 1')).toThrow(
      /x\.sql:3: stage close writes bars/,
    );
    expect(() => parseStreamFile('x.sql', '-- title: T\n-- output: bars\nselect 1')).toThrow(
      /missing header "-- stage/,
    );
    expect(() => parseStreamFile('x.sql', header())).toThrow(/no statement/);
  });

  it('binds only the parameters a file uses, and refuses unknown ones', () => {
    const f = parseStreamFile('x.sql', header('select $spike_threshold as a, $spike_threshold as b'));
    expect(bindParams(f, { spike_threshold: 0.03, critical_threshold: 0.08 })).toEqual({ spike_threshold: 0.03 });
    const g = parseStreamFile('y.sql', header('select $nope'));
    expect(() => bindParams(g, { spike_threshold: 0.03 })).toThrow(/y\.sql.*\$nope is not offered/);
  });
});
