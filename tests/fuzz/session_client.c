/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: a client session fed the input as if a server sent it, after
 * a valid handshake, so that the chunk, message and command layers and the
 * client state machine (connect answers, authentication, secureToken,
 * createStream, play/publish statuses, media, pings) are reached.
 *
 * Input: one control byte, then the server's bytes after S0+S1+S2.
 *   bits 0..4  piece size (0: everything at once), the input is fed in
 *              pieces of that many bytes, the clock advancing 3 ms and
 *              deadlines handled after each
 *   bit 5      react to PLAYING with pause/seek, to PUBLISHING with media
 *              and the stop commands
 *   bit 6      log at every level (builds the AMF dumps)
 *   bit 7      intent publish instead of play
 * The seeds (corpus/session_client/) are server byte streams captured from
 * in-memory client/server session runs, each preceded by a control byte. */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtmpsession.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define START_US (10 * G_USEC_PER_SEC)
#define STEP_US (3 * 1000)
#define HANDSHAKE_BYTES (1 + 2 * RTMP_HANDSHAKE_PACKET_SIZE)

/* abort () rather than g_error (): GLib ends fatal messages with SIGTRAP,
 * which libFuzzer does not catch, so no crash input would be written */
#define FUZZ_CHECK(cond) \
  G_STMT_START \
  { \
    if (!(cond)) { \
      g_printerr ("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort (); \
    } \
  } \
  G_STMT_END

static guint8 client_random[RTMP_SESSION_RANDOM_SIZE];
static guint8 server_random[RTMP_SESSION_RANDOM_SIZE];
/* S0+S1+S2 answering the C0+C1 every client of this target sends */
static GBytes *server_handshake;

static const gchar *const fourccs[] = { "hvc1", "av01", "Opus", NULL };

/* Criticals and warnings (made fatal) abort, for the same reason */
static GLogWriterOutput
abort_on_fatal (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
    gpointer user_data)
{
  GLogWriterOutput result
      = g_log_writer_default (level, fields, n_fields, user_data);

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    abort ();
  return result;
}

static void
discard_log (GLogLevelFlags level, const gchar *message, gpointer user_data)
{
  FUZZ_CHECK (message != NULL);
}

static void
client_config_init (RtmpSessionConfig *config, RtmpSessionIntent intent,
    RtmpAuthState *auth, gboolean verbose)
{
  rtmp_session_config_init (config, RTMP_SESSION_ROLE_CLIENT);
  config->random = client_random;
  config->epoch_ms = 1000;
  config->now_us = START_US;
  config->phase_timeout_ms = 5000;
  config->ping_interval_ms = 100;
  config->idle_timeout_ms = 10000;
  /* small limits keep each run fast; they are fuzzed all the same */
  config->limits.max_message_bytes = 1024 * 1024;
  config->limits.max_buffered_bytes = 4 * 1024 * 1024;
  config->limits.amf_max_elements = 4096;
  config->client.app = "live";
  config->client.tc_url = "rtmp://127.0.0.1/live";
  config->client.flash_ver = "FMLE/3.0 (compatible; fuzz)";
  config->client.fourcc_list = fourccs;
  config->client.intent = intent;
  config->client.stream_name = "stream";
  config->client.auth = auth;
  config->client.secure_token = "0123456789abcdef";
  config->log_func = discard_log;
  config->log_level = verbose ? G_LOG_LEVEL_MASK : G_LOG_LEVEL_WARNING;
}

static GBytes *
take_output (RtmpSession *session)
{
  RtmpOutputVector vectors[64];
  GByteArray *bytes = g_byte_array_new ();
  guint n, i;

  while ((n = rtmp_session_peek_output (session, vectors, 64)) > 0) {
    gsize total = 0;

    for (i = 0; i < n; i++) {
      g_byte_array_append (bytes, vectors[i].data, vectors[i].len);
      total += vectors[i].len;
    }
    rtmp_session_consume_output (session, total);
  }
  return g_byte_array_free_to_bytes (bytes);
}

static void
discard_output (RtmpSession *session)
{
  g_bytes_unref (take_output (session));
}

/* A server session answers a client's C0+C1 once; every client of this
 * target sends the same C0+C1 (same random bytes and time) and so accepts
 * the same S0+S1+S2. */
static void
init_once (void)
{
  RtmpSessionConfig config;
  g_autoptr (RtmpSession) client = NULL;
  g_autoptr (RtmpSession) server = NULL;
  g_autoptr (GBytes) c0c1 = NULL;
  gsize i;

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_log_set_writer_func (abort_on_fatal, NULL, NULL);
  for (i = 0; i < sizeof (client_random); i++) {
    client_random[i] = (guint8) (i * 131 + 7);
    server_random[i] = (guint8) (i * 71 + 3);
  }

  client_config_init (&config, RTMP_SESSION_INTENT_PLAY, NULL, FALSE);
  client = rtmp_session_new (&config);
  rtmp_session_config_init (&config, RTMP_SESSION_ROLE_SERVER);
  config.random = server_random;
  config.epoch_ms = 2000;
  server = rtmp_session_new (&config);

  c0c1 = take_output (client);
  FUZZ_CHECK (g_bytes_get_size (c0c1) == 1 + RTMP_HANDSHAKE_PACKET_SIZE);
  FUZZ_CHECK (rtmp_session_receive (server, g_bytes_get_data (c0c1, NULL),
      g_bytes_get_size (c0c1), START_US, NULL));
  server_handshake = take_output (server);
  FUZZ_CHECK (g_bytes_get_size (server_handshake) == HANDSHAKE_BYTES);
}

static void
check_error (const GError *error)
{
  FUZZ_CHECK (error != NULL);
  FUZZ_CHECK (error->domain == RTMP_ERROR);
  FUZZ_CHECK (error->message != NULL && error->message[0] != '\0');
}

static void
react (RtmpSession *session, const RtmpSessionEvent *event, gboolean active)
{
  static const guint8 media[] = { 0x17, 0x01, 0x00, 0x00, 0x00, 0x65 };
  g_autoptr (GBytes) payload = NULL;
  RtmpSessionStats stats;

  switch (event->type) {
    case RTMP_SESSION_EVENT_PLAYING:
      FUZZ_CHECK (rtmp_session_is_playing (session));
      if (active) {
        rtmp_session_pause (session, TRUE, 100);
        rtmp_session_pause (session, FALSE, 100);
        rtmp_session_seek (session, 2000);
      }
      break;
    case RTMP_SESSION_EVENT_PUBLISHING:
      FUZZ_CHECK (rtmp_session_is_publishing (session));
      if (active) {
        payload = g_bytes_new_static (media, sizeof (media));
        rtmp_session_send_media (session, event->stream_id, RTMP_MESSAGE_VIDEO,
            0, payload);
        rtmp_session_stop (session,
            RTMP_STOP_COMMANDS_FCUNPUBLISH | RTMP_STOP_COMMANDS_CLOSE_STREAM
                | RTMP_STOP_COMMANDS_DELETE_STREAM);
      }
      break;
    case RTMP_SESSION_EVENT_STREAM_CREATED:
      FUZZ_CHECK (event->stream_id == rtmp_session_get_stream_id (session));
      break;
    case RTMP_SESSION_EVENT_MEDIA:
      FUZZ_CHECK (event->message != NULL && event->message->payload != NULL);
      FUZZ_CHECK (rtmp_message_type_is_media (event->message->type));
      break;
    case RTMP_SESSION_EVENT_STATUS:
      FUZZ_CHECK (event->command != NULL);
      break;
    default:
      break;
  }
  rtmp_session_get_stats (session, &stats);
}

/* Drains events (reacting while the session is healthy) and output */
static void
drain (RtmpSession *session, gboolean healthy, gboolean active)
{
  RtmpSessionEvent event;

  while (rtmp_session_next_event (session, &event)) {
    if (healthy)
      react (session, &event, active);
    rtmp_session_event_clear (&event);
  }
  discard_output (session);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static gboolean initialised = FALSE;
  g_autoptr (RtmpAuthState) auth = NULL;
  RtmpSessionConfig config;
  RtmpSession *session;
  GError *error = NULL;
  guint8 control;
  gsize piece, pos = 0;
  gboolean active, healthy = TRUE;
  guint64 now_us = START_US;

  if (!initialised) {
    init_once ();
    initialised = TRUE;
  }
  if (size < 1)
    return 0;
  control = data[0];
  data++;
  size--;
  piece = control & 0x1f;
  active = (control & 0x20) != 0;

  auth = rtmp_auth_state_new (RTMP_AUTHMOD_AUTO, "alice", "secret");
  client_config_init (&config,
      (control & 0x80) ? RTMP_SESSION_INTENT_PUBLISH : RTMP_SESSION_INTENT_PLAY,
      auth, (control & 0x40) != 0);
  session = rtmp_session_new (&config);
  discard_output (session);

  /* the handshake always completes and connect goes out */
  FUZZ_CHECK (
      rtmp_session_receive (session, g_bytes_get_data (server_handshake, NULL),
          g_bytes_get_size (server_handshake), now_us, NULL));
  drain (session, TRUE, active);

  while (pos < size && healthy) {
    gsize len = piece == 0 ? size - pos : MIN (piece, size - pos);

    healthy = rtmp_session_receive (session, data + pos, len, now_us, &error);
    pos += len;
    drain (session, healthy, active);
    now_us += STEP_US;
    if (healthy && now_us >= rtmp_session_next_deadline (session)) {
      healthy = rtmp_session_handle_deadline (session, now_us, &error);
      drain (session, healthy, active);
    }
  }
  if (healthy && !rtmp_session_receive_eof (session, &error))
    healthy = FALSE;
  if (!healthy) {
    check_error (error);
    g_clear_error (&error);
    /* a dead session refuses more bytes with an error, never a crash */
    FUZZ_CHECK (!rtmp_session_receive (session, (const guint8 *) "x", 1, now_us,
        &error));
    check_error (error);
    g_clear_error (&error);
  }
  drain (session, FALSE, FALSE);
  rtmp_session_free (session);
  return 0;
}
