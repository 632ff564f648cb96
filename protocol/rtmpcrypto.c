/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SHA-256, HMAC-SHA256 and the digest handshake's packet layout, on OpenSSL 3
 * EVP: the one protocol file that includes OpenSSL. */

#include "rtmpcrypto.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

/* The 32 fixed bytes that follow both keys' texts */
#define KEY_TAIL \
  "\xF0\xEE\xC2\x4A\x80\x68\xBE\xE8\x2E\x00\xD0\xD1\x02\x9E\x7E\x57" \
  "\x6E\xEC\x5D\x2D\x29\x80\x6F\xAB\x93\xB8\xE6\x36\xCF\xEB\x31\xAE"

/* Exactly sized: no terminating NUL is stored */
const guint8 rtmp_crypto_client_key[RTMP_CRYPTO_CLIENT_KEY_SIZE]
    = "Genuine Adobe Flash Player 001" KEY_TAIL;
const guint8 rtmp_crypto_server_key[RTMP_CRYPTO_SERVER_KEY_SIZE]
    = "Genuine Adobe Flash Media Server 001" KEY_TAIL;

G_STATIC_ASSERT (
    RTMP_CRYPTO_CLIENT_KEY_TEXT_SIZE + 32 == RTMP_CRYPTO_CLIENT_KEY_SIZE);
G_STATIC_ASSERT (
    RTMP_CRYPTO_SERVER_KEY_TEXT_SIZE + 32 == RTMP_CRYPTO_SERVER_KEY_SIZE);

/* Size of one of the two blocks after the time and version fields */
#define BLOCK_SIZE 764
#define BLOCK_1_OFFSET 8
#define BLOCK_2_OFFSET (BLOCK_1_OFFSET + BLOCK_SIZE)
G_STATIC_ASSERT (BLOCK_2_OFFSET + BLOCK_SIZE == RTMP_CRYPTO_PACKET_SIZE);
/* Room for the digest's position inside the digest block (764 - 4 offset
 * bytes - 32 digest bytes) and for the key's inside the key block */
#define DIGEST_POSITIONS 728
#define DH_KEY_POSITIONS 632

/* OpenSSL failing to compute a SHA-256 with its default provider means the
 * library is unusable (out of memory, broken configuration): as with
 * g_malloc failures there is no way to carry on. */
G_GNUC_NORETURN static void
openssl_failed (const gchar *what)
{
  gchar text[256] = "";

  ERR_error_string_n (ERR_get_error (), text, sizeof (text));
  g_error ("OpenSSL: %s failed: %s", what, text);
}

static EVP_MAC *
get_hmac (void)
{
  static gsize initialised = 0;
  /* fetched once and kept for the life of the process */
  static EVP_MAC *hmac;

  if (g_once_init_enter (&initialised)) {
    hmac = EVP_MAC_fetch (NULL, OSSL_MAC_NAME_HMAC, NULL);
    if (hmac == NULL)
      openssl_failed ("fetching HMAC");
    g_once_init_leave (&initialised, 1);
  }
  return hmac;
}

static const EVP_MD *
get_sha256 (void)
{
  static gsize initialised = 0;
  static EVP_MD *sha256;

  if (g_once_init_enter (&initialised)) {
    sha256 = EVP_MD_fetch (NULL, OSSL_DIGEST_NAME_SHA2_256, NULL);
    if (sha256 == NULL)
      openssl_failed ("fetching SHA-256");
    g_once_init_leave (&initialised, 1);
  }
  return sha256;
}

void
rtmp_crypto_sha256 (const guint8 *data, gsize len,
    guint8 digest[RTMP_CRYPTO_SHA256_SIZE])
{
  unsigned int digest_len = 0;

  g_return_if_fail (data != NULL || len == 0);
  g_return_if_fail (digest != NULL);

  if (!EVP_Digest (data, len, digest, &digest_len, get_sha256 (), NULL)
      || digest_len != RTMP_CRYPTO_SHA256_SIZE)
    openssl_failed ("SHA-256");
}

void
rtmp_crypto_hmac_sha256_segments (const guint8 *key, gsize key_len,
    const RtmpCryptoSegment *segments, guint n_segments,
    guint8 digest[RTMP_CRYPTO_SHA256_SIZE])
{
  EVP_MAC_CTX *ctx;
  OSSL_PARAM params[2];
  gsize digest_len = 0;
  guint i;

  g_return_if_fail (key != NULL && key_len > 0);
  g_return_if_fail (segments != NULL || n_segments == 0);
  g_return_if_fail (digest != NULL);

  params[0] = OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST,
      (char *) OSSL_DIGEST_NAME_SHA2_256, 0);
  params[1] = OSSL_PARAM_construct_end ();

  ctx = EVP_MAC_CTX_new (get_hmac ());
  if (ctx == NULL)
    openssl_failed ("creating an HMAC context");
  if (!EVP_MAC_init (ctx, key, key_len, params))
    openssl_failed ("HMAC-SHA256 init");
  for (i = 0; i < n_segments; i++) {
    if (segments[i].len == 0)
      continue;
    if (!EVP_MAC_update (ctx, segments[i].data, segments[i].len))
      openssl_failed ("HMAC-SHA256 update");
  }
  if (!EVP_MAC_final (ctx, digest, &digest_len, RTMP_CRYPTO_SHA256_SIZE)
      || digest_len != RTMP_CRYPTO_SHA256_SIZE)
    openssl_failed ("HMAC-SHA256 final");
  EVP_MAC_CTX_free (ctx);
}

