/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for rtmpsession: the client and server roles driven against each
 * other in memory, fed whole and one byte at a time, and their errors. */

#include <gst/check/gstcheck.h>
#include "rtmpsession.h"
#include "rtmpchunk.h"
#include "rtmpcommand.h"

#define MS 1000
#define START_US (1000 * MS)

typedef struct
{
  RtmpSession *client;
  RtmpSession *server;
  GPtrArray *client_events; /* RtmpSessionEvent * */
  GPtrArray *server_events;
  guint64 now_us;
  gsize piece; /* bytes fed per receive call; 0 = all */
  GError *client_error;
  GError *server_error;
  /* server behaviour */
  gboolean reject_connect;
  gboolean reject_publish;
  gboolean play_is_recorded;
  RtmpAmfValue *connect_extra_info;
  const gchar *auth_user, *auth_password;
  guint n_server_sessions;
} Pair;

static guint8 random_bytes[RTMP_SESSION_RANDOM_SIZE];

static void
event_free (RtmpSessionEvent *event)
{
  rtmp_session_event_clear (event);
  g_free (event);
}

static void
client_config_init (RtmpSessionConfig *config, RtmpSessionIntent intent)
{
  rtmp_session_config_init (config, RTMP_SESSION_ROLE_CLIENT);
  config->random = random_bytes;
  config->now_us = START_US;
  config->client.app = "live";
  config->client.tc_url = "rtmp://127.0.0.1/live";
  config->client.flash_ver = "FMLE/3.0 (compatible; gst-rtmp)";
  config->client.intent = intent;
  config->client.stream_name = "cam1";
}

static RtmpSession *
new_server (Pair *pair)
{
  RtmpSessionConfig config;

  rtmp_session_config_init (&config, RTMP_SESSION_ROLE_SERVER);
  config.random = random_bytes;
  config.now_us = pair->now_us;
  pair->n_server_sessions++;
  return rtmp_session_new (&config);
}

static void
pair_init (Pair *pair, const RtmpSessionConfig *client_config)
{
  memset (pair, 0, sizeof (*pair));
  pair->now_us = START_US;
  pair->client = rtmp_session_new (client_config);
  pair->server = new_server (pair);
  pair->client_events
      = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  pair->server_events
      = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
}

static void
pair_clear (Pair *pair)
{
  rtmp_session_free (pair->client);
  rtmp_session_free (pair->server);
  g_ptr_array_unref (pair->client_events);
  g_ptr_array_unref (pair->server_events);
  g_clear_error (&pair->client_error);
  g_clear_error (&pair->server_error);
  g_clear_pointer (&pair->connect_extra_info, rtmp_amf_value_free);
}

/* Moves everything @from has to write into @to, in pieces of pair->piece */
static gsize
transfer (Pair *pair, RtmpSession *from, RtmpSession *to, GError **error)
{
  RtmpOutputVector vectors[16];
  GByteArray *bytes = g_byte_array_new ();
  gsize offset = 0, total;
  guint n, i;

  while ((n = rtmp_session_peek_output (from, vectors, 16)) > 0) {
    gsize len = 0;

    for (i = 0; i < n; i++) {
      g_byte_array_append (bytes, vectors[i].data, vectors[i].len);
      len += vectors[i].len;
    }
    rtmp_session_consume_output (from, len);
  }
  total = bytes->len;

  while (offset < bytes->len && *error == NULL) {
    gsize len = pair->piece ? MIN (pair->piece, bytes->len - offset)
                            : bytes->len - offset;

    rtmp_session_receive (to, bytes->data + offset, len, pair->now_us, error);
    offset += len;
  }
  g_byte_array_unref (bytes);
  return total;
}

static void
server_react (Pair *pair, RtmpSessionEvent *event)
{
  switch (event->type) {
    case RTMP_SESSION_EVENT_CONNECT_REQUEST:
      if (pair->auth_user) {
        static const guint8 secret[] = "test secret";
        g_autofree gchar *description = NULL;
        g_autofree gchar *app = NULL;
        RtmpAuthVerdict verdict = rtmp_auth_server_check_adobe (event->name,
            pair->auth_user, pair->auth_password, secret, sizeof (secret),
            pair->now_us / G_USEC_PER_SEC, &description, &app);

        if (verdict != RTMP_AUTH_VERDICT_ACCEPT) {
          rtmp_session_reject_connect (pair->server, description);
          break;
        }
        fail_unless_equals_string (app, "live");
      }
      if (pair->reject_connect)
        rtmp_session_reject_connect (pair->server, "No such application");
      else
        rtmp_session_accept_connect (pair->server, pair->connect_extra_info,
            pair->now_us);
      break;
    case RTMP_SESSION_EVENT_PUBLISH_REQUEST:
      if (pair->reject_publish)
        rtmp_session_reject_stream (pair->server, event->stream_id,
            "NetStream.Publish.BadName", "wrong key", TRUE);
      else
        rtmp_session_accept_publish (pair->server, event->stream_id);
      break;
    case RTMP_SESSION_EVENT_PLAY_REQUEST:
      rtmp_session_accept_play (pair->server, event->stream_id,
          pair->play_is_recorded);
      break;
    default:
      break;
  }
}

