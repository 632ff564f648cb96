/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for the in-process test peer (tests/common/rtmptestpeer.c): a client
 * RtmpSession over a real loopback socket against each of the peer's
 * behaviours, stalls, faults and observations. */

#include <gst/check/gstcheck.h>
#include <gio/gio.h>
#include <sys/socket.h>

#include "rtmptestpeer.h"
#include "rtmpcommand.h"
#include "rtmpsession.h"

/* Phase timeout of clients in the stall tests */
#define SHORT_PHASE_MS 300
/* Upper bound of every wait: never reached when things work */
#define WAIT_MS 5000

static guint8 random_bytes[RTMP_SESSION_RANDOM_SIZE];

/* --- a client session on a loopback socket --- */

typedef struct
{
  GSocket *socket;
  RtmpSession *session;
  GPtrArray *events; /* RtmpSessionEvent * */
  GError *error;
  gboolean eof;
} Client;

typedef struct
{
  RtmpSessionConfig config;
  gchar *tc_url;
} ClientSetup;

static void
event_free (RtmpSessionEvent *event)
{
  rtmp_session_event_clear (event);
  g_free (event);
}

static void
setup_init (ClientSetup *setup, RtmpTestPeer *peer, RtmpSessionIntent intent,
    const gchar *app, const gchar *stream)
{
  RtmpSessionConfig *config = &setup->config;

  setup->tc_url = rtmp_test_peer_dup_url (peer, app, NULL);
  rtmp_session_config_init (config, RTMP_SESSION_ROLE_CLIENT);
  config->random = random_bytes;
  config->now_us = g_get_monotonic_time ();
  config->client.app = app;
  config->client.tc_url = setup->tc_url;
  config->client.flash_ver = "FMLE/3.0 (compatible; peer test)";
  config->client.intent = intent;
  config->client.stream_name = stream;
}

static void
setup_clear (ClientSetup *setup)
{
  g_free (setup->tc_url);
}