void
rtmp_crypto_hmac_sha256 (const guint8 *key, gsize key_len, const guint8 *data,
    gsize len, guint8 digest[RTMP_CRYPTO_SHA256_SIZE])
{
  RtmpCryptoSegment segment = { data, len };

  g_return_if_fail (data != NULL || len == 0);

  rtmp_crypto_hmac_sha256_segments (key, key_len, &segment, 1, digest);
}

gboolean
rtmp_crypto_equal (const guint8 *a, const guint8 *b, gsize len)
{
  g_return_val_if_fail (a != NULL || len == 0, FALSE);
  g_return_val_if_fail (b != NULL || len == 0, FALSE);

  return CRYPTO_memcmp (a, b, len) == 0;
}

static guint
sum4 (const guint8 *p)
{
  return (guint) p[0] + p[1] + p[2] + p[3];
}

guint
rtmp_crypto_digest_offset (const guint8 *packet, RtmpDigestSchema schema)
{
  guint block;

  g_return_val_if_fail (packet != NULL, 0);

  /* the digest block starts with its 4 offset bytes */
  block = schema == RTMP_DIGEST_SCHEMA_0 ? BLOCK_1_OFFSET : BLOCK_2_OFFSET;
  return block + 4 + sum4 (packet + block) % DIGEST_POSITIONS;
}

guint
rtmp_crypto_dh_key_offset (const guint8 *packet, RtmpDigestSchema schema)
{
  guint block;

  g_return_val_if_fail (packet != NULL, 0);

  /* the key block ends with its 4 offset bytes */
  block = schema == RTMP_DIGEST_SCHEMA_0 ? BLOCK_2_OFFSET : BLOCK_1_OFFSET;
  return block + sum4 (packet + block + BLOCK_SIZE - 4) % DH_KEY_POSITIONS;
}

void
rtmp_crypto_packet_digest (const guint8 *packet, guint digest_offset,
    const guint8 *key, gsize key_len, guint8 digest[RTMP_CRYPTO_SHA256_SIZE])
{
  RtmpCryptoSegment segments[2];

  g_return_if_fail (packet != NULL);
  g_return_if_fail (
      digest_offset <= RTMP_CRYPTO_PACKET_SIZE - RTMP_CRYPTO_SHA256_SIZE);

  segments[0].data = packet;
  segments[0].len = digest_offset;
  segments[1].data = packet + digest_offset + RTMP_CRYPTO_SHA256_SIZE;
  segments[1].len
      = RTMP_CRYPTO_PACKET_SIZE - digest_offset - RTMP_CRYPTO_SHA256_SIZE;
  rtmp_crypto_hmac_sha256_segments (key, key_len, segments, 2, digest);
}

guint
rtmp_crypto_packet_sign (guint8 *packet, RtmpDigestSchema schema,
    const guint8 *key, gsize key_len)
{
  guint8 digest[RTMP_CRYPTO_SHA256_SIZE];
  guint offset;

  g_return_val_if_fail (packet != NULL, 0);

  offset = rtmp_crypto_digest_offset (packet, schema);
  rtmp_crypto_packet_digest (packet, offset, key, key_len, digest);
  memcpy (packet + offset, digest, sizeof (digest));
  return offset;
}

gboolean
rtmp_crypto_packet_verify (const guint8 *packet, RtmpDigestSchema schema,
    const guint8 *key, gsize key_len, guint *digest_offset)
{
  guint8 digest[RTMP_CRYPTO_SHA256_SIZE];
  guint offset;

  g_return_val_if_fail (packet != NULL, FALSE);

  offset = rtmp_crypto_digest_offset (packet, schema);
  if (digest_offset != NULL)
    *digest_offset = offset;
  rtmp_crypto_packet_digest (packet, offset, key, key_len, digest);
  return rtmp_crypto_equal (digest, packet + offset, sizeof (digest));
}

void
rtmp_crypto_response_digest (const guint8 *packet, const guint8 *full_key,
    gsize full_key_len, const guint8 peer_digest[RTMP_CRYPTO_SHA256_SIZE],
    guint8 digest[RTMP_CRYPTO_SHA256_SIZE])
{
  guint8 key[RTMP_CRYPTO_SHA256_SIZE];

  g_return_if_fail (packet != NULL);
  g_return_if_fail (peer_digest != NULL);

  rtmp_crypto_hmac_sha256 (full_key, full_key_len, peer_digest,
      RTMP_CRYPTO_SHA256_SIZE, key);
  rtmp_crypto_hmac_sha256 (key, sizeof (key), packet,
      RTMP_CRYPTO_PACKET_SIZE - RTMP_CRYPTO_SHA256_SIZE, digest);
}
