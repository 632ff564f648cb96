/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The RTMP handshake in both roles, simple (RTMP 1.0 §5.2) and digest
 * (Flash Player 9 style), fed bytes and handing out the answers. */

#include "rtmphandshake.h"

#include <string.h>

#include "rtmpbytes.h"
#include "rtmpcrypto.h"

G_STATIC_ASSERT (RTMP_HANDSHAKE_PACKET_SIZE == RTMP_CRYPTO_PACKET_SIZE);

#define DIGEST_SIZE RTMP_CRYPTO_SHA256_SIZE
/* The random bytes of a digest C2/S2: all but its trailing digest */
#define RESPONSE_RANDOM_SIZE (RTMP_HANDSHAKE_PACKET_SIZE - DIGEST_SIZE)

typedef enum
{
  STATE_PEER_VERSION, /* waiting for C0/S0 */
  STATE_PEER_PACKET1, /* waiting for C1/S1 */
  STATE_PEER_PACKET2, /* waiting for C2/S2 */
  STATE_DONE,
  STATE_FAILED,
} State;

struct _RtmpHandshake
{
  RtmpHandshakeRole role;
  RtmpHandshakeType type; /* client: what we sent; server: what we answer */
  guint8 version;
  guint32 epoch_ms;
  RtmpLogFunc log_func;
  gpointer log_user_data;
  GLogLevelFlags log_level;

  State state;
  /* the peer packet being assembled */
  guint8 in[RTMP_HANDSHAKE_PACKET_SIZE];
  gsize in_len;

  /* our C1/S1 as sent, and its digest when it has one */
  guint8 own1[RTMP_HANDSHAKE_PACKET_SIZE];
  guint8 own_digest[DIGEST_SIZE];
  /* the body of a digest C2/S2, copied from the config's random bytes */
  guint8 response_random[RESPONSE_RANDOM_SIZE];

  /* the peer's C1/S1 and what it told us */
  guint8 peer1[RTMP_HANDSHAKE_PACKET_SIZE];
  RtmpHandshakeType peer_type;
  guint8 peer_digest[DIGEST_SIZE]; /* when peer_type is DIGEST */
  guint32 peer_epoch;
  guint32 peer_version;

  GByteArray *output; /* queued bytes, handed out by take_output */
};

static void hs_log (RtmpHandshake *self, GLogLevelFlags level,
    const gchar *format, ...) G_GNUC_PRINTF (3, 4);

static void
hs_log (RtmpHandshake *self, GLogLevelFlags level, const gchar *format, ...)
{
  va_list args;
  gchar *message;

  if (self->log_func == NULL || (self->log_level & level) == 0)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  self->log_func (level, message, self->log_user_data);
  g_free (message);
}

/* Names of the packets we receive, for messages */
static const gchar *
peer_name (const RtmpHandshake *self, guint packet)
{
  static const gchar *const client_names[] = { "S0", "S1", "S2" };
  static const gchar *const server_names[] = { "C0", "C1", "C2" };

  return self->role == RTMP_HANDSHAKE_ROLE_CLIENT ? client_names[packet]
                                                  : server_names[packet];
}

static const gchar *
own_name (const RtmpHandshake *self, guint packet)
{
  static const gchar *const client_names[] = { "C0", "C1", "C2" };
  static const gchar *const server_names[] = { "S0", "S1", "S2" };

  return self->role == RTMP_HANDSHAKE_ROLE_CLIENT ? client_names[packet]
                                                  : server_names[packet];
}

static gboolean
version_is_encrypted (guint version)
{
  return version == RTMP_HANDSHAKE_VERSION_ENCRYPTED
      || version == RTMP_HANDSHAKE_VERSION_ENCRYPTED_XTEA
      || version == RTMP_HANDSHAKE_VERSION_ENCRYPTED_BLOWFISH;
}