static void
drain (Pair *pair)
{
  RtmpSessionEvent event;

  while (rtmp_session_next_event (pair->server, &event)) {
    server_react (pair, &event);
    g_ptr_array_add (pair->server_events, g_memdup2 (&event, sizeof (event)));
  }
  while (rtmp_session_next_event (pair->client, &event))
    g_ptr_array_add (pair->client_events, g_memdup2 (&event, sizeof (event)));
}

/* Exchanges bytes until neither side has anything to say or one failed */
static void
run (Pair *pair)
{
  guint rounds;

  for (rounds = 0; rounds < 100; rounds++) {
    gsize moved = 0;

    drain (pair);
    if (pair->client_error == NULL && pair->server_error == NULL)
      moved += transfer (pair, pair->client, pair->server, &pair->server_error);
    drain (pair);
    if (pair->client_error == NULL && pair->server_error == NULL)
      moved += transfer (pair, pair->server, pair->client, &pair->client_error);
    drain (pair);
    if (moved == 0 || pair->client_error || pair->server_error)
      return;
  }
  fail ("sessions still talking after 100 rounds");
}

static RtmpSessionEvent *
find_event (GPtrArray *events, RtmpSessionEventType type, guint nth)
{
  guint i;

  for (i = 0; i < events->len; i++) {
    RtmpSessionEvent *event = events->pdata[i];

    if (event->type == type && nth-- == 0)
      return event;
  }
  return NULL;
}

static guint
count_events (GPtrArray *events, RtmpSessionEventType type)
{
  guint i, n = 0;

  for (i = 0; i < events->len; i++)
    n += ((RtmpSessionEvent *) events->pdata[i])->type == type;
  return n;
}

static GBytes *
make_payload (gsize len, guint8 seed)
{
  guint8 *data = g_malloc (len);
  gsize i;

  for (i = 0; i < len; i++)
    data[i] = (guint8) (seed + i * 7);
  return g_bytes_new_take (data, len);
}

static void
check_publish_flow (gsize piece)
{
  RtmpSessionConfig config;
  Pair pair;
  RtmpSessionEvent *event;
  guint32 stream_id;
  GBytes *video = make_payload (100000, 1);
  GBytes *audio = make_payload (300, 2);
  guint i;

  client_config_init (&config, RTMP_SESSION_INTENT_PUBLISH);
  config.chunk_size = 4096;
  pair_init (&pair, &config);
  pair.piece = piece;
  run (&pair);
  fail_unless (pair.client_error == NULL, "%s",
      pair.client_error ? pair.client_error->message : "");
  fail_unless (pair.server_error == NULL, "%s",
      pair.server_error ? pair.server_error->message : "");

  /* client: handshake, connected, stream created, publishing */
  fail_unless (
      find_event (pair.client_events, RTMP_SESSION_EVENT_HANDSHAKE_COMPLETE, 0)
      != NULL);
  event = find_event (pair.client_events, RTMP_SESSION_EVENT_CONNECTED, 0);
  fail_unless (event != NULL);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (event->info, "code"),
      "NetConnection.Connect.Success");
  event = find_event (pair.client_events, RTMP_SESSION_EVENT_PUBLISHING, 0);
  fail_unless (event != NULL);
  stream_id = rtmp_session_get_stream_id (pair.client);
  fail_unless (stream_id >= 1);
  fail_unless_equals_int (event->stream_id, stream_id);
  fail_unless (rtmp_session_is_publishing (pair.client));

  /* server: connect with the app, publish with the stream name */
  event
      = find_event (pair.server_events, RTMP_SESSION_EVENT_CONNECT_REQUEST, 0);
  fail_unless (event != NULL);
  fail_unless_equals_string (event->name, "live");
  fail_unless_equals_string (
      rtmp_amf_value_lookup_string (event->info, "tcUrl"),
      "rtmp://127.0.0.1/live");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (event->info, "type"),
      "nonprivate");
  event
      = find_event (pair.server_events, RTMP_SESSION_EVENT_PUBLISH_REQUEST, 0);
  fail_unless (event != NULL);
  fail_unless_equals_string (event->name, "cam1");
  fail_unless_equals_int (event->publish_type, RTMP_PUBLISH_TYPE_LIVE);
  fail_unless_equals_int (event->stream_id, stream_id);
  fail_unless_equals_int (rtmp_session_get_peer_chunk_size (pair.server), 4096);

  /* media arrives whole, in order, with its timestamps */
  for (i = 0; i < 5; i++) {
    rtmp_session_send_media (pair.client, stream_id, RTMP_MESSAGE_VIDEO, i * 33,
        video);
    rtmp_session_send_media (pair.client, stream_id, RTMP_MESSAGE_AUDIO,
        i * 33 + 10, audio);
  }
  run (&pair);
  fail_unless_equals_int (
      count_events (pair.server_events, RTMP_SESSION_EVENT_MEDIA), 10);
  for (i = 0; i < 10; i++) {
    RtmpMessage *m
        = find_event (pair.server_events, RTMP_SESSION_EVENT_MEDIA, i)->message;

    fail_unless_equals_int (m->type,
        i % 2 ? RTMP_MESSAGE_AUDIO : RTMP_MESSAGE_VIDEO);
    fail_unless_equals_int (m->timestamp, (i / 2) * 33 + (i % 2) * 10);
    fail_unless_equals_int (m->stream_id, stream_id);
    fail_unless (g_bytes_equal (m->payload, i % 2 ? audio : video));
  }

  /* stop commands reach the server; the client is closing */
  rtmp_session_stop (pair.client,
      RTMP_STOP_COMMANDS_FCUNPUBLISH | RTMP_STOP_COMMANDS_DELETE_STREAM);
  fail_unless (rtmp_session_is_closing (pair.client));
  transfer (&pair, pair.client, pair.server, &pair.server_error);
  drain (&pair);
  fail_unless (pair.server_error == NULL);
  event = find_event (pair.server_events, RTMP_SESSION_EVENT_STREAM_CLOSED, 0);
  fail_unless (event != NULL);
  fail_unless_equals_string (event->name, "FCUnpublish");
  event = find_event (pair.server_events, RTMP_SESSION_EVENT_STREAM_CLOSED, 1);
  fail_unless (event != NULL);
  fail_unless_equals_string (event->name, "deleteStream");
  fail_unless_equals_int (event->stream_id, stream_id);

  g_bytes_unref (video);
  g_bytes_unref (audio);
  pair_clear (&pair);
}

