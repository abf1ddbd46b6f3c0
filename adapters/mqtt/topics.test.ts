import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFilter, filterCovers, parseDeviceTopic, topicMatches } from './topics.ts';

describe('parseDeviceTopic', () => {
  it('splits a device topic', () => {
    expect(parseDeviceTopic('cg', 'cg/garden-court/elevator/lift-1/telemetry')).toEqual({
      site: 'garden-court',
      kind: 'elevator',
      deviceId: 'lift-1',
      channel: 'telemetry',
    });
  });

  it('accepts a prefix with several levels', () => {
    expect(parseDeviceTopic('acme/cg', 'acme/cg/s/access/d/event')?.deviceId).toBe('d');
  });

  it.each([
    'cg/site/elevator/lift-1',
    'cg/site/elevator/lift-1/telemetry/extra',
    'cg/site/toaster/t-1/telemetry',
    'cgx/site/elevator/lift-1/telemetry',
    'other/site/elevator/lift-1/telemetry',
    'cg//elevator/lift-1/telemetry',
    'cg/site/elevator//telemetry',
    'cg',
    '',
  ])('refuses %j', (topic) => {
    expect(parseDeviceTopic('cg', topic)).toBeUndefined();
  });

  it('never throws on any string (property)', () => {
    fc.assert(
      fc.property(fc.string(), (topic) => {
        const parsed = parseDeviceTopic('cg', topic);
        if (parsed)
          expect(topic).toBe(`cg/${parsed.site}/${parsed.kind}/${parsed.deviceId}/${parsed.channel}`);
      }),
    );
  });
});

describe('topic filters', () => {
  it.each([
    ['cg/#', 'cg/a/b', true],
    ['cg/+/alerts/#', 'cg/s/alerts/lift-1', true],
    ['cg/+/alerts/#', 'cg/s/elevator/lift-1/telemetry', false],
    ['cg/a/+', 'cg/a/b/c', false],
    ['#', '$SYS/broker/uptime', false],
    ['cg/a', 'cg/a', true],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it.each([
    ['cg/+/alerts/#', 'cg/s/alerts/lift-1', true],
    ['cg/+/alerts/#', 'cg/+/alerts/#', true],
    ['cg/+/alerts/#', 'cg/#', false],
    ['cg/+/alerts/#', '#', false],
    ['cg/s/a/d/cmd/#', 'cg/s/a/d/cmd/open', true],
    ['cg/s/a/d/cmd/#', 'cg/s/a/+/cmd/open', false],
    ['cg/a/b', 'cg/a/+', false],
  ])('%s covers %s: %s', (allowed, requested, expected) => {
    expect(filterCovers(allowed, requested)).toBe(expected);
  });

  it('a covered filter never matches a topic the allowed filter does not (property)', () => {
    const level = fc.constantFrom('a', 'b', '+');
    const filter = fc
      .tuple(fc.array(level, { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([levels, hash]) => [...levels, ...(hash ? ['#'] : [])].join('/'));
    const topic = fc
      .array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 6 })
      .map((l) => l.join('/'));
    fc.assert(
      fc.property(filter, filter, topic, (allowed, requested, t) => {
        if (filterCovers(allowed, requested) && topicMatches(requested, t))
          expect(topicMatches(allowed, t)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('a compiled filter agrees with topicMatches (property)', () => {
    const level = fc.constantFrom('cg', 'a', 'b', '+', '#', '$SYS');
    const filter = fc.array(level, { minLength: 1, maxLength: 4 }).map((l) => l.join('/'));
    const topic = fc
      .array(fc.constantFrom('cg', 'a', 'b', 'c', '$SYS', ''), { minLength: 1, maxLength: 5 })
      .map((l) => l.join('/'));
    fc.assert(
      fc.property(filter, topic, (f, t) => {
        expect(compileFilter(f)(t)).toBe(topicMatches(f, t));
      }),
      { numRuns: 3000 },
    );
  });
});
