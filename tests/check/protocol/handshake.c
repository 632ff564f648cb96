/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for rtmphandshake: both roles, simple and digest, against our own
 * other role, byte-exact expectations recomputed with GLib's GHmac, and
 * handshakes captured from nginx-rtmp, FFmpeg and rtmpdump. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtmphandshake.h"

#define PACKET RTMP_HANDSHAKE_PACKET_SIZE
/* The time field the captured vectors were made with (capture.py) */
#define CAPTURE_EPOCH 1000
#define CLIENT_EPOCH 111
#define SERVER_EPOCH 222

/* ---- an independent implementation of the digest layout, on GHmac ---- */

static const guint8 key_tail[32] = { 0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE,
  0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57, 0x6E, 0xEC, 0x5D, 0x2D,
  0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE };

typedef struct
{
  guint8 data[68];
  gsize text_len, len;
} TestKey;

static void
test_key_init (TestKey *key, const gchar *text)
{
  key->text_len = strlen (text);
  key->len = key->text_len + sizeof (key_tail);
  memcpy (key->data, text, key->text_len);
  memcpy (key->data + key->text_len, key_tail, sizeof (key_tail));
}

static TestKey client_key, server_key;

static void
setup_keys (void)
{
  test_key_init (&client_key, "Genuine Adobe Flash Player 001");
  test_key_init (&server_key, "Genuine Adobe Flash Media Server 001");
}

/* HMAC-SHA256 over a then b */
static void
ghmac2 (const guint8 *key, gsize key_len, const guint8 *a, gsize a_len,
    const guint8 *b, gsize b_len, guint8 *out)
{
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  gsize out_len = 32;

  g_hmac_update (hmac, a, a_len);
  g_hmac_update (hmac, b, b_len);
  g_hmac_get_digest (hmac, out, &out_len);
  g_hmac_unref (hmac);
}

static guint
test_digest_offset (const guint8 *packet, guint schema)
{
  guint base = schema == 0 ? 8 : 772;

  return base + 4
      + (packet[base] + packet[base + 1] + packet[base + 2] + packet[base + 3])
      % 728;
}

static void
test_packet_digest (const guint8 *packet, guint offset, const guint8 *key,
    gsize key_len, guint8 *out)
{
  ghmac2 (key, key_len, packet, offset, packet + offset + 32,
      PACKET - offset - 32, out);
}

static guint
test_sign (guint8 *packet, guint schema, const TestKey *key)
{
  guint offset = test_digest_offset (packet, schema);

  test_packet_digest (packet, offset, key->data, key->text_len,
      packet + offset);
  return offset;
}

/* -1 when neither schema holds a digest */
static gint
test_find_digest (const guint8 *packet, const TestKey *key, guint8 *digest)
{
  guint schema;

  for (schema = 0; schema < 2; schema++) {
    guint offset = test_digest_offset (packet, schema);

    test_packet_digest (packet, offset, key->data, key->text_len, digest);
    if (memcmp (digest, packet + offset, 32) == 0)
      return schema;
  }
  return -1;
}

/* A digest C2/S2: @body (1504 bytes), then HMAC (HMAC (full key, peer
 * digest), body) */
static void
test_response (const guint8 *body, const TestKey *key,
    const guint8 *peer_digest, guint8 *out)
{
  guint8 derived[32];

  ghmac2 (key->data, key->len, peer_digest, 32, NULL, 0, derived);
  memcpy (out, body, PACKET - 32);
  ghmac2 (derived, 32, body, PACKET - 32, NULL, 0, out + PACKET - 32);
}

/* ---- helpers ---- */

#define fail_unless_equals_int_with_line(a, b, line) \
  fail_unless ((gint64) (a) == (gint64) (b), \
      "line %d: %" G_GINT64_FORMAT " != %" G_GINT64_FORMAT, line, \
      (gint64) (a), (gint64) (b))

/* The generator of tests/files/handshake/random.bin (seed 12345) */
static void
make_random (guint8 *out, guint32 seed)
{
  gsize i;

  for (i = 0; i < RTMP_HANDSHAKE_RANDOM_SIZE; i++) {
    seed = seed * 1103515245u + 12345u;
    out[i] = (seed >> 16) & 0xff;
  }
}

static GBytes *
load_vector (const gchar *name)
{
  g_autofree gchar *path
      = g_build_filename (RTMP_TEST_FILES_DIR, "handshake", name, NULL);
  g_autoptr (GError) error = NULL;
  gchar *contents;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, &error))
    fail ("cannot load %s: %s", path, error->message);
  return g_bytes_new_take (contents, len);
}

typedef struct
{
  guint n_warnings;
  gchar *last_warning;
  GString *debug;
} LogCapture;

static void
log_capture_init (LogCapture *log)
{
  log->n_warnings = 0;
  log->last_warning = NULL;
  log->debug = g_string_new (NULL);
}

static void
log_capture_clear (LogCapture *log)
{
  g_clear_pointer (&log->last_warning, g_free);
  g_string_free (log->debug, TRUE);
}

static void
capture_log (GLogLevelFlags level, const gchar *message, gpointer user_data)
{
  LogCapture *log = user_data;

  if (level & G_LOG_LEVEL_WARNING) {
    log->n_warnings++;
    g_free (log->last_warning);
    log->last_warning = g_strdup (message);
  } else if (level & G_LOG_LEVEL_DEBUG) {
    g_string_append_printf (log->debug, "%s\n", message);
  } else {
    fail ("unexpected log level %d: %s", level, message);
  }
}

static RtmpHandshake *
new_handshake (RtmpHandshakeRole role, RtmpHandshakeType type,
    const guint8 *random, guint32 epoch, LogCapture *log)
{
  RtmpHandshakeConfig config = {
    0,
  };

  config.role = role;
  config.type = type;
  config.epoch_ms = epoch;
  config.random = random;
  if (log != NULL) {
    config.log_func = capture_log;
    config.log_user_data = log;
    config.log_level = G_LOG_LEVEL_WARNING | G_LOG_LEVEL_DEBUG;
  }
  return rtmp_handshake_new (&config);
}

typedef enum
{
  FEED_WHOLE,
  FEED_BYTEWISE,
  FEED_SPLIT,
} FeedMode;

/* Feeds @data in pieces: whole, byte by byte, or split at @split. Every
 * NEED_MORE must consume its whole piece; feeding stops at OK or ERROR.
 * *consumed is the total consumed. */