gboolean
rtmp_handshake_config_check (const RtmpHandshakeConfig *config, GError **error)
{
  g_return_val_if_fail (config != NULL, FALSE);

  if (config->role == RTMP_HANDSHAKE_ROLE_CLIENT && config->version != 0
      && config->version != RTMP_HANDSHAKE_VERSION_PLAIN) {
    if (version_is_encrypted (config->version))
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
          "RTMPE handshake (type %u) not supported yet",
          (guint) config->version);
    else
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
          "handshake version %u not supported (only 3, plain RTMP)",
          (guint) config->version);
    return FALSE;
  }
  return TRUE;
}

/* Fills our C1/S1: time, version field, random bytes, and the digest at
 * @schema when @version_field is nonzero. */
static void
build_packet1 (RtmpHandshake *self, const guint8 *random, guint32 version_field,
    RtmpDigestSchema schema)
{
  const guint8 *key;
  gsize key_len;
  guint offset;

  rtmp_bytes_put_u32_be (self->own1, self->epoch_ms);
  rtmp_bytes_put_u32_be (self->own1 + 4, version_field);
  memcpy (self->own1 + 8, random + 8, RTMP_HANDSHAKE_PACKET_SIZE - 8);
  if (version_field == 0)
    return;

  if (self->role == RTMP_HANDSHAKE_ROLE_CLIENT) {
    key = rtmp_crypto_client_key;
    key_len = RTMP_CRYPTO_CLIENT_KEY_TEXT_SIZE;
  } else {
    key = rtmp_crypto_server_key;
    key_len = RTMP_CRYPTO_SERVER_KEY_TEXT_SIZE;
  }
  offset = rtmp_crypto_packet_sign (self->own1, schema, key, key_len);
  memcpy (self->own_digest, self->own1 + offset, DIGEST_SIZE);
  hs_log (self, G_LOG_LEVEL_DEBUG, "%s: digest at schema %d, offset %u",
      own_name (self, 1), (gint) schema, offset);
}

/* The simple C2/S2 (RTMP 1.0 §5.2.4) echoes the peer's time and random
 * bytes; its time2 field should be when we read C1/S1, but we copy the
 * peer's instead, as nginx-rtmp does: librtmp compares all 1536 bytes of S2
 * with its C1 and warns otherwise, and we read no clock anyway. */
static void
queue_echo (RtmpHandshake *self)
{
  g_byte_array_append (self->output, self->peer1, sizeof (self->peer1));
}

/* The digest C2/S2: random bytes, then their HMAC keyed from the peer's
 * C1/S1 digest and our full key. */
static void
queue_response (RtmpHandshake *self)
{
  guint8 packet[RTMP_HANDSHAKE_PACKET_SIZE];
  const guint8 *full_key;
  gsize full_key_len;

  if (self->role == RTMP_HANDSHAKE_ROLE_CLIENT) {
    full_key = rtmp_crypto_client_key;
    full_key_len = RTMP_CRYPTO_CLIENT_KEY_SIZE;
  } else {
    full_key = rtmp_crypto_server_key;
    full_key_len = RTMP_CRYPTO_SERVER_KEY_SIZE;
  }
  memcpy (packet, self->response_random, RESPONSE_RANDOM_SIZE);
  rtmp_crypto_response_digest (packet, full_key, full_key_len,
      self->peer_digest, packet + RESPONSE_RANDOM_SIZE);
  g_byte_array_append (self->output, packet, sizeof (packet));
}

