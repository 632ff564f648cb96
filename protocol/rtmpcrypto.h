/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cryptographic helpers of the protocol layer: SHA-256 and HMAC-SHA256, and
 * the packet layout of the Flash Player 9 ("digest") handshake. */

#ifndef __RTMP_CRYPTO_H__
#define __RTMP_CRYPTO_H__

#include <glib.h>

G_BEGIN_DECLS

#define RTMP_CRYPTO_SHA256_SIZE 32

/* The C1/S1 and C2/S2 packet size (RTMP 1.0 §5.2.3) */
#define RTMP_CRYPTO_PACKET_SIZE 1536

/* The well-known handshake keys: a text followed by 32 fixed bytes. C1
 * digests are keyed with the client key's text (30 bytes), S1 digests with
 * the server key's text (36 bytes); the full keys (62 and 68 bytes) key the
 * HMAC that derives the S2/C2 digest key from the peer's C1/S1 digest. */
#define RTMP_CRYPTO_CLIENT_KEY_SIZE 62
#define RTMP_CRYPTO_CLIENT_KEY_TEXT_SIZE \
  30 /* "Genuine Adobe Flash Player 001" */
#define RTMP_CRYPTO_SERVER_KEY_SIZE 68
#define RTMP_CRYPTO_SERVER_KEY_TEXT_SIZE \
  36 /* "Genuine Adobe Flash Media Server 001" */

extern const guint8 rtmp_crypto_client_key[RTMP_CRYPTO_CLIENT_KEY_SIZE];
extern const guint8 rtmp_crypto_server_key[RTMP_CRYPTO_SERVER_KEY_SIZE];

/* A borrowed run of bytes; HMACs are computed over a list of them so that a
 * packet can be digested without the 32 bytes its digest occupies. */
typedef struct
{
  const guint8 *data;
  gsize len;
} RtmpCryptoSegment;

void rtmp_crypto_sha256 (const guint8 *data, gsize len,
    guint8 digest[RTMP_CRYPTO_SHA256_SIZE]);

/* HMAC-SHA256 (RFC 2104) of @data with @key (@key_len >= 1). */
void rtmp_crypto_hmac_sha256 (const guint8 *key, gsize key_len,
    const guint8 *data, gsize len, guint8 digest[RTMP_CRYPTO_SHA256_SIZE]);
/* The same over the concatenation of @n_segments segments. */
void rtmp_crypto_hmac_sha256_segments (const guint8 *key, gsize key_len,
    const RtmpCryptoSegment *segments, guint n_segments,
    guint8 digest[RTMP_CRYPTO_SHA256_SIZE]);

/* Compares in time independent of the contents (CRYPTO_memcmp). */
gboolean rtmp_crypto_equal (const guint8 *a, const guint8 *b, gsize len);

/* The Flash Player 9 handshake: after the 4-byte time and 4-byte version
 * fields, a C1/S1 packet holds two 764-byte blocks. The digest block is 4
 * offset bytes, then 728 bytes holding the 32-byte digest at (sum of the 4
 * offset bytes) % 728, then 32 more bytes. The key block (the RTMPE
 * Diffie-Hellman public key) is 632 + 128 bytes holding the 128-byte key at
 * (sum of its 4 offset bytes) % 632, then the 4 offset bytes.
 *   schema 0: digest block at 8, key block at 772
 *   schema 1: key block at 8, digest block at 772
 * Clients put the digest where they like; servers answer in the client's
 * schema. The digest is an HMAC-SHA256 over the packet without the 32
 * digest bytes. */
typedef enum
{
  RTMP_DIGEST_SCHEMA_0,
  RTMP_DIGEST_SCHEMA_1,
} RtmpDigestSchema;

#define RTMP_CRYPTO_DH_KEY_SIZE 128

/* Offset of the digest in @packet (RTMP_CRYPTO_PACKET_SIZE bytes): 12..739
 * for schema 0, 776..1503 for schema 1. */
guint rtmp_crypto_digest_offset (const guint8 *packet, RtmpDigestSchema schema);
/* Offset of the RTMPE Diffie-Hellman public key in @packet: 772..1403 for
 * schema 0, 8..639 for schema 1. */
guint rtmp_crypto_dh_key_offset (const guint8 *packet, RtmpDigestSchema schema);

/* The HMAC-SHA256 over @packet (RTMP_CRYPTO_PACKET_SIZE bytes) without the
 * 32 bytes at @digest_offset. */
void rtmp_crypto_packet_digest (const guint8 *packet, guint digest_offset,
    const guint8 *key, gsize key_len, guint8 digest[RTMP_CRYPTO_SHA256_SIZE]);
/* Writes the digest at the schema's offset; returns that offset. */
guint rtmp_crypto_packet_sign (guint8 *packet, RtmpDigestSchema schema,
    const guint8 *key, gsize key_len);
/* TRUE when the schema's offset holds the digest; *digest_offset (nullable)
 * is set either way. */
gboolean rtmp_crypto_packet_verify (const guint8 *packet,
    RtmpDigestSchema schema, const guint8 *key, gsize key_len,
    guint *digest_offset);

/* The S2/C2 body: RTMP_CRYPTO_PACKET_SIZE - 32 bytes followed by their
 * HMAC-SHA256 keyed with HMAC-SHA256 (@full_key, @peer_digest), where
 * @peer_digest is the digest of the peer's C1/S1 and @full_key our own full
 * key (server key for S2, client key for C2). */
void rtmp_crypto_response_digest (const guint8 *packet, const guint8 *full_key,
    gsize full_key_len, const guint8 peer_digest[RTMP_CRYPTO_SHA256_SIZE],
    guint8 digest[RTMP_CRYPTO_SHA256_SIZE]);

/* RTMPE (a later issue) fits here: Diffie-Hellman over the 1024-bit MODP
 * group of RFC 2409 §6.2 (generator 2) with the 128-byte public key placed
 * at rtmp_crypto_dh_key_offset (); then two RC4 keystreams keyed with the
 * first 16 bytes of HMAC-SHA256 (shared secret, peer's / own public key)
 * and advanced past 1536 bytes. Planned as opaque RtmpCryptoDh (created
 * from caller-supplied random bytes, no randomness here) and RtmpCryptoRc4
 * objects, implemented with OpenSSL 3 EVP in rtmpcrypto.c like the above. */

G_END_DECLS

#endif /* __RTMP_CRYPTO_H__ */
