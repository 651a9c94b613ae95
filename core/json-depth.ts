// How deeply a JSON text nests, measured without parsing it: one loop over the characters,
// no recursion, stopping as soon as the limit is passed. Engines that parse or print JSON
// recursively (JSON.stringify, Python's json) overflow their stacks on a few thousand levels;
// a message is refused before it reaches them. glue/etl_job.py implements the same scan.
// A telemetry message nests one level (its object); extra fields may add a few.

/** The deepest nesting of objects and arrays a message may have (the top-level object is 1). */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * True when the JSON text (UTF-16 string or UTF-8 bytes: structural characters are ASCII in
 * both) opens more than `max` objects/arrays at once. Brackets inside strings do not count.
 * Malformed text is measured the same way; whether it parses is the parser's question.
 */
export const nestsDeeperThan = (text: string | Uint8Array, max = MAX_JSON_DEPTH): boolean => {
  const bytes = typeof text === 'string' ? undefined : text;
  const str = typeof text === 'string' ? text : '';
  const length = bytes ? bytes.length : str.length;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < length; i++) {
    const c = bytes ? (bytes[i] as number) : str.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
};

/** The reason text both engines quarantine a too-deep message with. */
export const tooDeepReason = (what: string, max = MAX_JSON_DEPTH): string =>
  `${what} nests objects/arrays deeper than ${max} levels`;
