// CRC-32 (IEEE), as DynamoDB puts in its x-amz-crc32 response header. The proxy recomputes it after
// rewriting a body: the SDK checks it and would otherwise reject the body as corrupt, turning a
// malformed-answer fault into a transport error. Node 20 has no zlib.crc32.

const TABLE = (() => {
  const t = new Uint32Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[i] = c >>> 0
  }
  return t
})()

/** CRC-32 of `bytes` as an unsigned integer. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const b of bytes) c = TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