static RtmpReadResult
feed (RtmpHandshake *hs, const guint8 *data, gsize len, FeedMode mode,
    gsize split, gsize *consumed, GError **error, gint line)
{
  gsize pos = 0;

  *consumed = 0;
  if (len == 0)
    return rtmp_handshake_receive (hs, data, 0, consumed, error);
  while (pos < len) {
    gsize piece, used = 0;
    RtmpReadResult res;

    switch (mode) {
      case FEED_WHOLE:
        piece = len;
        break;
      case FEED_BYTEWISE:
        piece = 1;
        break;
      default:
        piece = pos < split ? split - pos : len - pos;
        break;
    }
    res = rtmp_handshake_receive (hs, data + pos, piece, &used, error);
    *consumed += used;
    if (res != RTMP_READ_NEED_MORE) {
      fail_unless (used <= piece, "line %d", line);
      return res;
    }
    fail_unless_equals_int_with_line (used, piece, line);
    pos += piece;
  }
  return RTMP_READ_NEED_MORE;
}

static void
assert_output (RtmpHandshake *hs, const guint8 *expected, gsize len, gint line)
{
  g_autoptr (GBytes) out = rtmp_handshake_take_output (hs);
  gsize out_len = 0;
  const guint8 *out_data;
  gsize i;

  fail_unless (out != NULL, "line %d: no output", line);
  out_data = g_bytes_get_data (out, &out_len);
  fail_unless_equals_int_with_line (out_len, len, line);
  for (i = 0; i < len; i++) {
    if (out_data[i] != expected[i])
      fail ("line %d: output byte %" G_GSIZE_FORMAT " is 0x%02x, "
            "expected 0x%02x",
          line, i, out_data[i], expected[i]);
  }
}

static GBytes *
take_output_sized (RtmpHandshake *hs, gsize len, gint line)
{
  GBytes *out = rtmp_handshake_take_output (hs);

  fail_unless (out != NULL, "line %d: no output", line);
  fail_unless_equals_int_with_line (g_bytes_get_size (out), len, line);
  return out;
}

static void
assert_no_output (RtmpHandshake *hs, gint line)
{
  GBytes *out = rtmp_handshake_take_output (hs);

  if (out != NULL) {
    gsize len = g_bytes_get_size (out);

    g_bytes_unref (out);
    fail ("line %d: unexpected output of %" G_GSIZE_FORMAT " bytes", line, len);
  }
}

/* Appends @extra bytes of chunk-stream data that must stay unconsumed */
static GByteArray *
with_trailer (const guint8 *data, gsize len, gsize extra)
{
  GByteArray *a = g_byte_array_new ();
  gsize i;

  g_byte_array_append (a, data, len);
  for (i = 0; i < extra; i++) {
    guint8 b = 0xc0 + i;

    g_byte_array_append (a, &b, 1);
  }
  return a;
}

/* ---- round trips between our two roles ---- */

#define TRAILER 7

typedef enum
{
  SPLIT_NONE,
  SPLIT_C0C1,
  SPLIT_S0S1S2,
  SPLIT_C2,
} SplitWhere;

static void
round_trip (RtmpHandshakeType client_type, FeedMode mode, SplitWhere where,
    gsize split, gint line)
{
  guint8 client_random[RTMP_HANDSHAKE_RANDOM_SIZE];
  guint8 server_random[RTMP_HANDSHAKE_RANDOM_SIZE];
  LogCapture client_log, server_log;
  RtmpHandshake *client, *server;
  GBytes *c0c1, *s0s1s2, *c2;
  GByteArray *in;
  gsize consumed;
  GError *error = NULL;
  RtmpReadResult res;

  make_random (client_random, 1);
  make_random (server_random, 2);
  log_capture_init (&client_log);
  log_capture_init (&server_log);
  client = new_handshake (RTMP_HANDSHAKE_ROLE_CLIENT, client_type,
      client_random, CLIENT_EPOCH, &client_log);
  server = new_handshake (RTMP_HANDSHAKE_ROLE_SERVER, RTMP_HANDSHAKE_SIMPLE,
      server_random, SERVER_EPOCH, &server_log);
  assert_no_output (server, line);

  c0c1 = take_output_sized (client, 1 + PACKET, line);
  res = feed (server, g_bytes_get_data (c0c1, NULL), 1 + PACKET,
      where == SPLIT_C0C1 ? FEED_SPLIT : mode, split, &consumed, &error, line);
  fail_unless_equals_int_with_line (res, RTMP_READ_NEED_MORE, line);
  fail_unless (!rtmp_handshake_is_complete (server), "line %d", line);
  fail_unless_equals_int_with_line (rtmp_handshake_get_peer_type (server),
      client_type, line);
  fail_unless_equals_int_with_line (rtmp_handshake_get_peer_epoch (server),
      CLIENT_EPOCH, line);

  s0s1s2 = take_output_sized (server, 1 + 2 * PACKET, line);
  in = with_trailer (g_bytes_get_data (s0s1s2, NULL), 1 + 2 * PACKET, TRAILER);
  res = feed (client, in->data, in->len,
      where == SPLIT_S0S1S2 ? FEED_SPLIT : mode, split, &consumed, &error,
      line);
  fail_unless (error == NULL, "line %d: %s", line, error ? error->message : "");
  fail_unless_equals_int_with_line (res, RTMP_READ_OK, line);
  fail_unless_equals_int_with_line (consumed, 1 + 2 * PACKET, line);
  fail_unless (rtmp_handshake_is_complete (client), "line %d", line);
  fail_unless_equals_int_with_line (rtmp_handshake_get_peer_type (client),
      client_type, line);
  fail_unless_equals_int_with_line (rtmp_handshake_get_peer_epoch (client),
      SERVER_EPOCH, line);
  g_byte_array_unref (in);

  c2 = take_output_sized (client, PACKET, line);
  in = with_trailer (g_bytes_get_data (c2, NULL), PACKET, TRAILER);
  res = feed (server, in->data, in->len, where == SPLIT_C2 ? FEED_SPLIT : mode,
      split, &consumed, &error, line);
  fail_unless_equals_int_with_line (res, RTMP_READ_OK, line);
  fail_unless_equals_int_with_line (consumed, PACKET, line);
  fail_unless (rtmp_handshake_is_complete (server), "line %d", line);
  g_byte_array_unref (in);

  assert_no_output (client, line);
  assert_no_output (server, line);
  fail_unless_equals_int_with_line (client_log.n_warnings, 0, line);
  fail_unless_equals_int_with_line (server_log.n_warnings, 0, line);

  g_bytes_unref (c0c1);
  g_bytes_unref (s0s1s2);
  g_bytes_unref (c2);
  rtmp_handshake_free (client);
  rtmp_handshake_free (server);
  log_capture_clear (&client_log);
  log_capture_clear (&server_log);
}

