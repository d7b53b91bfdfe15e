import { InvalidArgumentError } from 'commander';
import { API_SCOPES, type ApiScope } from '../db/api-keys.ts';

/**
 * `--scopes read,write,review`: a comma-separated list of API_SCOPES (duplicates
 * dropped). Throws commander's InvalidArgumentError, so the message is a usage error.
 */
export function parseScopes(text: string): ApiScope[] {
  const given = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = given.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
  if (unknown.length) {
    throw new InvalidArgumentError(
      `unknown scope${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => `"${s}"`).join(', ')}; scopes are ${API_SCOPES.join(', ')} (comma-separated)`,
    );
  }
  if (!given.length) throw new InvalidArgumentError(`give at least one scope: ${API_SCOPES.join(', ')} (comma-separated)`);
  return [...new Set(given as ApiScope[])];
}