RtmpHandshake *
rtmp_handshake_new (const RtmpHandshakeConfig *config)
{
  RtmpHandshake *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->random != NULL, NULL);
  g_return_val_if_fail (rtmp_handshake_config_check (config, NULL), NULL);

  self = g_new0 (RtmpHandshake, 1);
  self->role = config->role;
  self->type = config->type;
  self->version = RTMP_HANDSHAKE_VERSION_PLAIN;
  self->epoch_ms = config->epoch_ms;
  self->log_func = config->log_func;
  self->log_user_data = config->log_user_data;
  self->log_level = config->log_level;
  self->state = STATE_PEER_VERSION;
  self->peer_type = RTMP_HANDSHAKE_SIMPLE;
  self->output = g_byte_array_new ();
  memcpy (self->response_random, config->random + RTMP_HANDSHAKE_PACKET_SIZE,
      RESPONSE_RANDOM_SIZE);

  if (self->role == RTMP_HANDSHAKE_ROLE_CLIENT) {
    /* FFmpeg's client puts its digest at schema 0 unless it does RTMPE; so
     * do we. */
    build_packet1 (self, config->random,
        self->type == RTMP_HANDSHAKE_DIGEST ? RTMP_HANDSHAKE_CLIENT_VERSION : 0,
        RTMP_DIGEST_SCHEMA_0);
    g_byte_array_append (self->output, &self->version, 1);
    g_byte_array_append (self->output, self->own1, sizeof (self->own1));
  } else {
    /* S1 waits for C1: its kind and schema follow the client's. Keep the
     * random bytes until then. */
    memcpy (self->own1, config->random, sizeof (self->own1));
  }
  return self;
}

void
rtmp_handshake_free (RtmpHandshake *self)
{
  if (self == NULL)
    return;
  g_byte_array_unref (self->output);
  g_free (self);
}

GBytes *
rtmp_handshake_take_output (RtmpHandshake *self)
{
  GBytes *bytes;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->output->len == 0)
    return NULL;
  bytes = g_byte_array_free_to_bytes (self->output);
  self->output = g_byte_array_new ();
  return bytes;
}

gboolean
rtmp_handshake_is_complete (const RtmpHandshake *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->state == STATE_DONE;
}

RtmpHandshakeType
rtmp_handshake_get_peer_type (const RtmpHandshake *self)
{
  g_return_val_if_fail (self != NULL, RTMP_HANDSHAKE_SIMPLE);

  return self->peer_type;
}

guint32
rtmp_handshake_get_peer_epoch (const RtmpHandshake *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->peer_epoch;
}

guint32
rtmp_handshake_get_peer_version (const RtmpHandshake *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->peer_version;
}

/* C0/S0: anything but 3 ends the handshake, with a hint at what the peer
 * is speaking instead. */
static gboolean
check_peer_version (RtmpHandshake *self, guint8 version, GError **error)
{
  const gchar *name = peer_name (self, 0);

  if (version == RTMP_HANDSHAKE_VERSION_PLAIN)
    return TRUE;

  if (version_is_encrypted (version)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
        "RTMPE handshake (type %u) not supported yet", (guint) version);
  } else if (version == 0x16 || version == 0x15) {
    /* a TLS handshake or alert record */
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "%s version 0x%02x: not RTMP — the peer speaks TLS (rtmps?)", name,
        version);
  } else if (g_ascii_isupper (version)) {
    /* GET, POST, HEAD… from a client, "HTTP/1.1" from a server */
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "%s version 0x%02x ('%c'): not RTMP — an HTTP %s?", name, version,
        version,
        self->role == RTMP_HANDSHAKE_ROLE_SERVER ? "request" : "response");
  } else if (g_ascii_isprint (version)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "%s version 0x%02x ('%c'): not RTMP (expected 0x03)", name, version,
        version);
  } else {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "%s version 0x%02x: not RTMP (expected 0x03)", name, version);
  }
  return FALSE;
}

/* Finds the peer's C1/S1 digest at either schema; sets the offsets looked
 * at, and *found_schema. */