static void
round_trip_all_ways (RtmpHandshakeType client_type, gint line)
{
  gsize split;

  round_trip (client_type, FEED_WHOLE, SPLIT_NONE, 0, line);
  round_trip (client_type, FEED_BYTEWISE, SPLIT_NONE, 0, line);
  for (split = 0; split <= 1 + PACKET; split++)
    round_trip (client_type, FEED_WHOLE, SPLIT_C0C1, split, line);
  for (split = 0; split <= 1 + 2 * PACKET + TRAILER; split++)
    round_trip (client_type, FEED_WHOLE, SPLIT_S0S1S2, split, line);
  for (split = 0; split <= PACKET + TRAILER; split++)
    round_trip (client_type, FEED_WHOLE, SPLIT_C2, split, line);
}

GST_START_TEST (test_round_trip_simple)
{
  /* a simple client and our digest-capable server, which answers simply */
  round_trip_all_ways (RTMP_HANDSHAKE_SIMPLE, __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_round_trip_digest)
{
  round_trip_all_ways (RTMP_HANDSHAKE_DIGEST, __LINE__);
}

GST_END_TEST;

/* ---- byte-exact packets ---- */

static void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static void
expected_packet1 (guint8 *packet, guint32 epoch, guint32 version,
    const guint8 *random)
{
  put_be32 (packet, epoch);
  put_be32 (packet + 4, version);
  memcpy (packet + 8, random + 8, PACKET - 8);
}

/* A digest client's C0+C1: version 9.0.124.2 and the digest at schema 0,
 * as FFmpeg sends */
GST_START_TEST (test_client_c0c1_digest_bytes)
{
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  guint8 expected[1 + PACKET];
  g_autoptr (RtmpHandshake) hs = NULL;
  guint offset;

  make_random (random, 5);
  expected[0] = 3;
  expected_packet1 (expected + 1, 0x01020304, 0x09007c02, random);
  offset = test_sign (expected + 1, 0, &client_key);
  fail_unless (offset >= 12 && offset < 12 + 728);

  hs = new_handshake (RTMP_HANDSHAKE_ROLE_CLIENT, RTMP_HANDSHAKE_DIGEST, random,
      0x01020304, NULL);
  assert_output (hs, expected, sizeof (expected), __LINE__);
  assert_no_output (hs, __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_client_c0c1_simple_bytes)
{
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  guint8 expected[1 + PACKET];
  g_autoptr (RtmpHandshake) hs = NULL;

  make_random (random, 6);
  expected[0] = 3;
  expected_packet1 (expected + 1, 77, 0, random);

  hs = new_handshake (RTMP_HANDSHAKE_ROLE_CLIENT, RTMP_HANDSHAKE_SIMPLE, random,
      77, NULL);
  assert_output (hs, expected, sizeof (expected), __LINE__);
}

GST_END_TEST;

/* The server answers a digest C1 in the client's schema, with S2 keyed
 * from C1's digest; both schemas. */
GST_START_TEST (test_server_digest_bytes_both_schemas)
{
  guint schema;

  for (schema = 0; schema < 2; schema++) {
    guint8 client_random[RTMP_HANDSHAKE_RANDOM_SIZE];
    guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
    guint8 c0c1[1 + PACKET], expected[1 + 2 * PACKET], c1_digest[32];
    g_autoptr (RtmpHandshake) hs = NULL;
    gsize consumed;
    guint offset;

    make_random (client_random, 10 + schema);
    make_random (random, 20 + schema);
    c0c1[0] = 3;
    expected_packet1 (c0c1 + 1, 5, 0x80000702, client_random);
    offset = test_sign (c0c1 + 1, schema, &client_key);
    memcpy (c1_digest, c0c1 + 1 + offset, 32);

    expected[0] = 3;
    expected_packet1 (expected + 1, SERVER_EPOCH, 0x05000301, random);
    offset = test_sign (expected + 1, schema, &server_key);
    fail_unless_equals_int (offset, test_digest_offset (expected + 1, schema));
    test_response (random + PACKET, &server_key, c1_digest,
        expected + 1 + PACKET);

    hs = new_handshake (RTMP_HANDSHAKE_ROLE_SERVER, RTMP_HANDSHAKE_SIMPLE,
        random, SERVER_EPOCH, NULL);
    fail_unless_equals_int (
        rtmp_handshake_receive (hs, c0c1, sizeof (c0c1), &consumed, NULL),
        RTMP_READ_NEED_MORE);
    fail_unless_equals_int (consumed, sizeof (c0c1));
    fail_unless_equals_int (rtmp_handshake_get_peer_type (hs),
        RTMP_HANDSHAKE_DIGEST);
    fail_unless_equals_int (rtmp_handshake_get_peer_version (hs), 0x80000702);
    assert_output (hs, expected, sizeof (expected), __LINE__);
  }
}

GST_END_TEST;

/* A simple C1 gets a simple S1 (zero version field) and an S2 that is a
 * copy of C1 */
GST_START_TEST (test_server_simple_bytes)
{
  guint8 client_random[RTMP_HANDSHAKE_RANDOM_SIZE];
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  guint8 c0c1[1 + PACKET], expected[1 + 2 * PACKET];
  g_autoptr (RtmpHandshake) hs = NULL;
  gsize consumed;

  make_random (client_random, 30);
  make_random (random, 31);
  c0c1[0] = 3;
  expected_packet1 (c0c1 + 1, 4242, 0, client_random);
  expected[0] = 3;
  expected_packet1 (expected + 1, SERVER_EPOCH, 0, random);
  memcpy (expected + 1 + PACKET, c0c1 + 1, PACKET);

  hs = new_handshake (RTMP_HANDSHAKE_ROLE_SERVER, RTMP_HANDSHAKE_SIMPLE, random,
      SERVER_EPOCH, NULL);
  fail_unless_equals_int (
      rtmp_handshake_receive (hs, c0c1, sizeof (c0c1), &consumed, NULL),
      RTMP_READ_NEED_MORE);
  fail_unless_equals_int (rtmp_handshake_get_peer_type (hs),
      RTMP_HANDSHAKE_SIMPLE);
  fail_unless_equals_int (rtmp_handshake_get_peer_epoch (hs), 4242);
  assert_output (hs, expected, sizeof (expected), __LINE__);
}

GST_END_TEST;

/* C2 is queued as soon as S1 is in, before S2 */
GST_START_TEST (test_client_c2_before_s2)
{
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  g_autoptr (RtmpHandshake) hs = NULL;
  g_autoptr (GBytes) c0c1 = NULL;
  g_autoptr (GBytes) s0s1s2 = load_vector ("nginx-digest-s0s1s2.bin");
  const guint8 *s = g_bytes_get_data (s0s1s2, NULL);
  guint8 s1_digest[32], expected_c2[PACKET];
  gsize consumed;

  make_random (random, 12345);
  hs = new_handshake (RTMP_HANDSHAKE_ROLE_CLIENT, RTMP_HANDSHAKE_DIGEST, random,
      CAPTURE_EPOCH, NULL);
  c0c1 = take_output_sized (hs, 1 + PACKET, __LINE__);

  fail_unless_equals_int (
      rtmp_handshake_receive (hs, s, PACKET, &consumed, NULL),
      RTMP_READ_NEED_MORE);
  assert_no_output (hs, __LINE__);
  fail_unless_equals_int (
      rtmp_handshake_receive (hs, s + PACKET, 1, &consumed, NULL),
      RTMP_READ_NEED_MORE);

  /* the digest C2: random[1536..3039], then the digest keyed from S1's */
  fail_unless_equals_int (test_find_digest (s + 1, &server_key, s1_digest), 0);
  test_response (random + PACKET, &client_key, s1_digest, expected_c2);
  assert_output (hs, expected_c2, PACKET, __LINE__);

  fail_unless_equals_int (
      rtmp_handshake_receive (hs, s + PACKET + 1, PACKET, &consumed, NULL),
      RTMP_READ_OK);
  fail_unless_equals_int (consumed, PACKET);
  assert_no_output (hs, __LINE__);
}

GST_END_TEST;

/* random.bin, used by capture.py, is make_random (seed 12345) */
GST_START_TEST (test_random_vector)
{
  g_autoptr (GBytes) file = load_vector ("random.bin");
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];

  make_random (random, 12345);
  fail_unless_equals_int (g_bytes_get_size (file), sizeof (random));
  fail_unless (
      memcmp (g_bytes_get_data (file, NULL), random, sizeof (random)) == 0);
}

GST_END_TEST;

/* ---- captured peers ---- */

typedef struct
{
  RtmpHandshakeType peer_type;
  guint32 peer_version;
  guint32 peer_epoch; /* G_MAXUINT32: do not check */
  guint n_warnings;
  const gchar *debug; /* nullable: must appear in the debug log */
} PeerExpectation;

/* Our client, built with random.bin and the capture's epoch, sends exactly
 * the C0+C1 capture.py sent (an independent implementation), then accepts
 * the server's S0+S1+S2 fed whole, byte by byte and split everywhere, and
 * leaves the bytes after S2 alone. */
static void
client_against_capture (const gchar *prefix, RtmpHandshakeType type,
    const PeerExpectation *expect, gint line)
{
  g_autofree gchar *c0c1_name = g_strdup_printf ("%s-c0c1.bin", prefix);
  g_autofree gchar *s_name = g_strdup_printf ("%s-s0s1s2.bin", prefix);
  g_autoptr (GBytes) c0c1 = load_vector (c0c1_name);
  g_autoptr (GBytes) s0s1s2 = load_vector (s_name);
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  GByteArray *in;
  guint mode;
  gsize split = 0;

  fail_unless_equals_int_with_line (g_bytes_get_size (s0s1s2), 1 + 2 * PACKET,
      line);
  make_random (random, 12345);
  in = with_trailer (g_bytes_get_data (s0s1s2, NULL), 1 + 2 * PACKET, TRAILER);

  for (mode = FEED_WHOLE; mode <= FEED_SPLIT; mode++) {
    do {
      LogCapture log;
      RtmpHandshake *hs;
      GError *error = NULL;
      gsize consumed;
      RtmpReadResult res;

      log_capture_init (&log);
      hs = new_handshake (RTMP_HANDSHAKE_ROLE_CLIENT, type, random,
          CAPTURE_EPOCH, &log);
      assert_output (hs, g_bytes_get_data (c0c1, NULL), 1 + PACKET, line);
      res = feed (hs, in->data, in->len, mode, split, &consumed, &error, line);
      fail_unless (error == NULL, "line %d: %s", line,
          error ? error->message : "");
      fail_unless_equals_int_with_line (res, RTMP_READ_OK, line);
      fail_unless_equals_int_with_line (consumed, 1 + 2 * PACKET, line);
      fail_unless_equals_int_with_line (rtmp_handshake_get_peer_type (hs),
          expect->peer_type, line);
      fail_unless_equals_int_with_line (rtmp_handshake_get_peer_version (hs),
          expect->peer_version, line);
      if (expect->peer_epoch != G_MAXUINT32)
        fail_unless_equals_int_with_line (rtmp_handshake_get_peer_epoch (hs),
            expect->peer_epoch, line);
      fail_unless_equals_int_with_line (log.n_warnings, expect->n_warnings,
          line);
      if (expect->debug != NULL)
        fail_unless (strstr (log.debug->str, expect->debug) != NULL,
            "line %d: no '%s' in %s", line, expect->debug, log.debug->str);
      g_bytes_unref (take_output_sized (hs, PACKET, line));
      rtmp_handshake_free (hs);
      log_capture_clear (&log);
    } while (mode == FEED_SPLIT && ++split <= in->len);
  }
  g_byte_array_unref (in);
}

/* Our server, built with random.bin and the capture's epoch, answers the
 * captured client's C0+C1 exactly as capture.py did, and accepts its C2. */
static void
server_against_capture (const gchar *prefix, const PeerExpectation *expect,
    gint line)
{
  g_autofree gchar *c0c1_name = g_strdup_printf ("%s-c0c1.bin", prefix);
  g_autofree gchar *s_name = g_strdup_printf ("%s-s0s1s2.bin", prefix);
  g_autofree gchar *c2_name = g_strdup_printf ("%s-c2.bin", prefix);
  g_autoptr (GBytes) c0c1 = load_vector (c0c1_name);
  g_autoptr (GBytes) s0s1s2 = load_vector (s_name);
  g_autoptr (GBytes) c2 = load_vector (c2_name);
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  GByteArray *stream, *in;
  guint mode;
  gsize split = 0;

  make_random (random, 12345);
  /* the client's bytes in one stream, then chunk data */
  stream = g_byte_array_new ();
  g_byte_array_append (stream, g_bytes_get_data (c0c1, NULL), 1 + PACKET);
  g_byte_array_append (stream, g_bytes_get_data (c2, NULL), PACKET);
  in = with_trailer (stream->data, stream->len, TRAILER);
  g_byte_array_unref (stream);

  for (mode = FEED_WHOLE; mode <= FEED_SPLIT; mode++) {
    do {
      LogCapture log;
      RtmpHandshake *hs;
      GError *error = NULL;
      gsize consumed;
      RtmpReadResult res;

      log_capture_init (&log);
      hs = new_handshake (RTMP_HANDSHAKE_ROLE_SERVER, RTMP_HANDSHAKE_SIMPLE,
          random, CAPTURE_EPOCH, &log);
      res = feed (hs, in->data, in->len, mode, split, &consumed, &error, line);
      fail_unless (error == NULL, "line %d: %s", line,
          error ? error->message : "");
      fail_unless_equals_int_with_line (res, RTMP_READ_OK, line);
      fail_unless_equals_int_with_line (consumed, 1 + 2 * PACKET, line);
      assert_output (hs, g_bytes_get_data (s0s1s2, NULL), 1 + 2 * PACKET, line);
      fail_unless_equals_int_with_line (rtmp_handshake_get_peer_type (hs),
          expect->peer_type, line);
      fail_unless_equals_int_with_line (rtmp_handshake_get_peer_version (hs),
          expect->peer_version, line);
      if (expect->peer_epoch != G_MAXUINT32)
        fail_unless_equals_int_with_line (rtmp_handshake_get_peer_epoch (hs),
            expect->peer_epoch, line);
      fail_unless_equals_int_with_line (log.n_warnings, expect->n_warnings,
          line);
      if (expect->debug != NULL)
        fail_unless (strstr (log.debug->str, expect->debug) != NULL,
            "line %d: no '%s' in %s", line, expect->debug, log.debug->str);
      rtmp_handshake_free (hs);
      log_capture_clear (&log);
    } while (mode == FEED_SPLIT && ++split <= in->len);
  }
  g_byte_array_unref (in);
}

/* nginx-rtmp 1.2.2 (Debian 12) as server, digest C1: S1 signed at schema 0
 * with version 13.14.10.13, S2 keyed from our C1 digest */
GST_START_TEST (test_nginx_digest_server)
{
  PeerExpectation expect = { RTMP_HANDSHAKE_DIGEST, 0x0d0e0a0d, G_MAXUINT32, 0,
    "S1: digest found at schema 0" };

  client_against_capture ("nginx-digest", RTMP_HANDSHAKE_DIGEST, &expect,
      __LINE__);
}

GST_END_TEST;

/* nginx-rtmp as server, simple C1: S1 and S2 are copies of C1 */
GST_START_TEST (test_nginx_simple_server)
{
  PeerExpectation expect = { RTMP_HANDSHAKE_SIMPLE, 0, CAPTURE_EPOCH, 0, NULL };

  client_against_capture ("nginx-simple", RTMP_HANDSHAKE_SIMPLE, &expect,
      __LINE__);
}

GST_END_TEST;

/* ffmpeg -listen 1 (FFmpeg 5.1) answers a digest C1 simply: zero version
 * field, S1 time copied from C1, S2 = C1 with a zero time2 */
GST_START_TEST (test_ffmpeg_listen_server)
{
  PeerExpectation expect = { RTMP_HANDSHAKE_SIMPLE, 0, CAPTURE_EPOCH, 0, NULL };

  client_against_capture ("ffmpeg-listen", RTMP_HANDSHAKE_DIGEST, &expect,
      __LINE__);
}

GST_END_TEST;

/* FFmpeg 5.1 playing: digest C1 at schema 0, version 9.0.124.2, time 0; it
 * checks our S1 and S2 and sends a digest C2 */
GST_START_TEST (test_ffmpeg_play_client)
{
  PeerExpectation expect
      = { RTMP_HANDSHAKE_DIGEST, 0x09007c02, 0, 0, "C2: digest matches S1's" };

  server_against_capture ("ffmpeg-play", &expect, __LINE__);
}

GST_END_TEST;

/* FFmpeg 5.1 publishing: the same digest C1, but it checks nothing and
 * echoes S1 as C2 */
GST_START_TEST (test_ffmpeg_publish_client)
{
  PeerExpectation expect
      = { RTMP_HANDSHAKE_DIGEST, 0x09007c02, 0, 0, "C2: echoes S1" };

  server_against_capture ("ffmpeg-publish", &expect, __LINE__);
}

GST_END_TEST;

/* nginx-rtmp pushing (relay client): version 12.0.13.14, digest at schema
 * 0, digest C2 */
GST_START_TEST (test_nginx_push_client)
{
  PeerExpectation expect = { RTMP_HANDSHAKE_DIGEST, 0x0c000d0e, G_MAXUINT32, 0,
    "C2: digest matches S1's" };

  server_against_capture ("nginx-push", &expect, __LINE__);
}

GST_END_TEST;

/* rtmpdump 2.4 (librtmp) with SWF verification parameters: the FP9
 * handshake, version 10.0.45.2, digest C2 */
GST_START_TEST (test_rtmpdump_fp9_client)
{
  PeerExpectation expect = { RTMP_HANDSHAKE_DIGEST, 0x0a002d02, G_MAXUINT32, 0,
    "C2: digest matches S1's" };

  server_against_capture ("rtmpdump-fp9", &expect, __LINE__);
}

GST_END_TEST;

/* rtmpdump 2.4 plain: simple C1, C2 a copy of S1 */
GST_START_TEST (test_rtmpdump_simple_client)
{
  PeerExpectation expect
      = { RTMP_HANDSHAKE_SIMPLE, 0, G_MAXUINT32, 0, "C2: echoes S1" };

  server_against_capture ("rtmpdump-simple", &expect, __LINE__);
}

GST_END_TEST;

/* ---- errors and tolerated quirks ---- */

static void
assert_version_error (RtmpHandshakeRole role, const gchar *data, gsize len,
    gint code, const gchar *message, gint line)
{
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  g_autoptr (RtmpHandshake) hs = NULL;
  g_autoptr (GError) error = NULL;
  gsize consumed;

  make_random (random, 40);
  hs = new_handshake (role, RTMP_HANDSHAKE_DIGEST, random, 0, NULL);
  g_bytes_unref (rtmp_handshake_take_output (hs));
  fail_unless_equals_int_with_line (rtmp_handshake_receive (hs,
                                        (const guint8 *) data, len, &consumed,
                                        &error),
      RTMP_READ_ERROR, line);
  fail_unless (error != NULL, "line %d", line);
  fail_unless (error->domain == RTMP_ERROR, "line %d", line);
  fail_unless_equals_int_with_line (error->code, code, line);
  fail_unless (g_str_equal (error->message, message), "line %d: '%s' != '%s'",
      line, error->message, message);
  assert_no_output (hs, line);
}

GST_START_TEST (test_version_errors)
{
  static const gchar http_request[] = "GET /live HTTP/1.1\r\nHost: x\r\n\r\n";
  static const gchar http_response[] = "HTTP/1.1 400 Bad Request\r\n\r\n";

  assert_version_error (RTMP_HANDSHAKE_ROLE_SERVER, http_request,
      strlen (http_request), RTMP_ERROR_MALFORMED,
      "C0 version 0x47 ('G'): not RTMP — an HTTP request?", __LINE__);
  assert_version_error (RTMP_HANDSHAKE_ROLE_CLIENT, http_response,
      strlen (http_response), RTMP_ERROR_MALFORMED,
      "S0 version 0x48 ('H'): not RTMP — an HTTP response?", __LINE__);
  assert_version_error (RTMP_HANDSHAKE_ROLE_SERVER, "\x06", 1,
      RTMP_ERROR_UNSUPPORTED, "RTMPE handshake (type 6) not supported yet",
      __LINE__);
  assert_version_error (RTMP_HANDSHAKE_ROLE_SERVER, "\x08", 1,
      RTMP_ERROR_UNSUPPORTED, "RTMPE handshake (type 8) not supported yet",
      __LINE__);
  assert_version_error (RTMP_HANDSHAKE_ROLE_CLIENT, "\x09", 1,
      RTMP_ERROR_UNSUPPORTED, "RTMPE handshake (type 9) not supported yet",
      __LINE__);
  assert_version_error (RTMP_HANDSHAKE_ROLE_SERVER, "\x16\x03\x01", 3,
      RTMP_ERROR_MALFORMED,
      "C0 version 0x16: not RTMP — the peer speaks TLS (rtmps?)", __LINE__);
  assert_version_error (RTMP_HANDSHAKE_ROLE_SERVER, "\0", 1,
      RTMP_ERROR_MALFORMED, "C0 version 0x00: not RTMP (expected 0x03)",
      __LINE__);
  assert_version_error (RTMP_HANDSHAKE_ROLE_CLIENT, "\x04", 1,
      RTMP_ERROR_MALFORMED, "S0 version 0x04: not RTMP (expected 0x03)",
      __LINE__);
  assert_version_error (RTMP_HANDSHAKE_ROLE_SERVER, "x", 1,
      RTMP_ERROR_MALFORMED, "C0 version 0x78 ('x'): not RTMP (expected 0x03)",
      __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_config_check)
{
  RtmpHandshakeConfig config = {
    0,
  };
  g_autoptr (GError) error = NULL;

  config.role = RTMP_HANDSHAKE_ROLE_CLIENT;
  fail_unless (rtmp_handshake_config_check (&config, NULL));
  config.version = RTMP_HANDSHAKE_VERSION_PLAIN;
  fail_unless (rtmp_handshake_config_check (&config, NULL));

  config.version = RTMP_HANDSHAKE_VERSION_ENCRYPTED;
  fail_if (rtmp_handshake_config_check (&config, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED));
  fail_unless_equals_string (error->message,
      "RTMPE handshake (type 6) not supported yet");
  g_clear_error (&error);

  config.version = 4;
  fail_if (rtmp_handshake_config_check (&config, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED));
  g_clear_error (&error);

  /* a server answers in the version the client chose */
  config.role = RTMP_HANDSHAKE_ROLE_SERVER;
  fail_unless (rtmp_handshake_config_check (&config, NULL));
}

GST_END_TEST;

/* Truncated input is never an error: every byte is taken, nothing is
 * answered early. */
GST_START_TEST (test_truncated_need_more)
{
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  g_autoptr (RtmpHandshake) hs = NULL;
  g_autoptr (GBytes) c0c1 = load_vector ("ffmpeg-play-c0c1.bin");
  gsize consumed;

  make_random (random, 12345);
  hs = new_handshake (RTMP_HANDSHAKE_ROLE_SERVER, RTMP_HANDSHAKE_SIMPLE, random,
      0, NULL);
  fail_unless_equals_int (rtmp_handshake_receive (hs, NULL, 0, &consumed, NULL),
      RTMP_READ_NEED_MORE);
  fail_unless_equals_int (consumed, 0);
  fail_unless_equals_int (rtmp_handshake_receive (hs,
                              g_bytes_get_data (c0c1, NULL), PACKET, &consumed,
                              NULL),
      RTMP_READ_NEED_MORE);
  fail_unless_equals_int (consumed, PACKET);
  assert_no_output (hs, __LINE__);
  fail_if (rtmp_handshake_is_complete (hs));
}

GST_END_TEST;

static GBytes *
modified_vector (const gchar *name, gsize offset, guint8 xor)
{
  GBytes *bytes = load_vector (name);
  gsize len;
  guint8 *data = g_bytes_unref_to_data (bytes, &len);

  fail_unless (offset < len);
  data[offset] ^= xor;
  return g_bytes_new_take (data, len);
}

/* S1 claims a version but its digest does not verify: a digest client
 * fails, a simple client (which asked for nothing) carries on. */
GST_START_TEST (test_s1_digest_invalid)
{
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  /* the time field is covered by the digest */
  g_autoptr (GBytes) s0s1s2
      = modified_vector ("nginx-digest-s0s1s2.bin", 1, 0x01);
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpHandshake) hs = NULL;
  g_autoptr (RtmpHandshake) simple = NULL;
  gchar *expected_message;
  LogCapture log;
  gsize consumed;

  make_random (random, 12345);
  hs = new_handshake (RTMP_HANDSHAKE_ROLE_CLIENT, RTMP_HANDSHAKE_DIGEST, random,
      CAPTURE_EPOCH, NULL);
  g_bytes_unref (rtmp_handshake_take_output (hs));
  fail_unless_equals_int (rtmp_handshake_receive (hs,
                              g_bytes_get_data (s0s1s2, NULL), 1 + 2 * PACKET,
                              &consumed, &error),
      RTMP_READ_ERROR);
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_MALFORMED));
  expected_message = g_strdup_printf (
      "S1: server version 13.14.10.13 "
      "announces a digest handshake, but neither schema 0 (offset %u) nor "
      "schema 1 (offset %u) holds a valid HMAC-SHA256 digest",
      test_digest_offset ((const guint8 *) g_bytes_get_data (s0s1s2, NULL) + 1,
          0),
      test_digest_offset ((const guint8 *) g_bytes_get_data (s0s1s2, NULL) + 1,
          1));
  fail_unless_equals_string (error->message, expected_message);
  g_free (expected_message);
  assert_no_output (hs, __LINE__);

  /* the simple client: S2 (nginx's digest S2) is no echo either: a warning */
  log_capture_init (&log);
  simple = new_handshake (RTMP_HANDSHAKE_ROLE_CLIENT, RTMP_HANDSHAKE_SIMPLE,
      random, CAPTURE_EPOCH, &log);
  g_bytes_unref (rtmp_handshake_take_output (simple));
  fail_unless_equals_int (rtmp_handshake_receive (simple,
                              g_bytes_get_data (s0s1s2, NULL), 1 + 2 * PACKET,
                              &consumed, NULL),
      RTMP_READ_OK);
  fail_unless_equals_int (rtmp_handshake_get_peer_type (simple),
      RTMP_HANDSHAKE_SIMPLE);
  fail_unless_equals_int (log.n_warnings, 1);
  fail_unless_equals_string (log.last_warning,
      "S2 does not echo C1's time and random bytes; ignored");
  /* its C2 is a copy of S1 */
  assert_output (simple, (const guint8 *) g_bytes_get_data (s0s1s2, NULL) + 1,
      PACKET, __LINE__);
  log_capture_clear (&log);
}