static GSocket *
connect_socket (guint16 port, GError **error)
{
  g_autoptr (GInetAddress) loopback
      = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address
      = g_inet_socket_address_new (loopback, port);
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);

  if (socket == NULL || !g_socket_connect (socket, address, NULL, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static Client *
client_new (RtmpTestPeer *peer, RtmpSessionConfig *config)
{
  Client *c = g_new0 (Client, 1);
  g_autoptr (GError) error = NULL;

  c->socket = connect_socket (rtmp_test_peer_get_port (peer), &error);
  fail_unless (c->socket != NULL, "connect: %s", error ? error->message : "");
  config->now_us = g_get_monotonic_time ();
  c->session = rtmp_session_new (config);
  c->events = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  return c;
}

static void
client_free (Client *c)
{
  g_socket_close (c->socket, NULL);
  g_object_unref (c->socket);
  rtmp_session_free (c->session);
  g_ptr_array_unref (c->events);
  g_clear_error (&c->error);
  g_free (c);
}

static void
client_drain (Client *c)
{
  RtmpSessionEvent event;

  while (rtmp_session_next_event (c->session, &event))
    g_ptr_array_add (c->events, g_memdup2 (&event, sizeof (event)));
}

/* Writes what the socket takes without blocking */
static void
client_flush (Client *c)
{
  RtmpOutputVector vectors[32];
  GOutputVector out[32];
  guint n, i;

  while (c->error == NULL
      && (n = rtmp_session_peek_output (c->session, vectors, 32)) > 0) {
    g_autoptr (GError) error = NULL;
    gssize sent;

    for (i = 0; i < n; i++) {
      out[i].buffer = vectors[i].data;
      out[i].size = vectors[i].len;
    }
    g_socket_set_blocking (c->socket, FALSE);
    sent = g_socket_send_message (c->socket, NULL, out, n, NULL, 0, 0, NULL,
        &error);
    g_socket_set_blocking (c->socket, TRUE);
    if (sent < 0) {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        g_propagate_error (&c->error, g_steal_pointer (&error));
      return;
    }
    rtmp_session_consume_output (c->session, sent);
  }
}

static void
client_read (Client *c)
{
  guint8 buffer[16384];
  g_autoptr (GError) error = NULL;
  gssize n = g_socket_receive_with_blocking (c->socket, (gchar *) buffer,
      sizeof (buffer), FALSE, NULL, &error);

  if (n < 0) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
      g_propagate_error (&c->error, g_steal_pointer (&error));
    return;
  }
  if (n == 0) {
    c->eof = TRUE;
    rtmp_session_receive_eof (c->session, &c->error);
    return;
  }
  rtmp_session_receive (c->session, buffer, n, g_get_monotonic_time (),
      &c->error);
}

typedef gboolean (*ClientCondition) (Client *c, gconstpointer data);

/* Runs the client like an event loop until @done, an error (or EOF), or
 * @timeout_ms; returns whether @done became TRUE */
static gboolean
client_run (Client *c, ClientCondition done, gconstpointer data,
    guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  while (TRUE) {
    gint64 now, wake;
    GIOCondition condition = G_IO_IN;
    g_autoptr (GError) error = NULL;

    client_drain (c);
    if (done != NULL && done (c, data))
      return TRUE;
    if (c->error != NULL || c->eof)
      return FALSE;
    client_flush (c);
    if (rtmp_session_get_output_size (c->session) > 0)
      condition |= G_IO_OUT;

    now = g_get_monotonic_time ();
    if (now >= deadline)
      return FALSE;
    wake = MIN ((guint64) deadline, rtmp_session_next_deadline (c->session));
    if (wake > now
        && g_socket_condition_timed_wait (c->socket, condition, wake - now,
            NULL, &error)) {
      if (g_socket_condition_check (c->socket, G_IO_IN | G_IO_HUP | G_IO_ERR))
        client_read (c);
    }
    now = g_get_monotonic_time ();
    if (c->error == NULL
        && (guint64) now >= rtmp_session_next_deadline (c->session))
      rtmp_session_handle_deadline (c->session, now, &c->error);
  }
}

/* Writes everything queued (blocking), then closes the socket */
static void
client_finish (Client *c)
{
  RtmpOutputVector vectors[32];
  GOutputVector out[32];
  guint n, i;

  while ((n = rtmp_session_peek_output (c->session, vectors, 32)) > 0) {
    gssize sent;

    for (i = 0; i < n; i++) {
      out[i].buffer = vectors[i].data;
      out[i].size = vectors[i].len;
    }
    sent = g_socket_send_message (c->socket, NULL, out, n, NULL, 0, 0, NULL,
        NULL);
    fail_unless (sent > 0);
    rtmp_session_consume_output (c->session, sent);
  }
  g_socket_close (c->socket, NULL);
}

static RtmpSessionEvent *
find_event (Client *c, RtmpSessionEventType type, guint nth)
{
  guint i;

  for (i = 0; i < c->events->len; i++) {
    RtmpSessionEvent *event = c->events->pdata[i];

    if (event->type == type && nth-- == 0)
      return event;
  }
  return NULL;
}

static guint
count_events (Client *c, RtmpSessionEventType type)
{
  guint i, n = 0;

  for (i = 0; i < c->events->len; i++) {
    if (((RtmpSessionEvent *) c->events->pdata[i])->type == type)
      n++;
  }
  return n;
}

static RtmpSessionEvent *
find_status (Client *c, const gchar *code)
{
  guint i;

  for (i = 0; i < c->events->len; i++) {
    RtmpSessionEvent *event = c->events->pdata[i];

    if (event->type == RTMP_SESSION_EVENT_STATUS
        && g_strcmp0 (event->code, code) == 0)
      return event;
  }
  return NULL;
}

static gboolean
has_event (Client *c, gconstpointer data)
{
  return find_event (c, GPOINTER_TO_INT (data), 0) != NULL;
}

static gboolean
has_status (Client *c, gconstpointer data)
{
  return find_status (c, data) != NULL;
}

static gboolean
has_media (Client *c, gconstpointer data)
{
  return count_events (c, RTMP_SESSION_EVENT_MEDIA) >= GPOINTER_TO_UINT (data);
}

static gboolean
has_controls (Client *c, gconstpointer data)
{
  return count_events (c, RTMP_SESSION_EVENT_STREAM_CONTROL)
      >= GPOINTER_TO_UINT (data);
}

static gboolean
connected_or_retry (Client *c, gconstpointer data)
{
  return has_event (c, GINT_TO_POINTER (RTMP_SESSION_EVENT_CONNECTED))
      || has_event (c, GINT_TO_POINTER (RTMP_SESSION_EVENT_AUTH_RETRY));
}

#define run_until_event(c, type) \
  client_run ((c), has_event, GINT_TO_POINTER (type), WAIT_MS)

/* Runs until the client fails; the error must match and its message hold
 * @part */
static void
check_client_fails (Client *c, gint code, const gchar *part, gint line)
{
  fail_if (client_run (c, NULL, NULL, WAIT_MS), "line %d", line);
  fail_unless (c->error != NULL, "line %d: the client did not fail", line);
  fail_unless (g_error_matches (c->error, RTMP_ERROR, code),
      "line %d: expected %s, got %s: %s", line,
      rtmp_error_code_name ((RtmpError) code),
      c->error->domain == RTMP_ERROR
          ? rtmp_error_code_name ((RtmpError) c->error->code)
          : g_quark_to_string (c->error->domain),
      c->error->message);
  fail_unless (part == NULL || strstr (c->error->message, part) != NULL,
      "line %d: \"%s\" not in \"%s\"", line, part, c->error->message);
}

static GBytes *
make_payload (gsize len, guint8 seed)
{
  guint8 *data = g_malloc (len);
  gsize i;

  for (i = 0; i < len; i++)
    data[i] = (guint8) (i * 7 + seed);
  return g_bytes_new_take (data, len);
}

static void
assert_strv (GStrv strv, const gchar *const *expected, gint line)
{
  g_autofree gchar *got = g_strjoinv (",", strv);
  g_autofree gchar *want = g_strjoinv (",", (gchar **) expected);

  fail_unless_equals_string (got, want);
}

/* --- flows --- */

GST_START_TEST (test_publish_flow)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  static const gchar *const commands[]
      = { "connect", "releaseStream", "FCPublish", "createStream", "publish",
          "FCUnpublish", "deleteStream", NULL };
  ClientSetup setup;
  Client *c;
  g_autoptr (GPtrArray) media = NULL;
  g_autoptr (RtmpAmfValue) connect = NULL;
  g_autofree gchar *stream_name = NULL;
  g_auto (GStrv) received = NULL;
  GBytes *video = make_payload (10000, 1), *audio = make_payload (200, 2);
  RtmpTestPeerStats stats;
  guint32 stream_id;
  guint i;

  setup_init (&setup, peer, RTMP_SESSION_INTENT_PUBLISH, "live", "cam1?key=1");
  setup.config.chunk_size = 1000;
  c = client_new (peer, &setup.config);
  fail_unless (run_until_event (c, RTMP_SESSION_EVENT_PUBLISHING));
  stream_id = rtmp_session_get_stream_id (c->session);
  /* the peer's default chunk size */
  fail_unless_equals_int (rtmp_session_get_peer_chunk_size (c->session), 4096);

  for (i = 0; i < 10; i++)
    rtmp_session_send_media (c->session, stream_id,
        i % 2 ? RTMP_MESSAGE_AUDIO : RTMP_MESSAGE_VIDEO, i * 20,
        i % 2 ? audio : video);
  client_flush (c);
  fail_unless (rtmp_test_peer_wait_for_media (peer, 10, WAIT_MS));
  rtmp_session_stop (c->session,
      RTMP_STOP_COMMANDS_FCUNPUBLISH | RTMP_STOP_COMMANDS_DELETE_STREAM);
  client_finish (c);
  fail_unless_equals_int (rtmp_test_peer_wait_for_end (peer, 0, WAIT_MS),
      RTMP_TEST_PEER_END_CLIENT_CLEAN);

  media = rtmp_test_peer_dup_media (peer, 0);
  fail_unless_equals_int (media->len, 10);
  for (i = 0; i < 10; i++) {
    RtmpMessage *m = media->pdata[i];

    fail_unless_equals_int (m->type,
        i % 2 ? RTMP_MESSAGE_AUDIO : RTMP_MESSAGE_VIDEO);
    fail_unless_equals_int (m->timestamp, i * 20);
    fail_unless_equals_int (m->stream_id, stream_id);
    fail_unless (g_bytes_equal (m->payload, i % 2 ? audio : video));
  }
  received = rtmp_test_peer_dup_commands (peer, 0);
  assert_strv (received, commands, __LINE__);
  g_clear_pointer (&received, g_strfreev);
  received = rtmp_test_peer_dup_commands (peer, RTMP_TEST_PEER_ALL);
  assert_strv (received, commands, __LINE__);

  connect = rtmp_test_peer_dup_connect_object (peer, RTMP_TEST_PEER_LAST);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (connect, "app"),
      "live");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (connect, "tcUrl"),
      setup.tc_url);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (connect, "flashVer"),
      "FMLE/3.0 (compatible; peer test)");
  stream_name = rtmp_test_peer_dup_stream_name (peer, 0);
  fail_unless_equals_string (stream_name, "cam1?key=1");
  fail_unless_equals_int (rtmp_test_peer_get_client_chunk_size (peer, 0), 1000);

  rtmp_test_peer_get_stats (peer, &stats);
  fail_unless_equals_int (stats.n_connections, 1);
  fail_unless_equals_int (stats.n_open, 0);
  fail_unless_equals_int (stats.n_handshakes, 1);
  fail_unless_equals_int (stats.n_connects_accepted, 1);
  fail_unless_equals_int (stats.n_publish_started, 1);
  fail_unless_equals_int (stats.n_streams_closed, 2);
  fail_unless_equals_int (stats.n_media, 10);
  fail_unless_equals_int (stats.n_media_bytes, 5 * 10000 + 5 * 200);
  fail_unless_equals_int (stats.n_client_clean_closes, 1);
  fail_unless_equals_int (stats.client_chunk_size, 1000);

  client_free (c);
  setup_clear (&setup);
  g_bytes_unref (video);
  g_bytes_unref (audio);
}

GST_END_TEST;

