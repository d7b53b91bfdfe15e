import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { setCookie } from '../../src/console/session.ts';

/**
 * The console's cookies: HttpOnly (no script reads the session), SameSite=Strict
 * (no other site's request carries it), and Secure when the request came over
 * HTTPS, never over plain HTTP (a browser would then drop it). The protocol is
 * what Fastify says it is; here a proxy header stands in for a TLS connection.
 */
const app = Fastify({ trustProxy: true });
app.get('/set', async (request, reply) => {
  setCookie(request, reply, 'docroute_session', 'token value', 3600);
  setCookie(request, reply, 'docroute_pre', '', 0);
  return { ok: true };
});
afterAll(() => app.close());

const cookies = async (proto: 'http' | 'https') => {
  const response = await app.inject({ method: 'GET', url: '/set', headers: { 'x-forwarded-proto': proto } });
  const header = response.headers['set-cookie'];
  return (Array.isArray(header) ? header : [String(header)]).map((c) => c.split(';').map((p) => p.trim()));
};

describe('console cookies', () => {
  it('are HttpOnly and SameSite=Strict, Secure only over HTTPS', async () => {
    for (const proto of ['http', 'https'] as const) {
      const all = await cookies(proto);
      // One header per cookie, each once.
      expect(all.map((c) => c[0]), proto).toEqual(['docroute_session=token%20value', 'docroute_pre=']);
      const [session, cleared] = all;
      for (const c of [session!, cleared!]) {
        expect(c, proto).toContain('HttpOnly');
        expect(c, proto).toContain('SameSite=Strict');
        expect(c, proto).toContain('Path=/');
        expect(c.includes('Secure'), proto).toBe(proto === 'https');
      }
      expect(session).toContain('Max-Age=3600');
      expect(cleared).toContain('Max-Age=0');
    }
  });
});