GST_END_TEST;

/* A digest server's S2 must carry the digest derived from our C1's */
GST_START_TEST (test_s2_digest_invalid)
{
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  gsize offsets[] = { 1 + PACKET, 1 + PACKET + 1503, 1 + 2 * PACKET - 1 };
  guint i;

  make_random (random, 12345);
  for (i = 0; i < G_N_ELEMENTS (offsets); i++) {
    g_autoptr (GBytes) s0s1s2
        = modified_vector ("nginx-digest-s0s1s2.bin", offsets[i], 0x40);
    g_autoptr (GError) error = NULL;
    g_autoptr (RtmpHandshake) hs = NULL;
    gsize consumed;

    hs = new_handshake (RTMP_HANDSHAKE_ROLE_CLIENT, RTMP_HANDSHAKE_DIGEST,
        random, CAPTURE_EPOCH, NULL);
    fail_unless_equals_int (rtmp_handshake_receive (hs,
                                g_bytes_get_data (s0s1s2, NULL), 1 + 2 * PACKET,
                                &consumed, &error),
        RTMP_READ_ERROR);
    fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_MALFORMED));
    fail_unless_equals_string (error->message,
        "S2: the HMAC-SHA256 digest in bytes 1504..1535 is not the one "
        "derived from C1's digest");
    fail_if (rtmp_handshake_is_complete (hs));
  }
}