GST_START_TEST (test_connect_object_and_args)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  static const gchar *const fourccs[] = { "hvc1", "av01", "Opus", NULL };
  g_autoptr (RtmpAmfValue) arg = rtmp_amf_value_new_string ("extra");
  const RtmpAmfValue *args[] = { arg };
  ClientSetup setup;
  Client *c;
  g_autoptr (RtmpAmfValue) connect = NULL;
  g_autoptr (GPtrArray) connect_args = NULL;
  const RtmpAmfValue *list;

  setup_init (&setup, peer, RTMP_SESSION_INTENT_CONNECT, "app", NULL);
  setup.config.client.fourcc_list = fourccs;
  setup.config.client.extra_connect_args = args;
  setup.config.client.n_extra_connect_args = 1;
  c = client_new (peer, &setup.config);
  fail_unless (run_until_event (c, RTMP_SESSION_EVENT_CONNECTED));

  connect = rtmp_test_peer_dup_connect_object (peer, 0);
  list = rtmp_amf_value_peek_field (connect, "fourCcList");
  fail_unless (list != NULL);
  fail_unless_equals_int (rtmp_amf_value_get_n_items (list), 3);
  fail_unless_equals_string (
      rtmp_amf_value_peek_string (rtmp_amf_value_peek_item (list, 1), NULL),
      "av01");
  connect_args = rtmp_test_peer_dup_connect_args (peer, 0);
  fail_unless_equals_int (connect_args->len, 1);
  fail_unless (rtmp_amf_value_equal (connect_args->pdata[0], arg));
  /* nothing about a connection that does not exist */
  fail_unless (rtmp_test_peer_dup_connect_object (peer, 1) == NULL);
  fail_unless_equals_int (rtmp_test_peer_get_end (peer, 5),
      RTMP_TEST_PEER_END_OPEN);

  client_free (c);
  setup_clear (&setup);
}

GST_END_TEST;

static void
add_play_source (RtmpTestPeer *peer, guint n, guint32 step_ms)
{
  guint i;

  for (i = 0; i < n; i++) {
    g_autoptr (GBytes) payload = make_payload (100 + i * 500, i);

    rtmp_test_peer_add_play_media (peer,
        i % 3 == 2 ? RTMP_MESSAGE_AUDIO : RTMP_MESSAGE_VIDEO, i * step_ms,
        payload);
  }
}

/* The play source's messages after |RtmpSampleAccess, checked */
static void
check_played (Client *c, guint first, guint n, guint32 step_ms, gint line)
{
  guint i;

  for (i = 0; i < n; i++) {
    RtmpSessionEvent *event
        = find_event (c, RTMP_SESSION_EVENT_MEDIA, first + i);
    g_autoptr (GBytes) payload = NULL;
    guint k;

    fail_unless (event != NULL, "line %d: media %u missing", line, first + i);
    k = event->message->timestamp / step_ms;
    payload = make_payload (100 + k * 500, k);
    fail_unless_equals_int (event->message->type,
        k % 3 == 2 ? RTMP_MESSAGE_AUDIO : RTMP_MESSAGE_VIDEO);
    fail_unless (g_bytes_equal (event->message->payload, payload),
        "line %d: media %u differs", line, first + i);
  }
}

static Client *
start_player (RtmpTestPeer *peer, ClientSetup *setup)
{
  Client *c;

  setup_init (setup, peer, RTMP_SESSION_INTENT_PLAY, "vod", "movie");
  c = client_new (peer, &setup->config);
  fail_unless (run_until_event (c, RTMP_SESSION_EVENT_PLAYING));
  return c;
}

static void
check_play_end (RtmpTestPeerPlayEnd end, const gchar *status, gboolean eof,
    gint line)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;
  RtmpSessionEvent *event;
  RtmpTestPeerStats stats;

  add_play_source (peer, 6, 40);
  rtmp_test_peer_set_play_options (peer, FALSE, FALSE, TRUE, end);
  c = start_player (peer, &setup);

  if (status != NULL)
    fail_unless (client_run (c, has_status, status, WAIT_MS), "line %d", line);
  if (eof)
    check_client_fails (c, RTMP_ERROR_CLOSED, "the peer closed", line);
  else
    fail_unless (client_run (c, has_controls, GUINT_TO_POINTER (3), WAIT_MS),
        "line %d", line);

  /* Stream Is Recorded, Stream Begin, (Stream EOF) */
  event = find_event (c, RTMP_SESSION_EVENT_STREAM_CONTROL, 0);
  fail_unless_equals_int (event->control_type,
      RTMP_USER_CONTROL_STREAM_IS_RECORDED);
  event = find_event (c, RTMP_SESSION_EVENT_STREAM_CONTROL, 1);
  fail_unless_equals_int (event->control_type, RTMP_USER_CONTROL_STREAM_BEGIN);
  if (!eof) {
    event = find_event (c, RTMP_SESSION_EVENT_STREAM_CONTROL, 2);
    fail_unless_equals_int (event->control_type, RTMP_USER_CONTROL_STREAM_EOF);
  }
  /* |RtmpSampleAccess, then the source */
  fail_unless_equals_int (count_events (c, RTMP_SESSION_EVENT_MEDIA), 7);
  check_played (c, 1, 6, 40, line);

  rtmp_test_peer_get_stats (peer, &stats);
  fail_unless_equals_int (stats.n_play_started, 1);
  fail_unless_equals_int (stats.n_media_sent, 6);
  client_free (c);
  setup_clear (&setup);
}