GST_START_TEST (test_publish_flow)
{
  check_publish_flow (0);
}

GST_END_TEST;

GST_START_TEST (test_publish_flow_byte_by_byte)
{
  check_publish_flow (1);
}

GST_END_TEST;

GST_START_TEST (test_publish_flow_odd_pieces)
{
  check_publish_flow (977);
}

GST_END_TEST;

static void
check_play_flow (gsize piece, gboolean recorded)
{
  RtmpSessionConfig config;
  Pair pair;
  RtmpSessionEvent *event;
  guint32 stream_id;
  GBytes *video = make_payload (5000, 3);
  RtmpAmfValue *values[2];
  GBytes *status;
  RtmpUserControl eof;

  client_config_init (&config, RTMP_SESSION_INTENT_PLAY);
  config.client.buffer_length_ms = 3000;
  pair_init (&pair, &config);
  pair.piece = piece;
  pair.play_is_recorded = recorded;
  run (&pair);
  fail_unless (pair.client_error == NULL);
  fail_unless (pair.server_error == NULL);

  event = find_event (pair.server_events, RTMP_SESSION_EVENT_PLAY_REQUEST, 0);
  fail_unless (event != NULL);
  fail_unless_equals_string (event->name, "cam1");
  fail_unless (event->start_ms == -2000);
  fail_unless (event->reset);
  stream_id = event->stream_id;

  fail_unless (
      find_event (pair.client_events, RTMP_SESSION_EVENT_PLAYING, 0) != NULL);
  fail_unless (rtmp_session_is_playing (pair.client));
  /* Play.Reset then Play.Start as statuses */
  fail_unless_equals_string (
      find_event (pair.client_events, RTMP_SESSION_EVENT_STATUS, 0)->code,
      "NetStream.Play.Reset");
  fail_unless_equals_string (
      find_event (pair.client_events, RTMP_SESSION_EVENT_STATUS, 1)->code,
      "NetStream.Play.Start");
  event = find_event (pair.client_events, RTMP_SESSION_EVENT_STREAM_CONTROL,
      recorded ? 1 : 0);
  fail_unless_equals_int (event->control_type, RTMP_USER_CONTROL_STREAM_BEGIN);
  fail_unless_equals_int (event->stream_id, stream_id);
  if (recorded) {
    event
        = find_event (pair.client_events, RTMP_SESSION_EVENT_STREAM_CONTROL, 0);
    fail_unless_equals_int (event->control_type,
        RTMP_USER_CONTROL_STREAM_IS_RECORDED);
  }
  /* |RtmpSampleAccess arrives as data */
  event = find_event (pair.client_events, RTMP_SESSION_EVENT_MEDIA, 0);
  fail_unless (event != NULL);
  fail_unless_equals_int (event->message->type, RTMP_MESSAGE_DATA_AMF0);

  rtmp_session_send_media (pair.server, stream_id, RTMP_MESSAGE_VIDEO, 40,
      video);
  /* the end of a recorded stream: onPlayStatus and Stream EOF */
  values[0] = rtmp_amf_value_new_string ("onPlayStatus");
  values[1] = rtmp_amf_value_new_object ();
  rtmp_amf_value_set_string_field (values[1], "code",
      "NetStream.Play.Complete");
  rtmp_amf_value_set_string_field (values[1], "level", "status");
  status = rtmp_data_serialize ((const RtmpAmfValue *const *) values, 2);
  rtmp_session_send_media (pair.server, stream_id, RTMP_MESSAGE_DATA_AMF0, 40,
      status);
  eof.type = RTMP_USER_CONTROL_STREAM_EOF;
  eof.value = stream_id;
  rtmp_session_send_user_control (pair.server, &eof);
  run (&pair);
  fail_unless (pair.client_error == NULL);

  event = find_event (pair.client_events, RTMP_SESSION_EVENT_MEDIA, 1);
  fail_unless (event != NULL);
  fail_unless (g_bytes_equal (event->message->payload, video));
  fail_unless_equals_int (event->message->timestamp, 40);
  event = find_event (pair.client_events, RTMP_SESSION_EVENT_STATUS, 2);
  fail_unless (event != NULL);
  fail_unless_equals_string (event->code, "NetStream.Play.Complete");
  fail_unless_equals_int (event->stream_id, stream_id);
  event = find_event (pair.client_events, RTMP_SESSION_EVENT_STREAM_CONTROL,
      recorded ? 2 : 1);
  fail_unless_equals_int (event->control_type, RTMP_USER_CONTROL_STREAM_EOF);

  /* seek and pause reach the server */
  rtmp_session_seek (pair.client, 12000);
  rtmp_session_pause (pair.client, TRUE, 12000);
  run (&pair);
  event = find_event (pair.server_events, RTMP_SESSION_EVENT_SEEK_REQUEST, 0);
  fail_unless (event != NULL);
  fail_unless (event->position_ms == 12000);
  event = find_event (pair.server_events, RTMP_SESSION_EVENT_PAUSE_REQUEST, 0);
  fail_unless (event != NULL);
  fail_unless (event->pause);
  fail_unless_equals_string (
      find_event (pair.client_events, RTMP_SESSION_EVENT_STATUS, 3)->code,
      "NetStream.Pause.Notify");

  rtmp_amf_value_free (values[0]);
  rtmp_amf_value_free (values[1]);
  g_bytes_unref (status);
  g_bytes_unref (video);
  pair_clear (&pair);
}