GST_END_TEST;

/* A simple S2 that does not echo C1 (datarhei Restreamer) is tolerated
 * with a warning; one differing only in time2 is fine (FFmpeg). */
GST_START_TEST (test_s2_echo_mismatch_warns)
{
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  gsize offsets[]
      = { 1 + PACKET, 1 + PACKET + 8, 1 + 2 * PACKET - 1, 1 + PACKET + 5 };
  guint i;

  make_random (random, 12345);
  for (i = 0; i < G_N_ELEMENTS (offsets); i++) {
    g_autoptr (GBytes) s0s1s2
        = modified_vector ("nginx-simple-s0s1s2.bin", offsets[i], 0x01);
    g_autoptr (RtmpHandshake) hs = NULL;
    LogCapture log;
    gsize consumed;

    log_capture_init (&log);
    hs = new_handshake (RTMP_HANDSHAKE_ROLE_CLIENT, RTMP_HANDSHAKE_SIMPLE,
        random, CAPTURE_EPOCH, &log);
    fail_unless_equals_int (rtmp_handshake_receive (hs,
                                g_bytes_get_data (s0s1s2, NULL), 1 + 2 * PACKET,
                                &consumed, NULL),
        RTMP_READ_OK);
    if (offsets[i] == 1 + PACKET + 5) {
      fail_unless_equals_int (log.n_warnings, 0);
    } else {
      fail_unless_equals_int (log.n_warnings, 1);
      fail_unless_equals_string (log.last_warning,
          "S2 does not echo C1's time and random bytes; ignored");
    }
    log_capture_clear (&log);
  }
}