GST_START_TEST (test_play_end_complete)
{
  check_play_end (RTMP_TEST_PEER_PLAY_END_COMPLETE, "NetStream.Play.Complete",
      FALSE, __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_play_end_stop)
{
  check_play_end (RTMP_TEST_PEER_PLAY_END_STOP, "NetStream.Play.Stop", FALSE,
      __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_play_end_unpublish)
{
  check_play_end (RTMP_TEST_PEER_PLAY_END_UNPUBLISH,
      "NetStream.Play.UnpublishNotify", FALSE, __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_play_end_close)
{
  check_play_end (RTMP_TEST_PEER_PLAY_END_CLOSE, NULL, TRUE, __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_play_end_close_mid_message)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;

  add_play_source (peer, 4, 40);
  rtmp_test_peer_set_play_options (peer, FALSE, FALSE, FALSE,
      RTMP_TEST_PEER_PLAY_END_CLOSE_MID_MESSAGE);
  c = start_player (peer, &setup);
  check_client_fails (c, RTMP_ERROR_CLOSED, "in the middle of a message",
      __LINE__);
  /* |RtmpSampleAccess and all but the last */
  fail_unless_equals_int (count_events (c, RTMP_SESSION_EVENT_MEDIA), 4);
  check_played (c, 1, 3, 40, __LINE__);
  /* live: no Stream Is Recorded */
  fail_unless_equals_int (
      find_event (c, RTMP_SESSION_EVENT_STREAM_CONTROL, 0)->control_type,
      RTMP_USER_CONTROL_STREAM_BEGIN);
  client_free (c);
  setup_clear (&setup);
}

GST_END_TEST;

GST_START_TEST (test_play_flv)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *path = g_build_filename (RTMP_TEST_FILES_DIR, "media",
      "testsrc-x264-aac.flv", NULL);
  g_autofree gchar *contents = NULL;
  g_autoptr (GBytes) flv = NULL;
  g_autoptr (GBytes) truncated = NULL;
  g_autoptr (GError) error = NULL;
  ClientSetup setup;
  Client *c;
  RtmpTestPeerStats stats;
  gsize len;

  fail_unless (g_file_get_contents (path, &contents, &len, NULL));
  flv = g_bytes_new (contents, len);
  truncated = g_bytes_new (contents, len - 3);
  fail_if (rtmp_test_peer_add_play_flv (peer, truncated, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_MALFORMED));
  fail_unless (rtmp_test_peer_add_play_flv (peer, flv, NULL));
  rtmp_test_peer_set_play_options (peer, FALSE, FALSE, TRUE,
      RTMP_TEST_PEER_PLAY_END_COMPLETE);
  c = start_player (peer, &setup);
  fail_unless (client_run (c, has_status, "NetStream.Play.Complete", WAIT_MS),
      "%u media, %s", count_events (c, RTMP_SESSION_EVENT_MEDIA),
      c->error ? c->error->message : "no error");
  rtmp_test_peer_get_stats (peer, &stats);
  fail_unless (stats.n_media_sent > 10);
  fail_unless_equals_int (count_events (c, RTMP_SESSION_EVENT_MEDIA),
      stats.n_media_sent + 1);
  client_free (c);
  setup_clear (&setup);
}

GST_END_TEST;

/* Real-time pacing: a message is never sent before its timestamp is due
 * (a lower bound, so the test cannot be flaky); a loop keeps timestamps
 * increasing */
GST_START_TEST (test_play_realtime_loop)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;
  gint64 first_us, last_us;
  guint i;

  add_play_source (peer, 3, 50);
  rtmp_test_peer_set_play_options (peer, TRUE, TRUE, FALSE,
      RTMP_TEST_PEER_PLAY_END_COMPLETE);
  c = start_player (peer, &setup);
  fail_unless (client_run (c, has_media, GUINT_TO_POINTER (2), WAIT_MS));
  first_us = g_get_monotonic_time ();
  /* messages 2..8 of the source: timestamps 50..350 */
  fail_unless (client_run (c, has_media, GUINT_TO_POINTER (9), WAIT_MS));
  last_us = g_get_monotonic_time ();
  fail_unless (last_us - first_us >= 350 * 1000 - 20000,
      "7 messages 350 ms apart came in %" G_GINT64_FORMAT " us",
      last_us - first_us);
  for (i = 1; i < 9; i++) {
    RtmpSessionEvent *event = find_event (c, RTMP_SESSION_EVENT_MEDIA, i);

    fail_unless_equals_int (event->message->timestamp, (i - 1) * 50);
  }
  /* looping never reaches the end */
  fail_if (find_status (c, "NetStream.Play.Complete") != NULL);
  client_free (c);
  setup_clear (&setup);
}

GST_END_TEST;

GST_START_TEST (test_play_seek_and_pause)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;
  guint n;

  add_play_source (peer, 10, 100);
  rtmp_test_peer_set_play_options (peer, FALSE, FALSE, TRUE,
      RTMP_TEST_PEER_PLAY_END_NONE);
  c = start_player (peer, &setup);
  fail_unless (client_run (c, has_media, GUINT_TO_POINTER (11), WAIT_MS));

  /* seek: the list restarts at the position */
  rtmp_session_seek (c->session, 550);
  fail_unless (client_run (c, has_media, GUINT_TO_POINTER (15), WAIT_MS));
  fail_unless (find_status (c, "NetStream.Seek.Notify") != NULL);
  fail_unless_equals_int (
      find_event (c, RTMP_SESSION_EVENT_MEDIA, 11)->message->timestamp, 600);
  check_played (c, 11, 4, 100, __LINE__);

  /* pause: the session answers; nothing is sent until unpause */
  rtmp_session_seek (c->session, 0);
  rtmp_session_pause (c->session, TRUE, 0);
  fail_unless (client_run (c, has_status, "NetStream.Pause.Notify", WAIT_MS));
  n = count_events (c, RTMP_SESSION_EVENT_MEDIA);
  rtmp_session_pause (c->session, FALSE, 0);
  fail_unless (client_run (c, has_status, "NetStream.Unpause.Notify", WAIT_MS));
  fail_unless (client_run (c, has_media, GUINT_TO_POINTER (25), WAIT_MS));
  fail_unless (n <= 25);
  client_free (c);
  setup_clear (&setup);
}

GST_END_TEST;

/* Pause holds the real-time source back: after Pause.Notify nothing comes
 * for a while; after Unpause.Notify the rest does */
GST_START_TEST (test_play_pause_holds_source)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;

  add_play_source (peer, 4, 100);
  rtmp_test_peer_set_play_options (peer, TRUE, FALSE, TRUE,
      RTMP_TEST_PEER_PLAY_END_COMPLETE);
  c = start_player (peer, &setup);
  fail_unless (client_run (c, has_media, GUINT_TO_POINTER (2), WAIT_MS));
  rtmp_session_pause (c->session, TRUE, 0);
  fail_unless (client_run (c, has_status, "NetStream.Pause.Notify", WAIT_MS));
  /* the next message was due 100 ms after the first */
  fail_if (client_run (c, has_media, GUINT_TO_POINTER (3), 400));
  fail_unless (c->error == NULL);
  fail_unless (count_events (c, RTMP_SESSION_EVENT_MEDIA) <= 3);
  rtmp_session_pause (c->session, FALSE, 0);
  fail_unless (client_run (c, has_status, "NetStream.Play.Complete", WAIT_MS));
  fail_unless_equals_int (count_events (c, RTMP_SESSION_EVENT_MEDIA), 5);
  client_free (c);
  setup_clear (&setup);
}

GST_END_TEST;

/* An onPlayStatus data message whose AMF breaks off: the client fails
 * cleanly and frees the message (found by fuzz-session_client as a leak,
 * corpus file leak-malformed-on-play-status) */
GST_START_TEST (test_play_malformed_on_play_status)
{
  static const guint8 truncated[] = { 0x02, 0x00, 0x0c, 'o', 'n', 'P', 'l', 'a',
    'y', 'S', 't', 'a', 't', 'u', 's', 0x03, 0x00, 0x04, 'c', 'o' };
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autoptr (GBytes) payload
      = g_bytes_new_static (truncated, sizeof (truncated));
  ClientSetup setup;
  Client *c;

  rtmp_test_peer_add_play_media (peer, RTMP_MESSAGE_DATA_AMF0, 0, payload);
  c = start_player (peer, &setup);
  check_client_fails (c, RTMP_ERROR_MALFORMED, NULL, __LINE__);
  client_free (c);
  setup_clear (&setup);
}

GST_END_TEST;

/* --- stalls: the client's phase deadline fires --- */

static void
check_stall (RtmpTestPeerPoint point, RtmpSessionIntent intent,
    const gchar *phase, gint line)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;

  rtmp_test_peer_set_stall (peer, point);
  setup_init (&setup, peer, intent, "live", "s");
  setup.config.phase_timeout_ms = SHORT_PHASE_MS;
  c = client_new (peer, &setup.config);
  check_client_fails (c, RTMP_ERROR_TIMEOUT, phase, line);
  client_free (c);
  /* the peer saw the client go */
  fail_unless (rtmp_test_peer_wait_for_ended (peer, 1, WAIT_MS));
  setup_clear (&setup);
}

