import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addressPolicyFor, isInternalAddress } from './address-policy.ts';

describe('isInternalAddress', () => {
  const cases: [string, boolean][] = [
    ['127.0.0.1', true], ['127.255.0.9', true], ['10.1.2.3', true], ['172.16.0.1', true], ['172.31.255.255', true],
    ['172.32.0.1', false], ['192.168.1.1', true], ['169.254.169.254', true], ['100.64.0.1', true], ['0.0.0.0', true],
    ['224.0.0.1', true], ['255.255.255.255', true], ['8.8.8.8', false], ['93.184.216.34', false],
    ['::1', true], ['::', true], ['fe80::1', true], ['fd12:3456::1', true], ['ff02::1', true],
    ['::ffff:127.0.0.1', true], ['::ffff:10.0.0.1', true], ['::ffff:8.8.8.8', false], ['64:ff9b::a00:1', true],
    ['2001:db8::1', true], ['2606:4700:4700::1111', false], ['not-an-ip', true],
  ];
  for (const [address, internal] of cases) it(`${address} is ${internal ? 'internal' : 'public'}`, () => assert.equal(isInternalAddress(address), internal));
});

describe('addressPolicyFor', () => {
  it('allows everything when private networks are allowed', () => assert.equal(addressPolicyFor(true)('127.0.0.1'), true));
  it('refuses internal addresses otherwise', () => {
    assert.equal(addressPolicyFor(false)('127.0.0.1'), false);
    assert.equal(addressPolicyFor(false)('8.8.8.8'), true);
  });
});
