import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Event fields that identify a person: pseudonymised before anything is stored or shown. */
export const PERSON_FIELDS = ['person', 'person_id', 'card', 'card_no', 'name'] as const;

/**
 * Turns person identifiers into stable pseudonyms (`p-` + 16 hex digits of an HMAC under a
 * per-installation key). The same card always maps to the same pseudonym on one gateway, so an
 * operator can follow a person's trail without the gateway ever storing who it is.
 */
export class Pseudonymiser {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  /** Loads the installation key from `<dataDir>/privacy.key`, creating it on first start. */
  static fromDataDir(dataDir: string): Pseudonymiser {
    const path = join(dataDir, 'privacy.key');
    if (!existsSync(path)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    }
    return new Pseudonymiser(Buffer.from(readFileSync(path, 'utf8').trim(), 'hex'));
  }

  pseudonym(identifier: string): string {
    return 'p-' + createHmac('sha256', this.#key).update(identifier).digest('hex').slice(0, 16);
  }

  /** A copy of `data` with every person field replaced by its pseudonym. */
  scrub<T extends Record<string, unknown>>(data: T): T {
    let out: T | undefined;
    for (const field of PERSON_FIELDS) {
      const value = data[field];
      if (value === undefined || value === null) continue;
      out ??= { ...data };
      (out as Record<string, unknown>)[field] = this.pseudonym(String(value));
    }
    return out ?? data;
  }
}
