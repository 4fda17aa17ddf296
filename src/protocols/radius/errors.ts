/**
 * Encode-side programmer errors. The decoder never throws (it returns a DecodeFailure);
 * the encoder throws LanyardCodecError only when the caller asks for something the wire
 * format cannot carry (a 300-octet string, tag 40, a 5000-octet packet). Those are bugs
 * in the caller, not conditions to handle at run time, so an exception is the right shape.
 */
export const CODEC_ERROR_CODES = [
  'value-too-long',
  'value-empty',
  'value-out-of-range',
  'invalid-type',
  'invalid-tag',
  'invalid-ipv4',
  'invalid-authenticator',
  'invalid-identifier',
  'invalid-code',
  'packet-too-long',
] as const;
export type CodecErrorCode = (typeof CODEC_ERROR_CODES)[number];

export class LanyardCodecError extends Error {
  readonly code: CodecErrorCode;

  constructor(code: CodecErrorCode, message: string) {
    super(message);
    this.name = 'LanyardCodecError';
    this.code = code;
  }
}
