/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for rtmpcrypto: SHA-256/HMAC-SHA256 against published vectors and
 * GLib's independent implementation, and the digest handshake layout. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtmpcrypto.h"

static void
hex_to_bytes (const gchar *hex, guint8 *out, gsize out_len)
{
  gsize i;

  g_assert (strlen (hex) == 2 * out_len);
  for (i = 0; i < out_len; i++)
    out[i] = (g_ascii_xdigit_value (hex[2 * i]) << 4)
        | g_ascii_xdigit_value (hex[2 * i + 1]);
}

static void
assert_digest_hex (const guint8 *digest, const gchar *hex, gint line)
{
  guint8 expected[RTMP_CRYPTO_SHA256_SIZE];

  hex_to_bytes (hex, expected, sizeof (expected));
  fail_unless (memcmp (digest, expected, sizeof (expected)) == 0,
      "line %d: digest differs from %s", line, hex);
}

/* Independent reference: GLib's own HMAC implementation */
static void
ghmac_sha256 (const guint8 *key, gsize key_len, const guint8 *data, gsize len,
    guint8 *digest)
{
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  gsize digest_len = RTMP_CRYPTO_SHA256_SIZE;

  g_hmac_update (hmac, data, len);
  g_hmac_get_digest (hmac, digest, &digest_len);
  g_assert (digest_len == RTMP_CRYPTO_SHA256_SIZE);
  g_hmac_unref (hmac);
}

/* Deterministic filler for packets */
static void
fill_pattern (guint8 *p, gsize len, guint32 seed)
{
  gsize i;

  for (i = 0; i < len; i++) {
    seed = seed * 1103515245u + 12345u;
    p[i] = seed >> 16;
  }
}

