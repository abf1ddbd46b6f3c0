import { describe, expect, it } from 'vitest';
import { parseTime } from './time-param.ts';

describe('parseTime', () => {
  it.each([
    ['1714564800000', 1714564800000],
    ['0', 0],
    ['2024-05-01', Date.UTC(2024, 4, 1)],
    ['2024-05-01T12:00:00Z', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01T12:00:00.250Z', Date.UTC(2024, 4, 1, 12, 0, 0, 250)],
    ['2024-05-01T14:00:00+02:00', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01T14:00:00 02:00', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01T10:00-02:00', Date.UTC(2024, 4, 1, 12)],
  ])('reads %s', (text, ms) => {
    expect(parseTime(text)).toBe(ms);
  });

  it.each([
    '',
    'yesterday',
    '-5',
    '1.5',
    'May 1, 2024',
    '2024-13-01',
    '2024-05-01T25:00:00Z',
    '2024-05-01 12:00',
  ])('refuses %j', (text) => {
    expect(parseTime(text)).toBeUndefined();
  });
});