GST_START_TEST (test_play_flow)
{
  check_play_flow (0, FALSE);
  check_play_flow (0, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_play_flow_byte_by_byte)
{
  check_play_flow (1, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_connect_rejected)
{
  RtmpSessionConfig config;
  Pair pair;

  client_config_init (&config, RTMP_SESSION_INTENT_PUBLISH);
  pair_init (&pair, &config);
  pair.reject_connect = TRUE;
  run (&pair);
  fail_unless (
      g_error_matches (pair.client_error, RTMP_ERROR, RTMP_ERROR_REJECTED));
  fail_unless (
      strstr (pair.client_error->message, "NetConnection.Connect.Rejected")
      != NULL);
  fail_unless (
      strstr (pair.client_error->message, "No such application") != NULL);
  fail_unless (rtmp_session_is_closing (pair.server));
  pair_clear (&pair);
}

GST_END_TEST;

GST_START_TEST (test_publish_rejected)
{
  RtmpSessionConfig config;
  Pair pair;

  client_config_init (&config, RTMP_SESSION_INTENT_PUBLISH);
  pair_init (&pair, &config);
  pair.reject_publish = TRUE;
  run (&pair);
  fail_unless (
      g_error_matches (pair.client_error, RTMP_ERROR, RTMP_ERROR_REJECTED));
  fail_unless (
      strstr (pair.client_error->message, "NetStream.Publish.BadName") != NULL);
  fail_unless (strstr (pair.client_error->message, "cam1") != NULL);
  pair_clear (&pair);
}

GST_END_TEST;

/* Adobe authentication: each rejection is a new connection, as in life */
static void
check_adobe_auth (const gchar *password, gboolean expect_success)
{
  g_autoptr (RtmpAuthState) auth
      = rtmp_auth_state_new (RTMP_AUTHMOD_AUTO, "alice", password);
  RtmpSessionConfig config;
  Pair pair;
  guint attempt;

  client_config_init (&config, RTMP_SESSION_INTENT_PUBLISH);
  config.client.auth = auth;
  pair_init (&pair, &config);
  pair.auth_user = "alice";
  pair.auth_password = "wonderland";

  for (attempt = 0; attempt < 5; attempt++) {
    run (&pair);
    if (find_event (pair.client_events, RTMP_SESSION_EVENT_AUTH_RETRY, 0)
        == NULL)
      break;
    fail_unless (pair.client_error == NULL);
    fail_unless (rtmp_session_is_closing (pair.client));
    /* reconnect: new sessions, same auth state */
    rtmp_session_free (pair.client);
    rtmp_session_free (pair.server);
    g_ptr_array_set_size (pair.client_events, 0);
    g_ptr_array_set_size (pair.server_events, 0);
    pair.client = rtmp_session_new (&config);
    pair.server = new_server (&pair);
  }

  if (expect_success) {
    fail_unless (pair.client_error == NULL, "%s",
        pair.client_error ? pair.client_error->message : "");
    fail_unless (
        find_event (pair.client_events, RTMP_SESSION_EVENT_PUBLISHING, 0)
        != NULL);
    /* plain, user, response: three connections */
    fail_unless_equals_int (pair.n_server_sessions, 3);
  } else {
    fail_unless (
        g_error_matches (pair.client_error, RTMP_ERROR, RTMP_ERROR_AUTH), "%s",
        pair.client_error ? pair.client_error->message : "no error");
  }
  pair_clear (&pair);
}

GST_START_TEST (test_adobe_auth)
{
  check_adobe_auth ("wonderland", TRUE);
  check_adobe_auth ("looking-glass", FALSE);
}

GST_END_TEST;

GST_START_TEST (test_secure_token)
{
  RtmpSessionConfig config;
  Pair pair;
  RtmpSessionEvent *event;
  const RtmpAmfValue *response;

  client_config_init (&config, RTMP_SESSION_INTENT_CONNECT);
  config.client.secure_token = "0123456789abcdef";
  pair_init (&pair, &config);
  pair.connect_extra_info = rtmp_amf_value_new_object ();
  /* "hello world12345" encrypted with the token (see the auth tests) */
  rtmp_amf_value_set_string_field (pair.connect_extra_info, "secureToken",
      "af25c4852d9547585580de3168349d48");
  run (&pair);
  fail_unless (pair.client_error == NULL);
  event = find_event (pair.server_events, RTMP_SESSION_EVENT_COMMAND, 0);
  fail_unless (event != NULL);
  fail_unless_equals_string (event->command->name, "secureTokenResponse");
  response = rtmp_command_peek_argument (event->command, 0);
  fail_unless_equals_string (rtmp_amf_value_peek_string (response, NULL),
      "hello world12345");
  pair_clear (&pair);
}

GST_END_TEST;

GST_START_TEST (test_secure_token_missing)
{
  RtmpSessionConfig config;
  Pair pair;

  client_config_init (&config, RTMP_SESSION_INTENT_CONNECT);
  pair_init (&pair, &config);
  pair.connect_extra_info = rtmp_amf_value_new_object ();
  rtmp_amf_value_set_string_field (pair.connect_extra_info, "secureToken",
      "00");
  run (&pair);
  fail_unless (
      g_error_matches (pair.client_error, RTMP_ERROR, RTMP_ERROR_AUTH));
  fail_unless (strstr (pair.client_error->message, "secureToken") != NULL);
  pair_clear (&pair);
}

GST_END_TEST;

/* Each client phase has a deadline naming the phase: the server answers
 * the first n exchanges and then falls silent */
GST_START_TEST (test_phase_timeouts)
{
  static const struct
  {
    guint answers;
    const gchar *phase;
  } cases[] = {
    { 0, "handshake" },
    { 1, "connect" },
    { 2, "createStream" },
    { 3, "NetStream.Publish.Start" },
  };
  guint c;

  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    RtmpSessionConfig config;
    Pair pair;
    GError *error = NULL;
    guint64 deadline;
    guint k;

    client_config_init (&config, RTMP_SESSION_INTENT_PUBLISH);
    config.phase_timeout_ms = 5000;
    pair_init (&pair, &config);

    for (k = 0; k <= cases[c].answers; k++) {
      transfer (&pair, pair.client, pair.server, &pair.server_error);
      drain (&pair);
      if (k < cases[c].answers) {
        transfer (&pair, pair.server, pair.client, &pair.client_error);
        drain (&pair);
      }
    }
    fail_unless (pair.client_error == NULL && pair.server_error == NULL,
        "case %u", c);

    deadline = rtmp_session_next_deadline (pair.client);
    fail_unless (deadline == START_US + 5000 * MS, "case %u", c);
    fail_unless (
        rtmp_session_handle_deadline (pair.client, deadline - 1, &error));
    fail_if (rtmp_session_handle_deadline (pair.client, deadline, &error));
    fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_TIMEOUT));
    fail_unless (strstr (error->message, cases[c].phase) != NULL,
        "case %u: '%s' does not name '%s'", c, error->message, cases[c].phase);
    g_clear_error (&error);
    pair_clear (&pair);
  }
}

