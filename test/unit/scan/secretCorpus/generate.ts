/**
 * Expands the corpus templates into concrete examples. A template is text with `{class:length}`
 * holes (`ghp_{an:36}`) filled from a seeded generator, so the corpus is the same on every run and
 * no secret-looking literal is kept in the repository.
 */

const CLASSES: Record<string, string> = {
  an: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  AN: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ln: 'abcdefghijklmnopqrstuvwxyz0123456789',
  a: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
  al: 'abcdefghijklmnopqrstuvwxyz',
  hex: '0123456789abcdef',
  HEX: '0123456789ABCDEF',
  d: '0123456789',
  b64: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
  url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-',
  bech: 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L',
};

export interface Expanded {
  text: string;
  /** The generated parts of at least 8 characters: what must never reach a report, log or output. */
  secrets: string[];
}

export function expand(template: string, random: () => number): Expanded {
  const secrets: string[] = [];
  // Only the known classes: `${token}` and `{{ value }}` in a template stay as they are.
  const text = template.replace(
    /\{(uuid|an|AN|ln|al|a|hex|HEX|d|b64|url|bech)(?::([0-9]+))?\}/g,
    (_, cls: string, len = '0') => {
      let value: string;
      if (cls === 'uuid') {
        const h = (n: number) => fill(CLASSES.hex!, n, random);
        value = `${h(8)}-${h(4)}-4${h(3)}-a${h(3)}-${h(12)}`;
      } else {
        const chars = CLASSES[cls];
        if (!chars) throw new Error(`unknown class ${cls} in ${template}`);
        value = fill(chars, Number(len), random);
      }
      if (value.length >= 8) secrets.push(value);
      return value;
    },
  );
  return { text, secrets };
}

function fill(chars: string, n: number, random: () => number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += chars[Math.floor(random() * chars.length)];
  return out;
}