static gboolean
find_peer_digest (RtmpHandshake *self, guint *offset0, guint *offset1,
    RtmpDigestSchema *found_schema)
{
  const guint8 *key;
  gsize key_len;
  guint offset;
  guint schema;

  if (self->role == RTMP_HANDSHAKE_ROLE_CLIENT) {
    key = rtmp_crypto_server_key;
    key_len = RTMP_CRYPTO_SERVER_KEY_TEXT_SIZE;
  } else {
    key = rtmp_crypto_client_key;
    key_len = RTMP_CRYPTO_CLIENT_KEY_TEXT_SIZE;
  }

  for (schema = RTMP_DIGEST_SCHEMA_0; schema <= RTMP_DIGEST_SCHEMA_1;
       schema++) {
    gboolean found = rtmp_crypto_packet_verify (self->peer1, schema, key,
        key_len, &offset);

    *(schema == RTMP_DIGEST_SCHEMA_0 ? offset0 : offset1) = offset;
    if (found) {
      *found_schema = schema;
      memcpy (self->peer_digest, self->peer1 + offset, DIGEST_SIZE);
      hs_log (self, G_LOG_LEVEL_DEBUG,
          "%s: digest found at schema %u, "
          "offset %u",
          peer_name (self, 1), schema, offset);
      return TRUE;
    }
  }
  return FALSE;
}

static void
format_version (guint32 version, gchar text[16])
{
  g_snprintf (text, 16, "%u.%u.%u.%u", version >> 24, (version >> 16) & 0xff,
      (version >> 8) & 0xff, version & 0xff);
}

/* Server: C1 decides what we answer; S0, S1 and S2 are all due now. */
static void
server_handle_c1 (RtmpHandshake *self)
{
  guint offset0 = 0, offset1 = 0;
  RtmpDigestSchema schema = RTMP_DIGEST_SCHEMA_0;
  gchar version_text[16];

  /* own1 still holds the config's random bytes */
  guint8 random[RTMP_HANDSHAKE_PACKET_SIZE];

  memcpy (random, self->own1, sizeof (random));
  format_version (self->peer_version, version_text);

  if (self->peer_version == 0) {
    self->peer_type = RTMP_HANDSHAKE_SIMPLE;
  } else if (find_peer_digest (self, &offset0, &offset1, &schema)) {
    /* S1 goes in the client's schema */
    self->peer_type = RTMP_HANDSHAKE_DIGEST;
  } else {
    /* A version field without a digest: nginx-rtmp, the reference server,
     * falls back to the simple handshake here ("old-style challenge"), so
     * clients that work with it must work with us. */
    self->peer_type = RTMP_HANDSHAKE_SIMPLE;
    hs_log (self, G_LOG_LEVEL_WARNING,
        "C1: version field %s but no valid digest at schema 0 (offset %u) "
        "or schema 1 (offset %u); answering with the simple handshake, as "
        "nginx-rtmp does",
        version_text, offset0, offset1);
  }
  self->type = self->peer_type;

  build_packet1 (self, random,
      self->type == RTMP_HANDSHAKE_DIGEST ? RTMP_HANDSHAKE_SERVER_VERSION : 0,
      schema);
  g_byte_array_append (self->output, &self->version, 1);
  g_byte_array_append (self->output, self->own1, sizeof (self->own1));
  if (self->type == RTMP_HANDSHAKE_DIGEST)
    queue_response (self);
  else
    queue_echo (self);

  hs_log (self, G_LOG_LEVEL_DEBUG,
      "C1: %s client (version %s, time %u); "
      "S0+S1+S2 queued",
      self->type == RTMP_HANDSHAKE_DIGEST ? "digest" : "simple", version_text,
      self->peer_epoch);
}

/* Client: S1 must carry the server's digest if the server claims a version
 * and we asked for a digest handshake; C2 is due now. */