GST_END_TEST;

GST_START_TEST (test_ping_rtt_and_idle)
{
  RtmpSessionConfig client_config, server_config;
  Pair pair;
  RtmpSessionEvent *event;
  GError *error = NULL;

  client_config_init (&client_config, RTMP_SESSION_INTENT_PLAY);
  pair_init (&pair, &client_config);
  rtmp_session_free (pair.server);
  rtmp_session_config_init (&server_config, RTMP_SESSION_ROLE_SERVER);
  server_config.random = random_bytes;
  server_config.now_us = pair.now_us;
  server_config.ping_interval_ms = 1000;
  server_config.idle_timeout_ms = 10000;
  pair.server = rtmp_session_new (&server_config);
  run (&pair);
  fail_unless (pair.client_error == NULL);

  pair.now_us += 1000 * MS;
  fail_unless (rtmp_session_next_deadline (pair.server) <= pair.now_us);
  fail_unless (rtmp_session_handle_deadline (pair.server, pair.now_us, &error));
  transfer (&pair, pair.server, pair.client, &pair.client_error);
  drain (&pair);
  pair.now_us += 25 * MS;
  transfer (&pair, pair.client, pair.server, &pair.server_error);
  drain (&pair);
  event = find_event (pair.server_events, RTMP_SESSION_EVENT_RTT, 0);
  fail_unless (event != NULL);
  fail_unless_equals_int (event->rtt_us, 25 * MS);

  /* nothing from the client for the idle timeout: an error */
  pair.now_us += 10000 * MS;
  fail_if (rtmp_session_handle_deadline (pair.server, pair.now_us, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_TIMEOUT));
  fail_unless (strstr (error->message, "no data") != NULL);
  g_clear_error (&error);
  pair_clear (&pair);
}

