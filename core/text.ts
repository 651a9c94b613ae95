// Bytes <-> text helpers shared by the cores (objects in the lake are UTF-8).
const decoder = new TextDecoder();
const encoder = new TextEncoder();

export const decodeText = (bytes: Uint8Array): string => decoder.decode(bytes);
export const encodeText = (text: string): Uint8Array => encoder.encode(text);

/** Non-empty lines of a newline-delimited document. */
export const splitLines = (text: string): string[] =>
  text.split('\n').filter((line) => line.trim().length > 0);
