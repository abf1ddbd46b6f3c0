import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePoint } from './line-protocol.ts';
import type { SeriesPoint } from './series-store.ts';

const p = (
  fields: SeriesPoint['fields'],
  tags: SeriesPoint['tags'] = { device: 'd1' },
  measurement = 'pump',
) => ({
  measurement,
  tags,
  fields,
  ts: 1_700_000_000_123,
});

describe('encodePoint', () => {
  it('writes numbers as floats (never the i suffix), booleans and quoted strings', () => {
    expect(encodePoint(p({ a: 3, b: 3.5, c: -0, d: 1e21, e: true, f: false, g: 'x' }))).toBe(
      'pump,device=d1 a=3,b=3.5,c=0,d=1e+21,e=true,f=false,g="x" 1700000000123',
    );
  });

  it('escapes measurement, tag keys and values, field keys and string values', () => {
    const line = encodePoint(
      p(
        { 'flow m3,h=': 'say "hi" \\ now\nnext' },
        { 'zone name': 'east, gate=2', device: 'lift b1' },
        'my pump,x',
      ),
    );
    expect(line).toBe(
      'my\\ pump\\,x,device=lift\\ b1,zone\\ name=east\\,\\ gate\\=2 flow\\ m3\\,h\\=="say \\"hi\\" \\\\ now\nnext" 1700000000123',
    );
  });

  it('sorts tags, drops empty tag values and unwritable fields, rounds the timestamp', () => {
    const line = encodePoint({
      measurement: 'm',
      tags: { z: '1', a: '2', e: '' },
      fields: { n: NaN, v: 1 },
      ts: 10.6,
    });
    expect(line).toBe('m,a=2,z=1 v=1 11');
  });

  it('refuses what cannot be a line: no field, no time, no or a comment-like measurement', () => {
    expect(encodePoint(p({}))).toBeUndefined();
    expect(encodePoint(p({ v: Number.POSITIVE_INFINITY }))).toBeUndefined();
    expect(encodePoint({ ...p({ v: 1 }), ts: NaN })).toBeUndefined();
    expect(encodePoint(p({ v: 1 }, {}, ''))).toBeUndefined();
    expect(encodePoint(p({ v: 1 }, {}, '#pump'))).toBeUndefined();
  });

  it('replaces backslashes the 1.x parser would take as escapes, and line breaks in tags', () => {
    expect(encodePoint(p({ v: 1 }, { device: 'a\\', zone: 'x\\,y', note: 'l1\nl2', path: 'c\\d' }))).toBe(
      'pump,device=a/,note=l1\\ l2,path=c\\d,zone=x/\\,y v=1 1700000000123',
    );
  });

  it('property: InfluxDB reads back the tag key and value we meant (1.x parsing rules, verified on 1.6.7)', () => {
    // What influxd does with a series key: a backslash takes the next character with it, and only
    // "\ ", "\," and "\=" lose the backslash; an unescaped "," or "=" separates, a space ends it.
    const parseSeries = (line: string): string[] => {
      const parts: string[] = [];
      let current = '';
      for (let i = 0; i < line.length; i++) {
        const c = line[i]!;
        if (c === '\\' && i + 1 < line.length) {
          const next = line[++i]!;
          current += ' ,='.includes(next) ? next : c + next;
        } else if (c === ',' || c === '=') {
          parts.push(current);
          current = '';
        } else if (c === ' ') break;
        else current += c;
      }
      parts.push(current);
      return parts;
    };
    // The documented substitutions: line breaks become spaces, an escape-like backslash becomes "/".
    const meant = (s: string) => s.replace(/[\r\n]/g, ' ').replace(/\\(?=[,= ]|$)/g, '/');
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (tagKey, tagValue) => {
        const line = encodePoint(p({ v: 1 }, { [tagKey]: tagValue }));
        expect(line).toBeDefined();
        expect(line).not.toMatch(/[\r\n]/);
        expect(parseSeries(line!)).toEqual(['pump', meant(tagKey), meant(tagValue)]);
      }),
      { numRuns: 500 },
    );
  });
});