GST_END_TEST;

/* A small window makes the receiver acknowledge */
GST_START_TEST (test_acknowledgements)
{
  RtmpSessionConfig client_config, server_config;
  Pair pair;
  RtmpSessionStats stats;
  GBytes *video = make_payload (60000, 9);
  guint i;

  client_config_init (&client_config, RTMP_SESSION_INTENT_PUBLISH);
  pair_init (&pair, &client_config);
  rtmp_session_free (pair.server);
  rtmp_session_config_init (&server_config, RTMP_SESSION_ROLE_SERVER);
  server_config.random = random_bytes;
  server_config.now_us = pair.now_us;
  server_config.window_ack_size = 100000;
  pair.server = rtmp_session_new (&server_config);
  run (&pair);

  for (i = 0; i < 10; i++)
    rtmp_session_send_media (pair.client,
        rtmp_session_get_stream_id (pair.client), RTMP_MESSAGE_VIDEO, i, video);
  run (&pair);
  rtmp_session_get_stats (pair.client, &stats);
  /* 600 kB through a 100 kB window (the client answered Set Peer
   * Bandwidth; the server acknowledges what it receives) */
  fail_unless (stats.in_acks >= 5, "only %" G_GUINT64_FORMAT " acks",
      stats.in_acks);
  fail_unless_equals_int (stats.out_window_ack_size, 100000);
  g_bytes_unref (video);
  pair_clear (&pair);
}

GST_END_TEST;

static RtmpSession *
connected_server (Pair *pair)
{
  RtmpSessionConfig config;

  client_config_init (&config, RTMP_SESSION_INTENT_CONNECT);
  pair_init (pair, &config);
  run (pair);
  fail_unless (pair->client_error == NULL);
  fail_unless (pair->server_error == NULL);
  return pair->server;
}

static void
send_client_command (Pair *pair, guint32 stream_id, const gchar *name,
    gdouble txn, RtmpAmfValue *arg)
{
  g_autoptr (RtmpCommand) command = rtmp_command_new (name, txn, NULL);

  if (arg)
    rtmp_command_take_argument (command, arg);
  rtmp_session_send_command (pair->client, stream_id, command);
  transfer (pair, pair->client, pair->server, &pair->server_error);
  drain (pair);
}

GST_START_TEST (test_server_refuses_bad_commands)
{
  Pair pair;
  guint i;

  /* publish on a stream that was never created */
  connected_server (&pair);
  send_client_command (&pair, 7, "publish", 0, rtmp_amf_value_new_string ("x"));
  fail_unless (
      g_error_matches (pair.server_error, RTMP_ERROR, RTMP_ERROR_PROTOCOL));
  fail_unless (strstr (pair.server_error->message, "stream 7") != NULL);
  pair_clear (&pair);

  /* publish without a name */
  connected_server (&pair);
  send_client_command (&pair, 0, "createStream", 2, NULL);
  send_client_command (&pair, 1, "publish", 0, NULL);
  fail_unless (
      g_error_matches (pair.server_error, RTMP_ERROR, RTMP_ERROR_MALFORMED));
  pair_clear (&pair);

  /* a second connect */
  connected_server (&pair);
  send_client_command (&pair, 0, "connect", 9, NULL);
  fail_unless (
      g_error_matches (pair.server_error, RTMP_ERROR, RTMP_ERROR_PROTOCOL));
  pair_clear (&pair);

  /* streams per connection are bounded: the extra ones get _error */
  connected_server (&pair);
  for (i = 0; i < 20; i++)
    send_client_command (&pair, 0, "createStream", 10 + i, NULL);
  fail_unless (pair.server_error == NULL);
  transfer (&pair, pair.server, pair.client, &pair.client_error);
  fail_unless (pair.client_error == NULL);
  pair_clear (&pair);
}