GST_END_TEST;

/* A C1 with a version field but no digest gets the simple handshake, as
 * nginx-rtmp answers it, with a warning */
GST_START_TEST (test_server_c1_version_without_digest)
{
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  g_autoptr (GBytes) c0c1 = modified_vector ("ffmpeg-play-c0c1.bin", 1, 0x01);
  const guint8 *c = g_bytes_get_data (c0c1, NULL);
  guint8 expected[1 + 2 * PACKET];
  g_autoptr (RtmpHandshake) hs = NULL;
  gchar *message;
  LogCapture log;
  gsize consumed;

  make_random (random, 12345);
  log_capture_init (&log);
  hs = new_handshake (RTMP_HANDSHAKE_ROLE_SERVER, RTMP_HANDSHAKE_SIMPLE, random,
      CAPTURE_EPOCH, &log);
  fail_unless_equals_int (
      rtmp_handshake_receive (hs, c, 1 + PACKET, &consumed, NULL),
      RTMP_READ_NEED_MORE);
  fail_unless_equals_int (rtmp_handshake_get_peer_type (hs),
      RTMP_HANDSHAKE_SIMPLE);
  fail_unless_equals_int (log.n_warnings, 1);
  message = g_strdup_printf (
      "C1: version field 9.0.124.2 but no valid "
      "digest at schema 0 (offset %u) or schema 1 (offset %u); answering "
      "with the simple handshake, as nginx-rtmp does",
      test_digest_offset (c + 1, 0), test_digest_offset (c + 1, 1));
  fail_unless_equals_string (log.last_warning, message);
  g_free (message);

  expected[0] = 3;
  expected_packet1 (expected + 1, CAPTURE_EPOCH, 0, random);
  memcpy (expected + 1 + PACKET, c + 1, PACKET);
  assert_output (hs, expected, sizeof (expected), __LINE__);
  log_capture_clear (&log);
}

