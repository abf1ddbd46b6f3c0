import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../errors.ts';
import { silentLogger } from '../log.ts';
import { createSeriesStore, parseInfluxUrl } from './index.ts';

describe('parseInfluxUrl', () => {
  it('splits CGW_INFLUX_URL into the server URL and the database', () => {
    expect(parseInfluxUrl('http://127.0.0.1:8086/community')).toEqual({
      url: 'http://127.0.0.1:8086',
      database: 'community',
    });
    expect(parseInfluxUrl('http://127.0.0.1:8086/estate_7/')).toEqual({
      url: 'http://127.0.0.1:8086',
      database: 'estate_7',
    });
  });

  it('defaults the database to community', () => {
    expect(parseInfluxUrl('http://influx.local:8086')).toEqual({
      url: 'http://influx.local:8086',
      database: 'community',
    });
    expect(parseInfluxUrl('https://influx.local/')).toEqual({
      url: 'https://influx.local',
      database: 'community',
    });
  });

  it('keeps a reverse-proxy path prefix and takes credentials out of the URL', () => {
    expect(parseInfluxUrl('https://gw:p%40ss@metrics.example/influx/community')).toEqual({
      url: 'https://metrics.example/influx',
      database: 'community',
      username: 'gw',
      password: 'p@ss',
    });
  });

  it('refuses what is not an http(s) URL, with a config error', () => {
    for (const bad of ['not a url', 'ftp://host/db']) {
      expect(() => parseInfluxUrl(bad)).toThrow();
      try {
        parseInfluxUrl(bad);
      } catch (err) {
        expect(isGatewayError(err, 'CGW_CONFIG_INVALID')).toBe(true);
      }
    }
  });
});

describe('createSeriesStore', () => {
  const base = { store: { retention: 86_400_000 }, dataDir: '/nonexistent', log: silentLogger() };
  it('gives the InfluxDB store when an influx config is present, else the embedded one', () => {
    const influx = { url: 'http://127.0.0.1:8086', database: 'community', batchSize: 5000, flushMs: 500 };
    expect(createSeriesStore({ ...base, influx }).name).toBe('influxdb');
    expect(createSeriesStore(base).name).toBe('embedded');
  });
});
