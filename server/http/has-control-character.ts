/** True when the text holds a C0 control character or DEL: never part of an identifier, and NUL cannot be stored in PostgreSQL text. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
