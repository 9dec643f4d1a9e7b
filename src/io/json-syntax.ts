/**
 * JSON's structural characters and digits, for scanners that read JSON without parsing it. All are
 * ASCII, so each is the same number as a UTF-8 byte (`Buffer`) and as a UTF-16 code unit
 * (`String.prototype.charCodeAt`).
 */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const DIGIT_0 = 0x30;
export const DIGIT_9 = 0x39;