static gboolean
client_handle_s1 (RtmpHandshake *self, GError **error)
{
  guint offset0 = 0, offset1 = 0;
  RtmpDigestSchema schema;
  gchar version_text[16];

  format_version (self->peer_version, version_text);

  if (self->peer_version == 0) {
    /* A server that fills no version field does the simple handshake
     * (FFmpeg's -listen, nginx-rtmp answering a simple C1) */
    self->peer_type = RTMP_HANDSHAKE_SIMPLE;
  } else if (find_peer_digest (self, &offset0, &offset1, &schema)) {
    self->peer_type = RTMP_HANDSHAKE_DIGEST;
  } else if (self->type == RTMP_HANDSHAKE_DIGEST) {
    /* librtmp ("Server not genuine Adobe!") and FFmpeg ("Server response
     * validating failed") fail here too */
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "S1: server version %s announces a digest handshake, but neither "
        "schema 0 (offset %u) nor schema 1 (offset %u) holds a valid "
        "HMAC-SHA256 digest",
        version_text, offset0, offset1);
    return FALSE;
  } else {
    /* we asked for nothing: the server may say what it likes */
    self->peer_type = RTMP_HANDSHAKE_SIMPLE;
  }

  if (self->type == RTMP_HANDSHAKE_DIGEST
      && self->peer_type == RTMP_HANDSHAKE_DIGEST)
    queue_response (self);
  else
    queue_echo (self);

  hs_log (self, G_LOG_LEVEL_DEBUG,
      "S1: %s server (version %s, time %u); C2 "
      "queued",
      self->peer_type == RTMP_HANDSHAKE_DIGEST ? "digest" : "simple",
      version_text, self->peer_epoch);
  return TRUE;
}

static gboolean
is_echo_of (const guint8 *packet, const guint8 *original)
{
  /* time echoed, time2 free, random echoed */
  return memcmp (packet, original, 4) == 0
      && memcmp (packet + 8, original + 8, RTMP_HANDSHAKE_PACKET_SIZE - 8) == 0;
}

static gboolean
is_response_to (RtmpHandshake *self, const guint8 *packet)
{
  const guint8 *full_key;
  gsize full_key_len;
  guint8 expected[DIGEST_SIZE];

  /* the peer derives its key from our digest and its own full key */
  if (self->role == RTMP_HANDSHAKE_ROLE_CLIENT) {
    full_key = rtmp_crypto_server_key;
    full_key_len = RTMP_CRYPTO_SERVER_KEY_SIZE;
  } else {
    full_key = rtmp_crypto_client_key;
    full_key_len = RTMP_CRYPTO_CLIENT_KEY_SIZE;
  }
  rtmp_crypto_response_digest (packet, full_key, full_key_len, self->own_digest,
      expected);
  return rtmp_crypto_equal (expected, packet + RESPONSE_RANDOM_SIZE,
      DIGEST_SIZE);
}

/* Client: S2 answers C1. */
static gboolean
client_handle_s2 (RtmpHandshake *self, const guint8 *s2, GError **error)
{
  if (self->type == RTMP_HANDSHAKE_DIGEST
      && self->peer_type == RTMP_HANDSHAKE_DIGEST) {
    /* Servers that sign S1 sign S2 consistently (nginx-rtmp, and FFmpeg's
     * player refuses them otherwise): be strict. */
    if (!is_response_to (self, s2)) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
          "S2: the HMAC-SHA256 digest in bytes 1504..1535 is not the one "
          "derived from C1's digest");
      return FALSE;
    }
    return TRUE;
  }

  /* The datarhei Restreamer server answers a simple C1 with an S2 that is
   * not an echo (datarhei/restreamer#966); librtmp and rtmp2 only warn about
   * a mismatch, so do we. */
  if (!is_echo_of (s2, self->own1))
    hs_log (self, G_LOG_LEVEL_WARNING,
        "S2 does not echo C1's time and random bytes; ignored");
  return TRUE;
}

/* Server: C2 answers S1. Clients disagree on what they send: FFmpeg
 * publishing sends a digest C1 but echoes S1 in C2, and nginx-rtmp ignores
 * C2 altogether; so C2 is checked for logs only. */