GST_END_TEST;

/* Whatever C2 holds, the server completes (nginx-rtmp ignores C2); a C2
 * that neither echoes S1 nor carries the digest is logged. */
GST_START_TEST (test_server_c2_garbage_warns)
{
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  g_autoptr (GBytes) c0c1 = load_vector ("ffmpeg-play-c0c1.bin");
  g_autoptr (GBytes) c2 = modified_vector ("ffmpeg-play-c2.bin", 100, 0x10);
  g_autoptr (RtmpHandshake) hs = NULL;
  LogCapture log;
  gsize consumed;

  make_random (random, 12345);
  log_capture_init (&log);
  hs = new_handshake (RTMP_HANDSHAKE_ROLE_SERVER, RTMP_HANDSHAKE_SIMPLE, random,
      CAPTURE_EPOCH, &log);
  fail_unless_equals_int (rtmp_handshake_receive (hs,
                              g_bytes_get_data (c0c1, NULL), 1 + PACKET,
                              &consumed, NULL),
      RTMP_READ_NEED_MORE);
  fail_unless_equals_int (rtmp_handshake_receive (hs,
                              g_bytes_get_data (c2, NULL), PACKET, &consumed,
                              NULL),
      RTMP_READ_OK);
  fail_unless (rtmp_handshake_is_complete (hs));
  fail_unless_equals_int (log.n_warnings, 1);
  fail_unless_equals_string (log.last_warning,
      "C2 neither echoes S1 nor carries the digest derived from S1's; "
      "ignored, as nginx-rtmp does");
  log_capture_clear (&log);
}

