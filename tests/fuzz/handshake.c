/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the handshake's server role fed the input as C0+C1+C2, and
 * its client role (simple and digest) fed it as S0+S1+S2, whole and split
 * in two; deterministic random bytes. */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

#include "rtmphandshake.h"

static void
discard_log (GLogLevelFlags level, const gchar *message, gpointer user_data)
{
  /* the message was formatted; that is all we want to exercise */
  g_assert (message != NULL);
}

static void
check_invariants (RtmpHandshake *hs, RtmpReadResult res, gsize len,
    gsize consumed, GError *error)
{
  switch (res) {
    case RTMP_READ_NEED_MORE:
      g_assert (error == NULL);
      g_assert (consumed == len);
      g_assert (!rtmp_handshake_is_complete (hs));
      break;
    case RTMP_READ_OK:
      g_assert (error == NULL);
      g_assert (consumed <= len);
      g_assert (rtmp_handshake_is_complete (hs));
      break;
    case RTMP_READ_ERROR:
      g_assert (error != NULL);
      g_assert (error->domain == RTMP_ERROR);
      g_assert (error->code == RTMP_ERROR_MALFORMED
          || error->code == RTMP_ERROR_UNSUPPORTED);
      g_assert (!rtmp_handshake_is_complete (hs));
      break;
  }
}

/* Feeds @data in pieces of @split bytes and the rest; returns the result */
static void
run (RtmpHandshakeRole role, RtmpHandshakeType type, const guint8 *random,
    const uint8_t *data, size_t size, gsize split)
{
  RtmpHandshakeConfig config = {
    0,
  };
  RtmpHandshake *hs;
  gsize pos = 0;
  GBytes *out;

  config.role = role;
  config.type = type;
  config.epoch_ms = 1000;
  config.random = random;
  config.log_func = discard_log;
  config.log_level = G_LOG_LEVEL_WARNING | G_LOG_LEVEL_DEBUG;
  hs = rtmp_handshake_new (&config);
  g_bytes_unref (rtmp_handshake_take_output (hs));

  while (TRUE) {
    gsize piece = pos < split ? split - pos : size - pos;
    GError *error = NULL;
    gsize consumed = 0;
    RtmpReadResult res
        = rtmp_handshake_receive (hs, data + pos, piece, &consumed, &error);

    check_invariants (hs, res, piece, consumed, error);
    if (res == RTMP_READ_ERROR) {
      g_error_free (error);
      break;
    }
    if (res == RTMP_READ_OK) {
      /* the rest belongs to the chunk stream */
      res = rtmp_handshake_receive (hs, data + pos + consumed,
          size - pos - consumed, &consumed, NULL);
      g_assert (res == RTMP_READ_OK && consumed == 0);
      break;
    }
    pos += piece;
    if (pos == size)
      break;
  }

  out = rtmp_handshake_take_output (hs);
  if (out != NULL) {
    /* answers come in whole packets: S0+S1+S2 or C2 */
    gsize len = g_bytes_get_size (out);

    g_assert (len == 1 + 2 * RTMP_HANDSHAKE_PACKET_SIZE
        || len == RTMP_HANDSHAKE_PACKET_SIZE);
    g_bytes_unref (out);
  }
  rtmp_handshake_free (hs);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static gboolean initialised = FALSE;
  static guint8 random[RTMP_HANDSHAKE_RANDOM_SIZE];
  gsize split = size / 2;

  if (!initialised) {
    gsize i;

    g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    for (i = 0; i < sizeof (random); i++)
      random[i] = (i * 131 + 7) & 0xff;
    initialised = TRUE;
  }

  /* a split point from the input itself, so that the fuzzer can steer it */
  if (size >= 2)
    split = ((gsize) data[size - 1] << 8 | data[size - 2]) % (size + 1);

  run (RTMP_HANDSHAKE_ROLE_SERVER, RTMP_HANDSHAKE_SIMPLE, random, data, size,
      size);
  run (RTMP_HANDSHAKE_ROLE_SERVER, RTMP_HANDSHAKE_SIMPLE, random, data, size,
      split);
  run (RTMP_HANDSHAKE_ROLE_CLIENT, RTMP_HANDSHAKE_SIMPLE, random, data, size,
      split);
  run (RTMP_HANDSHAKE_ROLE_CLIENT, RTMP_HANDSHAKE_DIGEST, random, data, size,
      size);
  return 0;
}
