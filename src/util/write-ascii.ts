/** ASCII text (one byte a character) into `out` at `at`; returns the offset after it. */
export function writeAscii(text: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  return at;
}
