// Bead ids (`<prefix>-<8 random base32 chars>`, about 40 bits: unique across clones in practice while short
// to type; any unique prefix is accepted) and operation ids (16 chars, 80 bits).
import { randomBytes } from 'node:crypto';

// Lower-case base32 without the letters people misread (i, l, o, u).
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! & 31];
  return out;
}

export const BEAD_ID_RANDOM_LENGTH = 8;

export function newBeadId(prefix: string): string {
  return `${prefix}-${randomToken(BEAD_ID_RANDOM_LENGTH)}`;
}

export function newOpId(): string {
  return randomToken(16);
}

export const PREFIX_PATTERN = /^[a-z][a-z0-9_]{0,19}$/;

export function prefixOf(id: string): string {
  const dash = id.indexOf('-');
  return dash < 0 ? '' : id.slice(0, dash);
}
