import { inspect } from 'node:util';

/**
 * Holds a secret (an API key, a password) so that it cannot leak by accident:
 * printing, logging, JSON-serialising or string-interpolating it yields
 * "[redacted]". Only `reveal()` gives the value, and only the code that sends it
 * to its owner (the HTTP client) should call that.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}

/** Replaces every occurrence of the given secrets in a message (error texts from SDKs can echo them). */
export function scrubSecrets(message: string, secrets: readonly (Secret | undefined)[]): string {
  let out = message;
  for (const secret of secrets) {
    const value = secret?.reveal();
    if (value && value.length >= 4) out = out.split(value).join('[redacted]');
  }
  return out;
}