GST_END_TEST;

GST_START_TEST (test_server_command_before_connect)
{
  RtmpSessionConfig config;
  Pair pair;
  RtmpSessionEvent event;
  gboolean done = FALSE, streamed = FALSE;

  client_config_init (&config, RTMP_SESSION_INTENT_CONNECT);
  pair_init (&pair, &config);
  /* handshake only: hold the server's answer to connect back */
  while (!done) {
    transfer (&pair, pair.client, pair.server, &pair.server_error);
    while (rtmp_session_next_event (pair.server, &event)) {
      done |= event.type == RTMP_SESSION_EVENT_CONNECT_REQUEST;
      rtmp_session_event_clear (&event);
    }
    transfer (&pair, pair.server, pair.client, &pair.client_error);
  }
  /* held while connect waits for its answer; a rejection drops it */
  {
    g_autoptr (RtmpCommand) create = rtmp_command_new ("createStream", 2, NULL);

    rtmp_session_send_command (pair.client, 0, create);
    transfer (&pair, pair.client, pair.server, &pair.server_error);
  }
  fail_unless (pair.server_error == NULL);
  rtmp_session_reject_connect (pair.server, "no");
  while (rtmp_session_next_event (pair.server, &event)) {
    streamed |= event.type != RTMP_SESSION_EVENT_CONNECT_REQUEST;
    rtmp_session_event_clear (&event);
  }
  fail_if (streamed);
  fail_unless (rtmp_session_is_closing (pair.server));
  pair_clear (&pair);
}

GST_END_TEST;

GST_START_TEST (test_eof_mid_message)
{
  RtmpSessionConfig config;
  Pair pair;
  RtmpOutputVector vectors[64];
  GByteArray *bytes = g_byte_array_new ();
  GBytes *video = make_payload (50000, 4);
  GError *error = NULL;
  guint n, i;

  client_config_init (&config, RTMP_SESSION_INTENT_PUBLISH);
  pair_init (&pair, &config);
  run (&pair);
  rtmp_session_send_media (pair.client,
      rtmp_session_get_stream_id (pair.client), RTMP_MESSAGE_VIDEO, 0, video);
  n = rtmp_session_peek_output (pair.client, vectors, 64);
  for (i = 0; i < n; i++)
    g_byte_array_append (bytes, vectors[i].data, vectors[i].len);
  /* half of the message, then the connection breaks */
  fail_unless (rtmp_session_receive (pair.server, bytes->data, bytes->len / 2,
      pair.now_us, &error));
  fail_if (rtmp_session_receive_eof (pair.server, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_CLOSED));
  fail_unless (strstr (error->message, "middle of a message") != NULL);
  g_clear_error (&error);

  /* a client that stopped sees EOF as the normal end */
  rtmp_session_stop (pair.client, RTMP_STOP_COMMANDS_NONE);
  fail_unless (rtmp_session_receive_eof (pair.client, &error));

  g_byte_array_unref (bytes);
  g_bytes_unref (video);
  pair_clear (&pair);
}

GST_END_TEST;

GST_START_TEST (test_enhanced_connect)
{
  static const gchar *const fourccs[] = { "hvc1", "av01", "Opus", NULL };
  RtmpSessionConfig config;
  Pair pair;
  RtmpSessionEvent *event;
  const RtmpAmfValue *list, *video_map, *audio_map;
  gdouble caps;

  client_config_init (&config, RTMP_SESSION_INTENT_PLAY);
  config.client.fourcc_list = fourccs;
  pair_init (&pair, &config);
  run (&pair);
  event
      = find_event (pair.server_events, RTMP_SESSION_EVENT_CONNECT_REQUEST, 0);
  fail_unless (event != NULL);
  list = rtmp_amf_value_peek_field (event->info, "fourCcList");
  fail_unless (list != NULL);
  fail_unless_equals_int (rtmp_amf_value_get_n_items (list), 3);
  fail_unless_equals_string (
      rtmp_amf_value_peek_string (rtmp_amf_value_peek_item (list, 0), NULL),
      "hvc1");
  video_map = rtmp_amf_value_peek_field (event->info, "videoFourCcInfoMap");
  audio_map = rtmp_amf_value_peek_field (event->info, "audioFourCcInfoMap");
  fail_unless (rtmp_amf_value_peek_field (video_map, "av01") != NULL);
  fail_unless (rtmp_amf_value_peek_field (video_map, "Opus") == NULL);
  fail_unless (rtmp_amf_value_peek_field (audio_map, "Opus") != NULL);
  fail_unless (rtmp_amf_value_lookup_number (event->info, "capsEx", &caps));
  fail_unless (caps > 0);
  pair_clear (&pair);
}

GST_END_TEST;

