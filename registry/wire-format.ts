/**
 * Confluent's wire format for a message encoded with a registered schema:
 *
 *   byte 0      magic byte 0
 *   bytes 1-4   schema id, 32-bit big-endian
 *   bytes 5-    the body (for Avro, the binary encoding of the value under that schema)
 *
 * JSON text never starts with byte 0, so a consumer can take JSON and framed messages on one topic: a value of at
 * least 5 bytes starting with 0 is framed, anything else is not.
 */

export const WIRE_HEADER_BYTES = 5;
export const MAGIC_BYTE = 0;

/** Writes the 5-byte header at the start of `buf`. */
export function writeWireHeader(buf: Buffer, schemaId: number): void {
  buf[0] = MAGIC_BYTE;
  buf.writeUInt32BE(schemaId, 1);
}

/** The schema id of a framed value, or -1 when the value is not framed. */
export function wireSchemaId(value: Buffer | string | null): number {
  if (value === null || typeof value === 'string' || value.length < WIRE_HEADER_BYTES || value[0] !== MAGIC_BYTE)
    return -1;
  return value.readUInt32BE(1);
}