GST_START_TEST (test_stall_handshake)
{
  check_stall (RTMP_TEST_PEER_AT_HANDSHAKE, RTMP_SESSION_INTENT_PLAY,
      "handshake", __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_stall_connect)
{
  check_stall (RTMP_TEST_PEER_AT_CONNECT, RTMP_SESSION_INTENT_PLAY,
      "the answer to connect", __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_stall_create_stream)
{
  check_stall (RTMP_TEST_PEER_AT_CREATE_STREAM, RTMP_SESSION_INTENT_PUBLISH,
      "the answer to createStream", __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_stall_publish)
{
  check_stall (RTMP_TEST_PEER_AT_PUBLISH, RTMP_SESSION_INTENT_PUBLISH,
      "NetStream.Publish.Start", __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_stall_play)
{
  check_stall (RTMP_TEST_PEER_AT_PLAY, RTMP_SESSION_INTENT_PLAY,
      "NetStream.Play.Start", __LINE__);
}

GST_END_TEST;

/* A stalled request is answered once the stall is lifted */
GST_START_TEST (test_stall_released)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;

  rtmp_test_peer_set_stall (peer, RTMP_TEST_PEER_AT_PUBLISH);
  setup_init (&setup, peer, RTMP_SESSION_INTENT_PUBLISH, "live", "s");
  c = client_new (peer, &setup.config);
  fail_unless (run_until_event (c, RTMP_SESSION_EVENT_STREAM_CREATED));
  client_flush (c);
  fail_unless (rtmp_test_peer_wait_for_command (peer, "publish", 1, WAIT_MS));
  fail_if (has_event (c, GINT_TO_POINTER (RTMP_SESSION_EVENT_PUBLISHING)));
  rtmp_test_peer_set_stall (peer, RTMP_TEST_PEER_AT_NONE);
  fail_unless (run_until_event (c, RTMP_SESSION_EVENT_PUBLISHING));
  client_free (c);
  setup_clear (&setup);
}

GST_END_TEST;

/* Stop reading after publish started: the publisher's socket fills up;
 * reading again delivers everything */
GST_START_TEST (test_stall_started_stops_reading)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  GBytes *payload = make_payload (65536, 3);
  ClientSetup setup;
  Client *c;
  RtmpTestPeerStats stats;
  guint32 stream_id;
  guint n_sent;

  rtmp_test_peer_set_stall (peer, RTMP_TEST_PEER_AT_STARTED);
  rtmp_test_peer_set_receive_buffer (peer, 16384);
  setup_init (&setup, peer, RTMP_SESSION_INTENT_PUBLISH, "live", "s");
  c = client_new (peer, &setup.config);
  g_socket_set_option (c->socket, SOL_SOCKET, SO_SNDBUF, 16384, NULL);
  fail_unless (run_until_event (c, RTMP_SESSION_EVENT_PUBLISHING));
  stream_id = rtmp_session_get_stream_id (c->session);

  /* at most 64 MB go before the socket is full */
  for (n_sent = 0; n_sent < 1000; n_sent++) {
    client_flush (c);
    if (rtmp_session_get_output_size (c->session) > 0)
      break;
    rtmp_session_send_media (c->session, stream_id, RTMP_MESSAGE_VIDEO, n_sent,
        payload);
  }
  fail_unless (rtmp_session_get_output_size (c->session) > 0,
      "the socket never filled up");
  fail_unless (c->error == NULL);
  rtmp_test_peer_get_stats (peer, &stats);
  fail_unless (stats.n_media < n_sent);

  rtmp_test_peer_set_stall (peer, RTMP_TEST_PEER_AT_NONE);
  while (rtmp_session_get_output_size (c->session) > 0 && c->error == NULL)
    fail_unless (client_run (c, NULL, NULL, 50) == FALSE);
  fail_unless (c->error == NULL);
  fail_unless (rtmp_test_peer_wait_for_media (peer, n_sent, WAIT_MS));
  client_free (c);
  setup_clear (&setup);
  g_bytes_unref (payload);
}

GST_END_TEST;

/* --- rejections --- */

GST_START_TEST (test_reject_connect)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;
  g_autofree gchar *reason = NULL;
  RtmpTestPeerStats stats;

  rtmp_test_peer_set_reject_connect (peer, "No such application");
  setup_init (&setup, peer, RTMP_SESSION_INTENT_PLAY, "nope", "s");
  c = client_new (peer, &setup.config);
  check_client_fails (c, RTMP_ERROR_REJECTED, "No such application", __LINE__);
  fail_unless_equals_int (rtmp_test_peer_wait_for_end (peer, 0, WAIT_MS),
      RTMP_TEST_PEER_END_PEER);
  reason = rtmp_test_peer_dup_end_reason (peer, 0);
  fail_unless (strstr (reason, "No such application") != NULL);
  rtmp_test_peer_get_stats (peer, &stats);
  fail_unless_equals_int (stats.n_connects_rejected, 1);
  client_free (c);

  /* accepted again */
  rtmp_test_peer_set_reject_connect (peer, NULL);
  c = client_new (peer, &setup.config);
  fail_unless (run_until_event (c, RTMP_SESSION_EVENT_PLAYING));
  client_free (c);
  setup_clear (&setup);
}

GST_END_TEST;

GST_START_TEST (test_reject_publish_and_play)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;

  rtmp_test_peer_set_reject_publish (peer, "NetStream.Publish.BadName",
      "Stream already publishing");
  rtmp_test_peer_set_reject_play (peer, "NetStream.Play.StreamNotFound",
      "No such stream");
  setup_init (&setup, peer, RTMP_SESSION_INTENT_PUBLISH, "live", "s");
  c = client_new (peer, &setup.config);
  check_client_fails (c, RTMP_ERROR_REJECTED,
      "NetStream.Publish.BadName: Stream already publishing", __LINE__);
  client_free (c);

  setup.config.client.intent = RTMP_SESSION_INTENT_PLAY;
  c = client_new (peer, &setup.config);
  check_client_fails (c, RTMP_ERROR_REJECTED,
      "NetStream.Play.StreamNotFound: No such stream", __LINE__);
  client_free (c);
  fail_unless_equals_int (rtmp_test_peer_wait_for_end (peer, 1, WAIT_MS),
      RTMP_TEST_PEER_END_PEER);
  setup_clear (&setup);
}

GST_END_TEST;

/* --- authentication --- */

/* Connects as a client would: a new connection after each AUTH_RETRY with
 * the same auth state; returns the last client */
static Client *
connect_with_auth (RtmpTestPeer *peer, RtmpSessionConfig *config,
    guint *n_connections)
{
  guint attempt;

  for (attempt = 0; attempt < 6; attempt++) {
    Client *c = client_new (peer, config);

    client_run (c, connected_or_retry, NULL, WAIT_MS);
    *n_connections = attempt + 1;
    if (!has_event (c, GINT_TO_POINTER (RTMP_SESSION_EVENT_AUTH_RETRY)))
      return c;
    client_free (c);
  }
  fail ("authentication never finished");
  return NULL;
}

