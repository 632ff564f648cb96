/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: a server session fed the input as if a client sent it, after
 * a valid client handshake, answering connect, publish and play requests so
 * that the chunk, message and command layers and the server state machine
 * (createStream, publish, play, pause, seek, stop commands, media, acks,
 * pings) are reached.
 *
 * Input: one control byte, then the client's bytes after C0+C1+C2.
 *   bits 0..3  piece size (0: everything at once), the input is fed in
 *              pieces of that many bytes, the clock advancing 3 ms and
 *              deadlines handled after each. Fed at once, commands that
 *              follow connect are refused (connect is not answered yet):
 *              the seeds use pieces.
 *   bit 4      connect's answer carries a secureToken challenge
 *   bit 5      connect goes through Adobe authentication
 *              (rtmp_auth_server_check_adobe on its app)
 *   bit 6      log at every level (builds the AMF dumps)
 *   bit 7      reject publish and play
 * A connect whose app starts with "reject" is rejected.
 * The seeds (corpus/session_server/) are client byte streams captured from
 * in-memory client/server session runs, each preceded by a control byte. */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtmpcommand.h"
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
/* C0+C1+C2 of a digest client answering the S0+S1+S2 every server of this
 * target sends */
static GBytes *client_handshake;

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
server_config_init (RtmpSessionConfig *config, gboolean verbose)
{
  rtmp_session_config_init (config, RTMP_SESSION_ROLE_SERVER);
  config->random = server_random;
  config->epoch_ms = 2000;
  config->now_us = START_US;
  config->phase_timeout_ms = 5000;
  config->ping_interval_ms = 100;
  config->idle_timeout_ms = 10000;
  /* a small window: acknowledgements are sent often */
  config->window_ack_size = 4096;
  config->limits.max_message_bytes = 1024 * 1024;
  config->limits.max_buffered_bytes = 4 * 1024 * 1024;
  config->limits.amf_max_elements = 4096;
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

/* A digest client's C0+C1, the S0+S1+S2 of a server of this target, and
 * the client's C2 (the first bytes it sends after S2) */
static void
init_once (void)
{
  RtmpSessionConfig config;
  g_autoptr (RtmpSession) client = NULL;
  g_autoptr (RtmpSession) server = NULL;
  g_autoptr (GBytes) c0c1 = NULL;
  g_autoptr (GBytes) s0s1s2 = NULL;
  g_autoptr (GBytes) c2 = NULL;
  GByteArray *handshake;
  gsize i;

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_log_set_writer_func (abort_on_fatal, NULL, NULL);
  for (i = 0; i < sizeof (client_random); i++) {
    client_random[i] = (guint8) (i * 131 + 7);
    server_random[i] = (guint8) (i * 71 + 3);
  }

  rtmp_session_config_init (&config, RTMP_SESSION_ROLE_CLIENT);
  config.random = client_random;
  config.epoch_ms = 1000;
  config.client.app = "live";
  config.client.tc_url = "rtmp://127.0.0.1/live";
  client = rtmp_session_new (&config);
  server_config_init (&config, FALSE);
  server = rtmp_session_new (&config);

  c0c1 = take_output (client);
  FUZZ_CHECK (rtmp_session_receive (server, g_bytes_get_data (c0c1, NULL),
      g_bytes_get_size (c0c1), START_US, NULL));
  s0s1s2 = take_output (server);
  FUZZ_CHECK (rtmp_session_receive (client, g_bytes_get_data (s0s1s2, NULL),
      g_bytes_get_size (s0s1s2), START_US, NULL));
  c2 = take_output (client); /* C2, then connect */
  FUZZ_CHECK (g_bytes_get_size (c2) > RTMP_HANDSHAKE_PACKET_SIZE);

  handshake = g_byte_array_new ();
  g_byte_array_append (handshake, g_bytes_get_data (c0c1, NULL),
      g_bytes_get_size (c0c1));
  g_byte_array_append (handshake, g_bytes_get_data (c2, NULL),
      RTMP_HANDSHAKE_PACKET_SIZE);
  client_handshake = g_byte_array_free_to_bytes (handshake);
  FUZZ_CHECK (g_bytes_get_size (client_handshake) == HANDSHAKE_BYTES);
}

static void
check_error (const GError *error)
{
  FUZZ_CHECK (error != NULL);
  FUZZ_CHECK (error->domain == RTMP_ERROR);
  FUZZ_CHECK (error->message != NULL && error->message[0] != '\0');
}

/* No authentication parameter is left in the query of a stripped app */
static void
check_stripped (const gchar *app)
{
  static const gchar *const auth_keys[]
      = { "authmod", "user", "challenge", "response", "opaque", NULL };
  const gchar *q = strchr (app, '?');
  g_auto (GStrv) pairs = NULL;
  guint i;

  if (q == NULL)
    return;
  pairs = g_strsplit (q + 1, "&", -1);
  for (i = 0; pairs[i] != NULL; i++) {
    const gchar *eq = strchr (pairs[i], '=');
    g_autofree gchar *key
        = eq ? g_strndup (pairs[i], eq - pairs[i]) : g_strdup (pairs[i]);

    FUZZ_CHECK (!g_strv_contains (auth_keys, key));
  }
}

static void
answer_connect (RtmpSession *session, const RtmpSessionEvent *event,
    guint8 control, guint64 now_us)
{
  static const guint8 secret[] = "fuzz secret";
  g_autoptr (RtmpAmfValue) extra = NULL;

  FUZZ_CHECK (event->name != NULL && event->info != NULL);
  if (control & 0x20) {
    g_autofree gchar *description = NULL;
    g_autofree gchar *app = NULL;
    RtmpAuthVerdict verdict = rtmp_auth_server_check_adobe (event->name,
        "alice", "secret", secret, sizeof (secret), 1000, &description, &app);

    if (verdict != RTMP_AUTH_VERDICT_ACCEPT) {
      FUZZ_CHECK (description != NULL && app == NULL);
      rtmp_session_reject_connect (session, description);
      return;
    }
    FUZZ_CHECK (app != NULL);
    check_stripped (app);
  } else if (g_str_has_prefix (event->name, "reject")) {
    rtmp_session_reject_connect (session, "No such application");
    return;
  }
  if (control & 0x10) {
    extra = rtmp_amf_value_new_object ();
    rtmp_amf_value_set_string_field (extra, "secureToken",
        "af25c4852d9547585580de3168349d48");
  }
  rtmp_session_accept_connect (session, extra, now_us);
}

static void
react (RtmpSession *session, const RtmpSessionEvent *event, guint8 control,
    guint64 now_us)
{
  static const guint8 media[] = { 0xaf, 0x01, 0x21, 0x10, 0x04, 0x60 };
  g_autoptr (GBytes) payload = NULL;
  RtmpSessionStats stats;

  switch (event->type) {
    case RTMP_SESSION_EVENT_CONNECT_REQUEST:
      answer_connect (session, event, control, now_us);
      break;
    case RTMP_SESSION_EVENT_PUBLISH_REQUEST:
      FUZZ_CHECK (event->name != NULL);
      if (control & 0x80)
        rtmp_session_reject_stream (session, event->stream_id,
            "NetStream.Publish.BadName", "fuzz", TRUE);
      else
        rtmp_session_accept_publish (session, event->stream_id);
      break;
    case RTMP_SESSION_EVENT_PLAY_REQUEST:
      FUZZ_CHECK (event->name != NULL);
      if (control & 0x80) {
        rtmp_session_reject_stream (session, event->stream_id,
            "NetStream.Play.StreamNotFound", "fuzz", FALSE);
        break;
      }
      rtmp_session_accept_play (session, event->stream_id,
          event->start_ms >= 0);
      payload = g_bytes_new_static (media, sizeof (media));
      rtmp_session_send_media (session, event->stream_id, RTMP_MESSAGE_AUDIO, 0,
          payload);
      break;
    case RTMP_SESSION_EVENT_SEEK_REQUEST:
      rtmp_session_send_status (session, event->stream_id, "status",
          "NetStream.Seek.Notify", "Seeking.");
      break;
    case RTMP_SESSION_EVENT_MEDIA:
      FUZZ_CHECK (event->message != NULL && event->message->payload != NULL);
      FUZZ_CHECK (rtmp_message_type_is_media (event->message->type));
      break;
    case RTMP_SESSION_EVENT_STREAM_CLOSED:
    case RTMP_SESSION_EVENT_COMMAND:
      FUZZ_CHECK (event->name != NULL && event->command != NULL);
      break;
    default:
      break;
  }
  rtmp_session_get_stats (session, &stats);
}

/* Drains events (answering them while the session is healthy) and output */
static void
drain (RtmpSession *session, gboolean healthy, guint8 control, guint64 now_us)
{
  RtmpSessionEvent event;

  while (rtmp_session_next_event (session, &event)) {
    if (healthy && !rtmp_session_is_closing (session))
      react (session, &event, control, now_us);
    rtmp_session_event_clear (&event);
  }
  discard_output (session);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static gboolean initialised = FALSE;
  RtmpSessionConfig config;
  RtmpSession *session;
  GError *error = NULL;
  guint8 control;
  gsize piece, pos = 0;
  gboolean healthy = TRUE;
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
  piece = control & 0x0f;

  server_config_init (&config, (control & 0x40) != 0);
  session = rtmp_session_new (&config);

  /* the handshake always completes */
  FUZZ_CHECK (
      rtmp_session_receive (session, g_bytes_get_data (client_handshake, NULL),
          g_bytes_get_size (client_handshake), now_us, NULL));
  drain (session, TRUE, control, now_us);

  while (pos < size && healthy) {
    gsize len = piece == 0 ? size - pos : MIN (piece, size - pos);

    healthy = rtmp_session_receive (session, data + pos, len, now_us, &error);
    pos += len;
    drain (session, healthy, control, now_us);
    now_us += STEP_US;
    if (healthy && now_us >= rtmp_session_next_deadline (session)) {
      healthy = rtmp_session_handle_deadline (session, now_us, &error);
      drain (session, healthy, control, now_us);
    }
  }
  if (healthy && !rtmp_session_receive_eof (session, &error))
    healthy = FALSE;
  if (!healthy) {
    check_error (error);
    g_clear_error (&error);
    FUZZ_CHECK (!rtmp_session_receive (session, (const guint8 *) "x", 1, now_us,
        &error));
    check_error (error);
    g_clear_error (&error);
  }
  drain (session, FALSE, control, now_us);
  rtmp_session_free (session);
  return 0;
}