static void
server_handle_c2 (RtmpHandshake *self, const guint8 *c2)
{
  if (self->type == RTMP_HANDSHAKE_DIGEST && is_response_to (self, c2)) {
    hs_log (self, G_LOG_LEVEL_DEBUG, "C2: digest matches S1's");
  } else if (is_echo_of (c2, self->own1)) {
    hs_log (self, G_LOG_LEVEL_DEBUG, "C2: echoes S1");
  } else {
    hs_log (self, G_LOG_LEVEL_WARNING,
        "C2 neither echoes S1 nor carries the digest derived from S1's; "
        "ignored, as nginx-rtmp does");
  }
}

/* The time and version fields of the peer's C1/S1 */
static void
read_fields (RtmpHandshake *self)
{
  RtmpBytesReader fields;

  rtmp_bytes_reader_init (&fields, self->peer1, 8);
  if (!rtmp_bytes_read_u32_be (&fields, &self->peer_epoch)
      || !rtmp_bytes_read_u32_be (&fields, &self->peer_version))
    g_assert_not_reached ();
}

/* Appends up to a packet's worth of @data to self->in; TRUE when the packet
 * is complete. */
static gboolean
fill_packet (RtmpHandshake *self, RtmpBytesReader *reader)
{
  gsize n = MIN (rtmp_bytes_reader_remaining (reader),
      RTMP_HANDSHAKE_PACKET_SIZE - self->in_len);
  const guint8 *p;

  if (!rtmp_bytes_read_pointer (reader, n, &p))
    g_assert_not_reached ();
  memcpy (self->in + self->in_len, p, n);
  self->in_len += n;
  return self->in_len == RTMP_HANDSHAKE_PACKET_SIZE;
}

RtmpReadResult
rtmp_handshake_receive (RtmpHandshake *self, const guint8 *data, gsize len,
    gsize *consumed, GError **error)
{
  RtmpBytesReader reader;

  g_return_val_if_fail (self != NULL, RTMP_READ_ERROR);
  g_return_val_if_fail (data != NULL || len == 0, RTMP_READ_ERROR);
  g_return_val_if_fail (consumed != NULL, RTMP_READ_ERROR);
  g_return_val_if_fail (self->state != STATE_FAILED, RTMP_READ_ERROR);

  rtmp_bytes_reader_init (&reader, data, len);

  while (self->state != STATE_DONE) {
    switch (self->state) {
      case STATE_PEER_VERSION: {
        guint8 version;

        if (!rtmp_bytes_read_u8 (&reader, &version))
          goto need_more;
        if (!check_peer_version (self, version, error))
          goto failed;
        self->state = STATE_PEER_PACKET1;
        break;
      }
      case STATE_PEER_PACKET1:
        if (!fill_packet (self, &reader))
          goto need_more;
        self->in_len = 0;
        memcpy (self->peer1, self->in, sizeof (self->peer1));
        read_fields (self);
        if (self->role == RTMP_HANDSHAKE_ROLE_SERVER) {
          server_handle_c1 (self);
        } else if (!client_handle_s1 (self, error)) {
          goto failed;
        }
        self->state = STATE_PEER_PACKET2;
        break;
      case STATE_PEER_PACKET2:
        if (!fill_packet (self, &reader))
          goto need_more;
        self->in_len = 0;
        if (self->role == RTMP_HANDSHAKE_ROLE_SERVER) {
          server_handle_c2 (self, self->in);
        } else if (!client_handle_s2 (self, self->in, error)) {
          goto failed;
        }
        self->state = STATE_DONE;
        hs_log (self, G_LOG_LEVEL_DEBUG, "handshake complete");
        break;
      case STATE_DONE:
      case STATE_FAILED:
        g_assert_not_reached ();
    }
  }

  *consumed = reader.pos;
  return RTMP_READ_OK;

need_more:
  *consumed = reader.pos;
  return RTMP_READ_NEED_MORE;

  /* ERRORS */
failed:
  self->state = STATE_FAILED;
  *consumed = reader.pos;
  return RTMP_READ_ERROR;
}