static void
check_auth (RtmpTestPeerAuth auth, RtmpAuthmod authmod, const gchar *app,
    const gchar *password, guint expected_connections, gint line)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autoptr (RtmpAuthState) state
      = rtmp_auth_state_new (authmod, "alice", password);
  gboolean right = g_strcmp0 (password, "secret") == 0;
  ClientSetup setup;
  Client *c;
  guint n_connections = 0;
  RtmpTestPeerStats stats;

  rtmp_test_peer_set_auth (peer, auth, "alice", "secret");
  fail_unless (rtmp_auth_state_start (state, NULL));
  setup_init (&setup, peer, RTMP_SESSION_INTENT_PUBLISH, app, "s");
  setup.config.client.auth = state;
  c = connect_with_auth (peer, &setup.config, &n_connections);
  fail_unless_equals_int (n_connections, expected_connections);
  if (right) {
    fail_unless (run_until_event (c, RTMP_SESSION_EVENT_PUBLISHING),
        "line %d: %s", line, c->error ? c->error->message : "");
  } else {
    check_client_fails (c, RTMP_ERROR_AUTH, NULL, line);
  }
  rtmp_test_peer_get_stats (peer, &stats);
  fail_unless_equals_int (stats.n_connects, expected_connections);
  fail_unless_equals_int (stats.n_connects_accepted, right ? 1 : 0);
  fail_unless_equals_int (stats.n_connects_rejected,
      expected_connections - (right ? 1 : 0));
  client_free (c);
  setup_clear (&setup);
}

GST_START_TEST (test_auth_adobe)
{
  check_auth (RTMP_TEST_PEER_AUTH_ADOBE, RTMP_AUTHMOD_AUTO, "live", "secret", 3,
      __LINE__);
  check_auth (RTMP_TEST_PEER_AUTH_ADOBE, RTMP_AUTHMOD_AUTO, "live", "wrong", 3,
      __LINE__);
  /* an explicit authmod starts with the user: one connection less */
  check_auth (RTMP_TEST_PEER_AUTH_ADOBE, RTMP_AUTHMOD_ADOBE, "live", "secret",
      2, __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_auth_llnw)
{
  check_auth (RTMP_TEST_PEER_AUTH_LLNW, RTMP_AUTHMOD_AUTO, "live", "secret", 3,
      __LINE__);
  check_auth (RTMP_TEST_PEER_AUTH_LLNW, RTMP_AUTHMOD_AUTO, "live", "wrong", 3,
      __LINE__);
  check_auth (RTMP_TEST_PEER_AUTH_LLNW, RTMP_AUTHMOD_LLNW, "live", "secret", 2,
      __LINE__);
  /* an application with an instance: no "/_definst_" in the digest */
  check_auth (RTMP_TEST_PEER_AUTH_LLNW, RTMP_AUTHMOD_AUTO, "live/inst",
      "secret", 3, __LINE__);
}

GST_END_TEST;

/* A client that ignores the authentication request gets no further */
GST_START_TEST (test_auth_without_credentials)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;

  rtmp_test_peer_set_auth (peer, RTMP_TEST_PEER_AUTH_LLNW, "alice", "secret");
  setup_init (&setup, peer, RTMP_SESSION_INTENT_PUBLISH, "live", "s");
  c = client_new (peer, &setup.config);
  check_client_fails (c, RTMP_ERROR_REJECTED, "authmod=llnw", __LINE__);
  client_free (c);
  setup_clear (&setup);
}

GST_END_TEST;

GST_START_TEST (test_secure_token_encryption)
{
  g_autofree gchar *hex = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *plain = NULL;

  /* the vector of tests/check/protocol/auth.c, the other way round */
  hex = rtmp_test_peer_encrypt_secure_token ("0123456789abcdef",
      "hello world12345");
  fail_unless_equals_string (hex, "af25c4852d9547585580de3168349d48");
  g_free (hex);
  /* not a multiple of 4 bytes: zero padded, decrypts to the text */
  hex = rtmp_test_peer_encrypt_secure_token ("k", "abcdefghij");
  plain = rtmp_auth_secure_token_response ("k", hex, &error);
  fail_unless_equals_string (plain, "abcdefghij");
}

GST_END_TEST;

GST_START_TEST (test_secure_token)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;
  RtmpTestPeerStats stats;
  g_autofree gchar *reason = NULL;

  rtmp_test_peer_set_secure_token (peer, "0123456789abcdef", "challenge-1234");
  setup_init (&setup, peer, RTMP_SESSION_INTENT_PUBLISH, "live", "s");
  setup.config.client.secure_token = "0123456789abcdef";
  c = client_new (peer, &setup.config);
  fail_unless (run_until_event (c, RTMP_SESSION_EVENT_PUBLISHING));
  client_free (c);

  /* a wrong key: the response is wrong, the peer closes */
  setup.config.client.secure_token = "fedcba9876543210";
  c = client_new (peer, &setup.config);
  check_client_fails (c, RTMP_ERROR_CLOSED, NULL, __LINE__);
  client_free (c);
  reason = rtmp_test_peer_dup_end_reason (peer, 1);
  fail_unless_equals_string (reason, "wrong secureTokenResponse");

  rtmp_test_peer_get_stats (peer, &stats);
  fail_unless_equals_int (stats.n_secure_token_ok, 1);
  fail_unless_equals_int (stats.n_secure_token_bad, 1);
  fail_unless_equals_int (stats.n_publish_started, 1);
  setup_clear (&setup);
}

GST_END_TEST;

/* --- faults --- */

/* Window Ack Size (16) + Set Peer Bandwidth (17) + Set Chunk Size (16) +
 * 20 bytes of the connect _result */
GST_START_TEST (test_close_after_bytes_mid_message)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;

  rtmp_test_peer_set_close_after_bytes (peer, 16 + 17 + 16 + 20);
  setup_init (&setup, peer, RTMP_SESSION_INTENT_PLAY, "live", "s");
  c = client_new (peer, &setup.config);
  check_client_fails (c, RTMP_ERROR_CLOSED, "in the middle of a message",
      __LINE__);
  /* the Set Chunk Size before the cut was applied */
  fail_unless_equals_int (rtmp_session_get_peer_chunk_size (c->session), 4096);
  client_free (c);
  setup_clear (&setup);
}

GST_END_TEST;

static void
check_close_at (RtmpTestPeerPoint point, RtmpSessionIntent intent,
    const gchar *part, gint line)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;

  rtmp_test_peer_set_close_at (peer, point);
  setup_init (&setup, peer, intent, "live", "s");
  c = client_new (peer, &setup.config);
  if (point == RTMP_TEST_PEER_AT_STARTED)
    fail_unless (run_until_event (c,
                     intent == RTMP_SESSION_INTENT_PUBLISH
                         ? RTMP_SESSION_EVENT_PUBLISHING
                         : RTMP_SESSION_EVENT_PLAYING),
        "line %d", line);
  check_client_fails (c, RTMP_ERROR_CLOSED, part, line);
  fail_unless_equals_int (rtmp_test_peer_wait_for_end (peer, 0, WAIT_MS),
      RTMP_TEST_PEER_END_PEER);
  client_free (c);
  setup_clear (&setup);
}

GST_START_TEST (test_close_at)
{
  check_close_at (RTMP_TEST_PEER_AT_HANDSHAKE, RTMP_SESSION_INTENT_PLAY,
      "during the handshake", __LINE__);
  check_close_at (RTMP_TEST_PEER_AT_CONNECT, RTMP_SESSION_INTENT_PLAY,
      "the peer closed the connection", __LINE__);
  check_close_at (RTMP_TEST_PEER_AT_CREATE_STREAM, RTMP_SESSION_INTENT_PLAY,
      "the peer closed the connection", __LINE__);
  check_close_at (RTMP_TEST_PEER_AT_PUBLISH, RTMP_SESSION_INTENT_PUBLISH,
      "the peer closed the connection", __LINE__);
  check_close_at (RTMP_TEST_PEER_AT_STARTED, RTMP_SESSION_INTENT_PUBLISH,
      "the peer closed the connection", __LINE__);
  check_close_at (RTMP_TEST_PEER_AT_STARTED, RTMP_SESSION_INTENT_PLAY,
      "the peer closed the connection", __LINE__);
}

