import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { capOfMember, fairShareBytesPerSecond, jobLimitOf, mayStartBeforeJoining, memberOf, parseGlobalLimit } from './fair-share.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('fairShareBytesPerSecond', () => {
  const cases: { name: string; global: number; caps: number[]; own: number; expected: number }[] = [
    { name: 'no global limit and no cap: unlimited', global: 0, caps: [0, 0], own: 0, expected: 0 },
    { name: 'no global limit: the job cap alone', global: 0, caps: [512 * KiB], own: 512 * KiB, expected: 512 * KiB },
    { name: 'alone: the whole global limit', global: MiB, caps: [0], own: 0, expected: MiB },
    { name: 'two uncapped downloads split it equally', global: MiB, caps: [0, 0], own: 0, expected: 512 * KiB },
    { name: 'three uncapped downloads, fractions floored', global: 1000, caps: [0, 0, 0], own: 0, expected: 333 },
    { name: 'a job cap below the share wins', global: MiB, caps: [0, 100 * KiB], own: 100 * KiB, expected: 100 * KiB },
    { name: 'the others get what a capped job leaves', global: MiB, caps: [0, 100 * KiB], own: 0, expected: 924 * KiB },
    { name: 'a cap above the equal share does not raise it', global: MiB, caps: [0, 4 * MiB], own: 4 * MiB, expected: 512 * KiB },
    { name: 'water filling: the 100 cap is kept, the other three share 900', global: 1000, caps: [100, 300, 0, 0], own: 0, expected: 300 },
    { name: 'everyone capped below the level: each keeps its cap', global: 1000, caps: [100, 200], own: 200, expected: 200 },
    { name: 'never floors to 0, which would mean unlimited', global: 1, caps: [0, 0, 0], own: 0, expected: 1 },
  ];
  for (const { name, global, caps, own, expected } of cases) {
    it(name, () => assert.equal(fairShareBytesPerSecond(global, caps, own), expected));
  }
});

describe('members of the active set', () => {
  it('round-trips the cap', () => assert.equal(capOfMember(memberOf('4242', 'a1b2-c3', 524_288)), 524_288));
  it('reads an uncapped member as 0', () => assert.equal(capOfMember(memberOf('4242', 'a1b2-c3', 0)), 0));
  it('reads a malformed member as uncapped', () => assert.equal(capOfMember('garbage'), 0));
});

describe('jobLimitOf', () => {
  const cases: [Record<string, string | number>, number][] = [[{}, 0], [{ rateLimit: 524_288 }, 524_288], [{ rateLimit: '524288' }, 0], [{ rateLimit: -5 }, 0], [{ connections: 4 }, 0]];
  for (const [options, expected] of cases) it(`reads ${JSON.stringify(options)} as ${expected}`, () => assert.equal(jobLimitOf(options), expected));
});

describe('parseGlobalLimit', () => {
  const cases: [string | null, number][] = [[null, 7], ['', 7], ['0', 0], ['1048576', 1_048_576], ['-1', 7], ['1.5', 7], ['abc', 7], ['99999999999999999999', 7]];
  for (const [raw, expected] of cases) it(`reads ${JSON.stringify(raw)} as ${expected} (fallback 7)`, () => assert.equal(parseGlobalLimit(raw, 7), expected));
});

describe('mayStartBeforeJoining', () => {
  const interval = 500;
  const cases: { name: string; last: { atMs: number; globalBytesPerSecond: number } | undefined; now: number; expected: boolean }[] = [
    { name: 'never read: join first', last: undefined, now: 1000, expected: false },
    { name: 'read unlimited just now: start at once', last: { atMs: 1000, globalBytesPerSecond: 0 }, now: 1000, expected: true },
    { name: 'read unlimited within the interval', last: { atMs: 1000, globalBytesPerSecond: 0 }, now: 1499, expected: true },
    { name: 'the reading is one interval old: join first', last: { atMs: 1000, globalBytesPerSecond: 0 }, now: 1500, expected: false },
    { name: 'a global limit: join first, however fresh', last: { atMs: 1000, globalBytesPerSecond: 4096 }, now: 1000, expected: false },
    { name: 'a clock that went back: join first', last: { atMs: 1000, globalBytesPerSecond: 0 }, now: 900, expected: false },
  ];
  for (const { name, last, now, expected } of cases) {
    it(name, () => assert.equal(mayStartBeforeJoining(last, now, interval), expected));
  }
});