/* A client that does not wait for connect's answer: what it sent meanwhile
 * is held until the server's user accepts connect, then handled */
GST_START_TEST (test_server_holds_pipelined_commands)
{
  RtmpSessionConfig config;
  Pair pair;
  RtmpSessionEvent event;
  GError *error = NULL;
  gboolean have_connect = FALSE, have_publish = FALSE;

  client_config_init (&config, RTMP_SESSION_INTENT_CONNECT);
  pair_init (&pair, &config);
  /* the handshake, and the client's connect */
  transfer (&pair, pair.client, pair.server, &pair.server_error);
  transfer (&pair, pair.server, pair.client, &pair.client_error);
  /* createStream and publish right behind connect, in one write */
  {
    g_autoptr (RtmpCommand) create = rtmp_command_new ("createStream", 2, NULL);
    g_autoptr (RtmpCommand) publish = rtmp_command_new ("publish", 0, NULL);

    rtmp_session_send_command (pair.client, 0, create);
    rtmp_command_take_argument (publish, rtmp_amf_value_new_string ("k"));
    rtmp_session_send_command (pair.client, 1, publish);
    transfer (&pair, pair.client, pair.server, &pair.server_error);
  }
  while (rtmp_session_next_event (pair.server, &event)) {
    have_connect |= event.type == RTMP_SESSION_EVENT_CONNECT_REQUEST;
    have_publish |= event.type == RTMP_SESSION_EVENT_PUBLISH_REQUEST;
    rtmp_session_event_clear (&event);
  }
  fail_unless (pair.server_error == NULL, "%s",
      pair.server_error ? pair.server_error->message : "");
  fail_unless (have_connect);
  while (rtmp_session_next_event (pair.server, &event)) {
    have_publish |= event.type == RTMP_SESSION_EVENT_PUBLISH_REQUEST;
    rtmp_session_event_clear (&event);
  }
  fail_if (have_publish, "publish handled before connect was accepted");

  rtmp_session_accept_connect (pair.server, NULL, pair.now_us);
  while (rtmp_session_next_event (pair.server, &event)) {
    if (event.type == RTMP_SESSION_EVENT_PUBLISH_REQUEST) {
      have_publish = TRUE;
      fail_unless_equals_string (event.name, "k");
      fail_unless_equals_int (event.stream_id, 1);
    }
    rtmp_session_event_clear (&event);
  }
  fail_unless (have_publish);
  fail_unless (rtmp_session_handle_deadline (pair.server, pair.now_us, &error));
  pair_clear (&pair);
}

GST_END_TEST;

/* ... but only so much of it */
GST_START_TEST (test_server_bounds_pipelined_commands)
{
  RtmpSessionConfig config;
  Pair pair;
  guint i;

  client_config_init (&config, RTMP_SESSION_INTENT_CONNECT);
  pair_init (&pair, &config);
  transfer (&pair, pair.client, pair.server, &pair.server_error);
  transfer (&pair, pair.server, pair.client, &pair.client_error);
  for (i = 0; i < 100; i++) {
    g_autoptr (RtmpCommand) create
        = rtmp_command_new ("createStream", 2 + i, NULL);

    rtmp_session_send_command (pair.client, 0, create);
  }
  transfer (&pair, pair.client, pair.server, &pair.server_error);
  fail_unless (
      g_error_matches (pair.server_error, RTMP_ERROR, RTMP_ERROR_LIMIT));
  pair_clear (&pair);
}

GST_END_TEST;

static Suite *
session_suite (void)
{
  Suite *s = suite_create ("rtmpsession");
  TCase *tc = tcase_create ("general");
  guint i;

  for (i = 0; i < sizeof (random_bytes); i++)
    random_bytes[i] = (guint8) (i * 31 + 7);

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_publish_flow);
  tcase_add_test (tc, test_publish_flow_byte_by_byte);
  tcase_add_test (tc, test_publish_flow_odd_pieces);
  tcase_add_test (tc, test_play_flow);
  tcase_add_test (tc, test_play_flow_byte_by_byte);
  tcase_add_test (tc, test_connect_rejected);
  tcase_add_test (tc, test_publish_rejected);
  tcase_add_test (tc, test_adobe_auth);
  tcase_add_test (tc, test_secure_token);
  tcase_add_test (tc, test_secure_token_missing);
  tcase_add_test (tc, test_phase_timeouts);
  tcase_add_test (tc, test_ping_rtt_and_idle);
  tcase_add_test (tc, test_acknowledgements);
  tcase_add_test (tc, test_server_refuses_bad_commands);
  tcase_add_test (tc, test_server_command_before_connect);
  tcase_add_test (tc, test_eof_mid_message);
  tcase_add_test (tc, test_enhanced_connect);
  tcase_add_test (tc, test_server_holds_pipelined_commands);
  tcase_add_test (tc, test_server_bounds_pipelined_commands);
  return s;
}

GST_CHECK_MAIN (session);