GST_END_TEST;

static void
check_garbage_at (RtmpTestPeerPoint point, RtmpSessionIntent intent,
    gsize n_bytes, const gchar *part, gint line)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;

  rtmp_test_peer_set_garbage_at (peer, point, n_bytes);
  setup_init (&setup, peer, intent, "live", "s");
  c = client_new (peer, &setup.config);
  check_client_fails (c, RTMP_ERROR_MALFORMED, part, line);
  client_free (c);
  setup_clear (&setup);
}

GST_START_TEST (test_garbage_at)
{
  check_garbage_at (RTMP_TEST_PEER_AT_HANDSHAKE, RTMP_SESSION_INTENT_PLAY, 4000,
      "0xff", __LINE__);
  check_garbage_at (RTMP_TEST_PEER_AT_CONNECT, RTMP_SESSION_INTENT_PLAY, 1,
      "chunk stream 63", __LINE__);
  check_garbage_at (RTMP_TEST_PEER_AT_PLAY, RTMP_SESSION_INTENT_PLAY, 100,
      "chunk stream 63", __LINE__);
  check_garbage_at (RTMP_TEST_PEER_AT_STARTED, RTMP_SESSION_INTENT_PUBLISH, 50,
      "chunk stream 63", __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_status_after_media)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  GBytes *payload = make_payload (100, 1);
  ClientSetup setup;
  Client *c;
  RtmpSessionEvent *event;
  guint i;

  rtmp_test_peer_set_status_after_media (peer, 3, "error", "NetStream.Failed",
      "disk full");
  setup_init (&setup, peer, RTMP_SESSION_INTENT_PUBLISH, "live", "s");
  c = client_new (peer, &setup.config);
  fail_unless (run_until_event (c, RTMP_SESSION_EVENT_PUBLISHING));
  for (i = 0; i < 5; i++)
    rtmp_session_send_media (c->session,
        rtmp_session_get_stream_id (c->session), RTMP_MESSAGE_AUDIO, i,
        payload);
  fail_unless (client_run (c, has_status, "NetStream.Failed", WAIT_MS));
  event = find_status (c, "NetStream.Failed");
  fail_unless_equals_string (event->level, "error");
  fail_unless_equals_string (event->description, "disk full");
  fail_unless_equals_int (event->stream_id,
      rtmp_session_get_stream_id (c->session));
  fail_unless (rtmp_test_peer_wait_for_media (peer, 5, WAIT_MS));
  /* and on demand */
  fail_unless_equals_int (
      rtmp_test_peer_send_status (peer, "warning", "NetStream.Custom", "hello"),
      1);
  fail_unless (client_run (c, has_status, "NetStream.Custom", WAIT_MS));
  client_free (c);
  setup_clear (&setup);
  g_bytes_unref (payload);
}

GST_END_TEST;

GST_START_TEST (test_reconnect_request)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;
  RtmpSessionEvent *event;

  setup_init (&setup, peer, RTMP_SESSION_INTENT_PUBLISH, "live", "s");
  c = client_new (peer, &setup.config);
  fail_unless (run_until_event (c, RTMP_SESSION_EVENT_PUBLISHING));
  fail_unless_equals_int (rtmp_test_peer_send_reconnect_request (peer,
                              "rtmp://127.0.0.1:1/other", "maintenance"),
      1);
  fail_unless (client_run (c, has_status,
      "NetConnection.Connect.ReconnectRequest", WAIT_MS));
  event = find_status (c, "NetConnection.Connect.ReconnectRequest");
  fail_unless_equals_int (event->stream_id, 0);
  fail_unless_equals_string (event->description, "maintenance");
  fail_unless_equals_string (
      rtmp_amf_value_lookup_string (event->info, "tcUrl"),
      "rtmp://127.0.0.1:1/other");
  client_free (c);
  setup_clear (&setup);
}

GST_END_TEST;

/* Two publishers at once, each one's media apart; then a server restart */
GST_START_TEST (test_two_connections_and_drop)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  GBytes *payload = make_payload (300, 5);
  ClientSetup setup;
  Client *a, *b;
  g_autoptr (GPtrArray) media_a = NULL;
  g_autoptr (GPtrArray) media_b = NULL;
  g_autoptr (GPtrArray) all = NULL;
  RtmpTestPeerStats stats;
  guint i;

  setup_init (&setup, peer, RTMP_SESSION_INTENT_PUBLISH, "live", "s");
  a = client_new (peer, &setup.config);
  fail_unless (run_until_event (a, RTMP_SESSION_EVENT_PUBLISHING));
  b = client_new (peer, &setup.config);
  fail_unless (run_until_event (b, RTMP_SESSION_EVENT_PUBLISHING));
  for (i = 0; i < 3; i++)
    rtmp_session_send_media (a->session, 1, RTMP_MESSAGE_VIDEO, i, payload);
  client_flush (a);
  fail_unless (rtmp_test_peer_wait_for_media (peer, 3, WAIT_MS));
  for (i = 0; i < 2; i++)
    rtmp_session_send_media (b->session, 1, RTMP_MESSAGE_AUDIO, i, payload);
  client_flush (b);
  fail_unless (rtmp_test_peer_wait_for_media (peer, 5, WAIT_MS));
  media_a = rtmp_test_peer_dup_media (peer, 0);
  media_b = rtmp_test_peer_dup_media (peer, 1);
  all = rtmp_test_peer_dup_media (peer, RTMP_TEST_PEER_ALL);
  fail_unless_equals_int (media_a->len, 3);
  fail_unless_equals_int (media_b->len, 2);
  fail_unless_equals_int (all->len, 5);
  fail_unless_equals_int (((RtmpMessage *) all->pdata[4])->type,
      RTMP_MESSAGE_AUDIO);

  rtmp_test_peer_drop_connections (peer);
  check_client_fails (a, RTMP_ERROR_CLOSED, NULL, __LINE__);
  check_client_fails (b, RTMP_ERROR_CLOSED, NULL, __LINE__);
  fail_unless_equals_int (rtmp_test_peer_get_end (peer, 0),
      RTMP_TEST_PEER_END_PEER);
  fail_unless_equals_int (rtmp_test_peer_get_end (peer, RTMP_TEST_PEER_LAST),
      RTMP_TEST_PEER_END_PEER);
  client_free (a);
  client_free (b);
  rtmp_test_peer_get_stats (peer, &stats);
  fail_unless_equals_int (stats.n_connections, 2);
  fail_unless_equals_int (stats.n_ended, 2);
  setup_clear (&setup);
  g_bytes_unref (payload);
}

GST_END_TEST;