GST_START_TEST (test_sha256_fips_vectors)
{
  guint8 digest[RTMP_CRYPTO_SHA256_SIZE];

  rtmp_crypto_sha256 ((const guint8 *) "abc", 3, digest);
  assert_digest_hex (digest,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      __LINE__);
  rtmp_crypto_sha256 (NULL, 0, digest);
  assert_digest_hex (digest,
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_hmac_rfc4231_vectors)
{
  guint8 digest[RTMP_CRYPTO_SHA256_SIZE];
  guint8 key[131];
  const gchar *data;

  /* RFC 4231 test case 1 */
  memset (key, 0x0b, 20);
  rtmp_crypto_hmac_sha256 (key, 20, (const guint8 *) "Hi There", 8, digest);
  assert_digest_hex (digest,
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
      __LINE__);

  /* test case 2: a key shorter than the output */
  data = "what do ya want for nothing?";
  rtmp_crypto_hmac_sha256 ((const guint8 *) "Jefe", 4, (const guint8 *) data,
      strlen (data), digest);
  assert_digest_hex (digest,
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      __LINE__);

  /* test case 6: a key longer than the block size is hashed first */
  memset (key, 0xaa, sizeof (key));
  data = "Test Using Larger Than Block-Size Key - Hash Key First";
  rtmp_crypto_hmac_sha256 (key, sizeof (key), (const guint8 *) data,
      strlen (data), digest);
  assert_digest_hex (digest,
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
      __LINE__);
}

GST_END_TEST;

/* The segmented HMAC equals the HMAC of the concatenation at every split
 * point, including empty segments. */
GST_START_TEST (test_hmac_segments_every_split)
{
  guint8 data[100];
  guint8 expected[RTMP_CRYPTO_SHA256_SIZE], digest[RTMP_CRYPTO_SHA256_SIZE];
  gsize split;

  fill_pattern (data, sizeof (data), 1);
  ghmac_sha256 (rtmp_crypto_client_key, RTMP_CRYPTO_CLIENT_KEY_SIZE, data,
      sizeof (data), expected);

  for (split = 0; split <= sizeof (data); split++) {
    RtmpCryptoSegment segments[3] = {
      { data, split },
      { NULL, 0 },
      { data + split, sizeof (data) - split },
    };

    rtmp_crypto_hmac_sha256_segments (rtmp_crypto_client_key,
        RTMP_CRYPTO_CLIENT_KEY_SIZE, segments, 3, digest);
    fail_unless (memcmp (digest, expected, sizeof (digest)) == 0,
        "split at %" G_GSIZE_FORMAT, split);
  }
}

GST_END_TEST;

GST_START_TEST (test_well_known_keys)
{
  static const guint8 tail[32]
      = { 0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0,
          0xD1, 0x02, 0x9E, 0x7E, 0x57, 0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80,
          0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE };

  fail_unless_equals_int (strlen ("Genuine Adobe Flash Player 001"),
      RTMP_CRYPTO_CLIENT_KEY_TEXT_SIZE);
  fail_unless_equals_int (strlen ("Genuine Adobe Flash Media Server 001"),
      RTMP_CRYPTO_SERVER_KEY_TEXT_SIZE);
  fail_unless (memcmp (rtmp_crypto_client_key, "Genuine Adobe Flash Player 001",
                   RTMP_CRYPTO_CLIENT_KEY_TEXT_SIZE)
      == 0);
  fail_unless (
      memcmp (rtmp_crypto_server_key, "Genuine Adobe Flash Media Server 001",
          RTMP_CRYPTO_SERVER_KEY_TEXT_SIZE)
      == 0);
  fail_unless (
      memcmp (rtmp_crypto_client_key + RTMP_CRYPTO_CLIENT_KEY_TEXT_SIZE, tail,
          32)
      == 0);
  fail_unless (
      memcmp (rtmp_crypto_server_key + RTMP_CRYPTO_SERVER_KEY_TEXT_SIZE, tail,
          32)
      == 0);
}

GST_END_TEST;

GST_START_TEST (test_equal)
{
  const guint8 a[4] = { 1, 2, 3, 4 }, b[4] = { 1, 2, 3, 5 };

  fail_unless (rtmp_crypto_equal (a, a, 4));
  fail_unless (!rtmp_crypto_equal (a, b, 4));
  fail_unless (rtmp_crypto_equal (a, b, 3));
  fail_unless (rtmp_crypto_equal (a, b, 0));
}

GST_END_TEST;

/* Offsets computed from the offset bytes, at the bounds of their ranges */
GST_START_TEST (test_offsets)
{
  guint8 packet[RTMP_CRYPTO_PACKET_SIZE];

  memset (packet, 0, sizeof (packet));
  fail_unless_equals_int (
      rtmp_crypto_digest_offset (packet, RTMP_DIGEST_SCHEMA_0), 12);
  fail_unless_equals_int (
      rtmp_crypto_digest_offset (packet, RTMP_DIGEST_SCHEMA_1), 776);
  fail_unless_equals_int (
      rtmp_crypto_dh_key_offset (packet, RTMP_DIGEST_SCHEMA_0), 772);
  fail_unless_equals_int (
      rtmp_crypto_dh_key_offset (packet, RTMP_DIGEST_SCHEMA_1), 8);

  /* schema 0 reads bytes 8..11; 1 + 2 + 3 + 4 = 10 */
  packet[8] = 1;
  packet[9] = 2;
  packet[10] = 3;
  packet[11] = 4;
  fail_unless_equals_int (
      rtmp_crypto_digest_offset (packet, RTMP_DIGEST_SCHEMA_0), 22);
  /* 727 is the largest position: 255 * 2 + 217 */
  packet[8] = 255;
  packet[9] = 255;
  packet[10] = 217;
  packet[11] = 0;
  fail_unless_equals_int (
      rtmp_crypto_digest_offset (packet, RTMP_DIGEST_SCHEMA_0), 12 + 727);
  /* 728 wraps to 0 */
  packet[11] = 1;
  fail_unless_equals_int (
      rtmp_crypto_digest_offset (packet, RTMP_DIGEST_SCHEMA_0), 12);
  /* 1020 = 4 * 255 wraps to 292 */
  memset (packet + 772, 255, 4);
  fail_unless_equals_int (
      rtmp_crypto_digest_offset (packet, RTMP_DIGEST_SCHEMA_1), 776 + 292);

  /* the key blocks' offset bytes are their last 4: 1532..1535 and
   * 768..771 */
  memset (packet, 0, sizeof (packet));
  memset (packet + 1532, 255, 4);
  fail_unless_equals_int (
      rtmp_crypto_dh_key_offset (packet, RTMP_DIGEST_SCHEMA_0),
      772 + 1020 % 632);
  packet[768] = 200;
  packet[769] = 200;
  packet[770] = 200;
  packet[771] = 31;
  fail_unless_equals_int (
      rtmp_crypto_dh_key_offset (packet, RTMP_DIGEST_SCHEMA_1), 8 + 631);
  /* each key block stays clear of the other block's digest bytes */
  fail_unless (772 + 631 + RTMP_CRYPTO_DH_KEY_SIZE <= 1532);
  fail_unless (8 + 631 + RTMP_CRYPTO_DH_KEY_SIZE <= 768);
}

GST_END_TEST;

/* Sign places the digest where the schema says; GHmac over the packet
 * without those 32 bytes recomputes it. */
GST_START_TEST (test_sign_and_verify)
{
  guint schema;

  for (schema = RTMP_DIGEST_SCHEMA_0; schema <= RTMP_DIGEST_SCHEMA_1;
       schema++) {
    guint8 packet[RTMP_CRYPTO_PACKET_SIZE];
    guint8 without[RTMP_CRYPTO_PACKET_SIZE - RTMP_CRYPTO_SHA256_SIZE];
    guint8 expected[RTMP_CRYPTO_SHA256_SIZE];
    guint offset, verified_offset, base, other;

    fill_pattern (packet, sizeof (packet), 42 + schema);
    base = schema == RTMP_DIGEST_SCHEMA_0 ? 8 : 772;
    offset = rtmp_crypto_packet_sign (packet, schema, rtmp_crypto_client_key,
        RTMP_CRYPTO_CLIENT_KEY_TEXT_SIZE);
    fail_unless_equals_int (offset,
        base + 4
            + (packet[base] + packet[base + 1] + packet[base + 2]
                  + packet[base + 3])
                % 728);

    memcpy (without, packet, offset);
    memcpy (without + offset, packet + offset + 32,
        sizeof (packet) - offset - 32);
    ghmac_sha256 (rtmp_crypto_client_key, RTMP_CRYPTO_CLIENT_KEY_TEXT_SIZE,
        without, sizeof (without), expected);
    fail_unless (memcmp (packet + offset, expected, 32) == 0);

    fail_unless (
        rtmp_crypto_packet_verify (packet, schema, rtmp_crypto_client_key,
            RTMP_CRYPTO_CLIENT_KEY_TEXT_SIZE, &verified_offset));
    fail_unless_equals_int (verified_offset, offset);
    /* wrong key, other schema */
    fail_if (rtmp_crypto_packet_verify (packet, schema, rtmp_crypto_server_key,
        RTMP_CRYPTO_SERVER_KEY_TEXT_SIZE, NULL));
    other = schema == RTMP_DIGEST_SCHEMA_0 ? RTMP_DIGEST_SCHEMA_1
                                           : RTMP_DIGEST_SCHEMA_0;
    fail_if (rtmp_crypto_packet_verify (packet, other, rtmp_crypto_client_key,
        RTMP_CRYPTO_CLIENT_KEY_TEXT_SIZE, NULL));
    /* any covered byte changes the digest: the time field, the last byte */
    packet[0] ^= 1;
    fail_if (rtmp_crypto_packet_verify (packet, schema, rtmp_crypto_client_key,
        RTMP_CRYPTO_CLIENT_KEY_TEXT_SIZE, NULL));
    packet[0] ^= 1;
    packet[RTMP_CRYPTO_PACKET_SIZE - 1] ^= 0x80;
    fail_if (rtmp_crypto_packet_verify (packet, schema, rtmp_crypto_client_key,
        RTMP_CRYPTO_CLIENT_KEY_TEXT_SIZE, NULL));
  }
}

GST_END_TEST;

/* S2/C2 digest: HMAC (HMAC (full key, peer digest), first 1504 bytes) */
GST_START_TEST (test_response_digest)
{
  guint8 packet[RTMP_CRYPTO_PACKET_SIZE];
  guint8 peer_digest[32], key[32], expected[32], digest[32];

  fill_pattern (packet, sizeof (packet), 7);
  fill_pattern (peer_digest, sizeof (peer_digest), 8);

  ghmac_sha256 (rtmp_crypto_server_key, RTMP_CRYPTO_SERVER_KEY_SIZE,
      peer_digest, 32, key);
  ghmac_sha256 (key, 32, packet, RTMP_CRYPTO_PACKET_SIZE - 32, expected);
  rtmp_crypto_response_digest (packet, rtmp_crypto_server_key,
      RTMP_CRYPTO_SERVER_KEY_SIZE, peer_digest, digest);
  fail_unless (memcmp (digest, expected, 32) == 0);

  /* the last 32 bytes (where the digest goes) are not covered */
  packet[RTMP_CRYPTO_PACKET_SIZE - 1] ^= 0xff;
  rtmp_crypto_response_digest (packet, rtmp_crypto_server_key,
      RTMP_CRYPTO_SERVER_KEY_SIZE, peer_digest, digest);
  fail_unless (memcmp (digest, expected, 32) == 0);
  packet[0] ^= 0xff;
  rtmp_crypto_response_digest (packet, rtmp_crypto_server_key,
      RTMP_CRYPTO_SERVER_KEY_SIZE, peer_digest, digest);
  fail_if (memcmp (digest, expected, 32) == 0);
}

GST_END_TEST;

static Suite *
crypto_suite (void)
{
  Suite *s = suite_create ("rtmp-crypto");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_sha256_fips_vectors);
  tcase_add_test (tc, test_hmac_rfc4231_vectors);
  tcase_add_test (tc, test_hmac_segments_every_split);
  tcase_add_test (tc, test_well_known_keys);
  tcase_add_test (tc, test_equal);
  tcase_add_test (tc, test_offsets);
  tcase_add_test (tc, test_sign_and_verify);
  tcase_add_test (tc, test_response_digest);
  return s;
}

GST_CHECK_MAIN (crypto);