GST_END_TEST;

/* Once complete, more input is left for the chunk stream */
GST_START_TEST (test_receive_after_complete)
{
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  g_autoptr (GBytes) s0s1s2 = load_vector ("nginx-simple-s0s1s2.bin");
  g_autoptr (RtmpHandshake) hs = NULL;
  const guint8 chunk[] = { 0x02, 0x00, 0x00, 0x00 };
  gsize consumed = 99;

  make_random (random, 12345);
  hs = new_handshake (RTMP_HANDSHAKE_ROLE_CLIENT, RTMP_HANDSHAKE_SIMPLE, random,
      CAPTURE_EPOCH, NULL);
  fail_unless_equals_int (rtmp_handshake_receive (hs,
                              g_bytes_get_data (s0s1s2, NULL), 1 + 2 * PACKET,
                              &consumed, NULL),
      RTMP_READ_OK);
  fail_unless_equals_int (consumed, 1 + 2 * PACKET);
  fail_unless_equals_int (
      rtmp_handshake_receive (hs, chunk, sizeof (chunk), &consumed, NULL),
      RTMP_READ_OK);
  fail_unless_equals_int (consumed, 0);
}

GST_END_TEST;

/* log_level is a mask: without WARNING a tolerated quirk stays silent,
 * without DEBUG progress does */
GST_START_TEST (test_log_level_mask)
{
  guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  g_autoptr (GBytes) c0c1 = load_vector ("ffmpeg-play-c0c1.bin");
  g_autoptr (GBytes) c2 = modified_vector ("ffmpeg-play-c2.bin", 100, 0x10);
  GLogLevelFlags levels[] = { 0, G_LOG_LEVEL_WARNING, G_LOG_LEVEL_DEBUG };
  guint i;

  make_random (random, 12345);
  for (i = 0; i < G_N_ELEMENTS (levels); i++) {
    RtmpHandshakeConfig config = {
      0,
    };
    g_autoptr (RtmpHandshake) hs = NULL;
    LogCapture log;
    gsize consumed;

    log_capture_init (&log);
    config.role = RTMP_HANDSHAKE_ROLE_SERVER;
    config.random = random;
    config.epoch_ms = CAPTURE_EPOCH;
    config.log_func = capture_log;
    config.log_user_data = &log;
    config.log_level = levels[i];
    hs = rtmp_handshake_new (&config);
    rtmp_handshake_receive (hs, g_bytes_get_data (c0c1, NULL), 1 + PACKET,
        &consumed, NULL);
    rtmp_handshake_receive (hs, g_bytes_get_data (c2, NULL), PACKET, &consumed,
        NULL);
    fail_unless (rtmp_handshake_is_complete (hs));
    fail_unless_equals_int (log.n_warnings,
        levels[i] == G_LOG_LEVEL_WARNING ? 1 : 0);
    fail_unless_equals_int (log.debug->len > 0, levels[i] == G_LOG_LEVEL_DEBUG);
    log_capture_clear (&log);
  }
}

GST_END_TEST;

static Suite *
handshake_suite (void)
{
  Suite *s = suite_create ("rtmp-handshake");
  TCase *tc = tcase_create ("general");

  setup_keys ();
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_round_trip_simple);
  tcase_add_test (tc, test_round_trip_digest);
  tcase_add_test (tc, test_client_c0c1_digest_bytes);
  tcase_add_test (tc, test_client_c0c1_simple_bytes);
  tcase_add_test (tc, test_server_digest_bytes_both_schemas);
  tcase_add_test (tc, test_server_simple_bytes);
  tcase_add_test (tc, test_client_c2_before_s2);
  tcase_add_test (tc, test_random_vector);
  tcase_add_test (tc, test_nginx_digest_server);
  tcase_add_test (tc, test_nginx_simple_server);
  tcase_add_test (tc, test_ffmpeg_listen_server);
  tcase_add_test (tc, test_ffmpeg_play_client);
  tcase_add_test (tc, test_ffmpeg_publish_client);
  tcase_add_test (tc, test_nginx_push_client);
  tcase_add_test (tc, test_rtmpdump_fp9_client);
  tcase_add_test (tc, test_rtmpdump_simple_client);
  tcase_add_test (tc, test_version_errors);
  tcase_add_test (tc, test_config_check);
  tcase_add_test (tc, test_truncated_need_more);
  tcase_add_test (tc, test_s1_digest_invalid);
  tcase_add_test (tc, test_s2_digest_invalid);
  tcase_add_test (tc, test_s2_echo_mismatch_warns);
  tcase_add_test (tc, test_server_c1_version_without_digest);
  tcase_add_test (tc, test_server_c2_garbage_warns);
  tcase_add_test (tc, test_receive_after_complete);
  tcase_add_test (tc, test_log_level_mask);
  return s;
}

GST_CHECK_MAIN (handshake);