GST_START_TEST (test_refuse_connections)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  guint16 port = rtmp_test_peer_get_port (peer);
  g_autoptr (GError) error = NULL;
  GSocket *socket;
  ClientSetup setup;
  Client *c;
  gint64 deadline;

  rtmp_test_peer_refuse_connections (peer, G_MAXUINT);
  socket = connect_socket (port, &error);
  fail_unless (socket == NULL);
  fail_unless (
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED));
  g_clear_error (&error);
  rtmp_test_peer_accept_connections (peer);
  fail_unless_equals_int (rtmp_test_peer_get_port (peer), port);
  setup_init (&setup, peer, RTMP_SESSION_INTENT_CONNECT, "live", NULL);
  c = client_new (peer, &setup.config);
  fail_unless (run_until_event (c, RTMP_SESSION_EVENT_CONNECTED));
  client_free (c);

  /* for a while: refused at once, then accepted again */
  rtmp_test_peer_refuse_connections (peer, 200);
  socket = connect_socket (port, &error);
  fail_unless (socket == NULL);
  deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  /* a retry loop, not a timing assertion */
  while (socket == NULL && g_get_monotonic_time () < deadline) {
    g_usleep (10 * 1000);
    g_clear_error (&error);
    socket = connect_socket (port, &error);
  }
  fail_unless (socket != NULL);
  g_object_unref (socket);
  fail_unless (rtmp_test_peer_wait_for_connections (peer, 2, WAIT_MS));
  setup_clear (&setup);
}

GST_END_TEST;

GST_START_TEST (test_idle_timeout_and_chunk_size)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;
  g_autofree gchar *reason = NULL;

  rtmp_test_peer_set_idle_timeout (peer, 200);
  rtmp_test_peer_set_chunk_size (peer, 100);
  setup_init (&setup, peer, RTMP_SESSION_INTENT_CONNECT, "live", NULL);
  c = client_new (peer, &setup.config);
  fail_unless (run_until_event (c, RTMP_SESSION_EVENT_CONNECTED));
  fail_unless_equals_int (rtmp_session_get_peer_chunk_size (c->session), 100);
  /* the client stays silent: the peer closes */
  check_client_fails (c, RTMP_ERROR_CLOSED, NULL, __LINE__);
  fail_unless_equals_int (rtmp_test_peer_wait_for_end (peer, 0, WAIT_MS),
      RTMP_TEST_PEER_END_PEER);
  reason = rtmp_test_peer_dup_end_reason (peer, 0);
  fail_unless (strstr (reason, "no data") != NULL, "%s", reason);
  client_free (c);
  setup_clear (&setup);
}

GST_END_TEST;

static gboolean
has_more_bytes (Client *c, gconstpointer data)
{
  RtmpSessionStats stats;

  rtmp_session_get_stats (c->session, &stats);
  return stats.in_bytes > *(const guint64 *) data;
}

/* The peer pings an idle client, which answers: the answers keep the
 * peer's idle timeout from firing */
GST_START_TEST (test_ping_interval)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  ClientSetup setup;
  Client *c;
  RtmpSessionStats stats;
  guint64 baseline;
  guint i;

  rtmp_test_peer_set_ping_interval (peer, 50);
  rtmp_test_peer_set_idle_timeout (peer, 500);
  setup_init (&setup, peer, RTMP_SESSION_INTENT_CONNECT, "live", NULL);
  c = client_new (peer, &setup.config);
  fail_unless (run_until_event (c, RTMP_SESSION_EVENT_CONNECTED));
  /* 15 pings take about 750 ms, longer than the idle timeout */
  for (i = 0; i < 15; i++) {
    rtmp_session_get_stats (c->session, &stats);
    baseline = stats.in_bytes;
    fail_unless (client_run (c, has_more_bytes, &baseline, WAIT_MS));
  }
  fail_unless (c->error == NULL);
  fail_unless_equals_int (rtmp_test_peer_get_end (peer, 0),
      RTMP_TEST_PEER_END_OPEN);
  client_free (c);
  setup_clear (&setup);
}

GST_END_TEST;

GST_START_TEST (test_client_mid_message_close)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  GBytes *payload = make_payload (50000, 9);
  ClientSetup setup;
  Client *c;
  RtmpOutputVector vectors[4];
  guint n;

  setup_init (&setup, peer, RTMP_SESSION_INTENT_PUBLISH, "live", "s");
  c = client_new (peer, &setup.config);
  fail_unless (run_until_event (c, RTMP_SESSION_EVENT_PUBLISHING));
  rtmp_session_send_media (c->session, 1, RTMP_MESSAGE_VIDEO, 0, payload);
  /* the first chunk only */
  n = rtmp_session_peek_output (c->session, vectors, 2);
  fail_unless (n == 2);
  fail_unless (g_socket_send (c->socket, (const gchar *) vectors[0].data,
                   vectors[0].len, NULL, NULL)
      > 0);
  fail_unless (g_socket_send (c->socket, (const gchar *) vectors[1].data, 100,
                   NULL, NULL)
      > 0);
  g_socket_close (c->socket, NULL);
  fail_unless_equals_int (rtmp_test_peer_wait_for_end (peer, 0, WAIT_MS),
      RTMP_TEST_PEER_END_CLIENT_MID_MESSAGE);
  client_free (c);
  setup_clear (&setup);
  g_bytes_unref (payload);
}

GST_END_TEST;

static Suite *
peer_suite (void)
{
  Suite *s = suite_create ("rtmptestpeer");
  TCase *tc = tcase_create ("general");
  guint i;

  for (i = 0; i < sizeof (random_bytes); i++)
    random_bytes[i] = (guint8) (i * 29 + 3);

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_publish_flow);
  tcase_add_test (tc, test_connect_object_and_args);
  tcase_add_test (tc, test_play_end_complete);
  tcase_add_test (tc, test_play_end_stop);
  tcase_add_test (tc, test_play_end_unpublish);
  tcase_add_test (tc, test_play_end_close);
  tcase_add_test (tc, test_play_end_close_mid_message);
  tcase_add_test (tc, test_play_flv);
  tcase_add_test (tc, test_play_realtime_loop);
  tcase_add_test (tc, test_play_seek_and_pause);
  tcase_add_test (tc, test_play_pause_holds_source);
  tcase_add_test (tc, test_play_malformed_on_play_status);
  tcase_add_test (tc, test_stall_handshake);
  tcase_add_test (tc, test_stall_connect);
  tcase_add_test (tc, test_stall_create_stream);
  tcase_add_test (tc, test_stall_publish);
  tcase_add_test (tc, test_stall_play);
  tcase_add_test (tc, test_stall_released);
  tcase_add_test (tc, test_stall_started_stops_reading);
  tcase_add_test (tc, test_reject_connect);
  tcase_add_test (tc, test_reject_publish_and_play);
  tcase_add_test (tc, test_auth_adobe);
  tcase_add_test (tc, test_auth_llnw);
  tcase_add_test (tc, test_auth_without_credentials);
  tcase_add_test (tc, test_secure_token_encryption);
  tcase_add_test (tc, test_secure_token);
  tcase_add_test (tc, test_close_after_bytes_mid_message);
  tcase_add_test (tc, test_close_at);
  tcase_add_test (tc, test_garbage_at);
  tcase_add_test (tc, test_status_after_media);
  tcase_add_test (tc, test_reconnect_request);
  tcase_add_test (tc, test_two_connections_and_drop);
  tcase_add_test (tc, test_refuse_connections);
  tcase_add_test (tc, test_idle_timeout_and_chunk_size);
  tcase_add_test (tc, test_ping_interval);
  tcase_add_test (tc, test_client_mid_message_close);
  return s;
}

GST_CHECK_MAIN (peer);
