import { describe, expect, it } from 'vitest';
import { checkWebhookUrl, isPrivateAddress, WebhookAddressRefused } from '../../src/webhooks/address-guard.ts';
import { eventForStatus } from '../../src/webhooks/events.ts';
import { parseRetryAfter } from '../../src/webhooks/send.ts';
import { newWebhookSecret, signWebhook, verifyWebhook } from '../../src/webhooks/signature.ts';

describe('webhook signatures (Standard Webhooks)', () => {
  // The specification's own example: secret, id, timestamp, body → signature.
  it('matches the reference vector', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const body = '{"test": 2432232314}';
    expect(signWebhook(secret, id, 1614265330, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verifies its own signatures and refuses tampering, other secrets and stale timestamps', () => {
    const secret = newWebhookSecret();
    const now = 1_700_000_000;
    const headers = { 'webhook-id': 'd1', 'webhook-timestamp': String(now), 'webhook-signature': signWebhook(secret, 'd1', now, '{"a":1}') };
    expect(verifyWebhook(secret, headers, '{"a":1}', { now })).toBe(true);
    expect(verifyWebhook(secret, headers, '{"a":2}', { now })).toBe(false);
    expect(verifyWebhook(newWebhookSecret(), headers, '{"a":1}', { now })).toBe(false);
    expect(verifyWebhook(secret, { ...headers, 'webhook-id': 'd2' }, '{"a":1}', { now })).toBe(false);
    expect(verifyWebhook(secret, headers, '{"a":1}', { now: now + 301 })).toBe(false);
    // Several signatures (key rotation): one match is enough.
    expect(verifyWebhook(secret, { ...headers, 'webhook-signature': `v1,AAAA ${headers['webhook-signature']}` }, '{"a":1}', { now })).toBe(true);
  });
});

describe('webhook address guard', () => {
  it.each(['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1'])(
    '%s is private',
    (address) => expect(isPrivateAddress(address)).toBe(true),
  );
  it.each(['93.184.216.34', '8.8.8.8', '2001:4860:4860::8888', '172.32.0.1'])('%s is public', (address) => expect(isPrivateAddress(address)).toBe(false));

  it('refuses other schemes, credentials and literal private hosts; allows them when configured', () => {
    expect(() => checkWebhookUrl('ftp://example.com/', false)).toThrow(WebhookAddressRefused);
    expect(() => checkWebhookUrl('https://user:pw@example.com/', false)).toThrow(/credentials/);
    expect(() => checkWebhookUrl('http://localhost:8080/', false)).toThrow(/loopback/);
    expect(() => checkWebhookUrl('http://[::1]/', false)).toThrow(/loopback/);
    expect(checkWebhookUrl('http://127.0.0.1:9/', true).port).toBe('9');
    expect(checkWebhookUrl('https://hooks.example.com/x', false).hostname).toBe('hooks.example.com');
  });
});

describe('webhook events and retry hints', () => {
  it('announces settled states, not stalls', () => {
    expect(eventForStatus('extracted')).toBe('document.extracted');
    expect(eventForStatus('needs_review')).toBe('document.needs_review');
    expect(eventForStatus('failed')).toBe('document.failed');
    expect(eventForStatus('cancelled')).toBe('document.cancelled');
    expect(eventForStatus('stalled')).toBeNull();
  });
  it('reads Retry-After in seconds or as a date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(undefined)).toBeNull();
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(50_000);
  });
});
