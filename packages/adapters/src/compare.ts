/** Constant-time comparison of credentials. */
import { createHash, timingSafeEqual } from "node:crypto"

const digest = (value: Uint8Array): Buffer => createHash("sha256").update(value).digest()

/**
 * Whether `given` equals `expected`, in time that depends on neither value nor on their lengths: both are hashed to
 * fixed-size SHA-256 digests first, compared with `crypto.timingSafeEqual`, then the lengths (so a digest collision
 * of different lengths is never equal). Strings are compared as UTF-8.
 */
export const constantTimeEqual = (given: string | Uint8Array, expected: string | Uint8Array): boolean => {
  const a = typeof given === "string" ? Buffer.from(given, "utf8") : given
  const b = typeof expected === "string" ? Buffer.from(expected, "utf8") : expected
  return timingSafeEqual(digest(a), digest(b)) && a.length === b.length
}

/**
 * Whether a MAC the sender gave equals the expected one. A MAC's length is public (its algorithm's digest size), so
 * different lengths answer false at once and equal lengths are compared with `crypto.timingSafeEqual`, in time that
 * does not depend on the bytes: no hashing of both sides as for credentials of secret length (`constantTimeEqual`).
 */
export const digestsEqual = (given: Uint8Array, expected: Uint8Array): boolean =>
  given.length === expected.length && timingSafeEqual(given, expected)
