/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The protocol layer against a real nginx-rtmp started by each test: handshake
 * (simple and digest), connect, createStream, publish and play driven by a
 * plain blocking GSocket loop, with FLV tags of a real file. */

#include <gst/check/gstcheck.h>
#include <gio/gio.h>
#include <string.h>

#include "rtmpcommand.h"
#include "rtmpexternal.h"
#include "rtmpflv.h"
#include "rtmpsession.h"

#define MEDIA_DIR RTMP_TEST_FILES_DIR "/media"
#define MEDIA_NAME "testsrc-x264-aac.flv"
#define MEDIA_FILE MEDIA_DIR "/" MEDIA_NAME

/* What the file holds (tests/files/README.md, media/) */
#define MEDIA_VIDEO_TAGS \
  122 /* AVC sequence header, 120 frames, end of sequence */
#define MEDIA_AUDIO_TAGS 175 /* the AAC sequence header and 174 frames */
#define MEDIA_WIDTH 320
#define MEDIA_HEIGHT 240

#define WAIT_MS 10000
#define PUMP_SLICE_MS 50

GST_DEBUG_CATEGORY_STATIC (integration_debug);
#undef GST_CAT_DEFAULT
#define GST_CAT_DEFAULT integration_debug

/* --- one client connection: a session over a blocking socket --- */

typedef struct
{
  const gchar *name; /* "publisher", "player": for messages */
  GSocket *socket;
  RtmpSession *session;
  GPtrArray *events; /* RtmpSessionEvent *, every event in order */
  gboolean peer_closed;
  GError *error; /* the first failure, socket or session */
} Conn;

static void
event_free (RtmpSessionEvent *event)
{
  rtmp_session_event_clear (event);
  g_free (event);
}

static void
session_log (GLogLevelFlags level, const gchar *message, gpointer user_data)
{
  const Conn *conn = user_data;

  GST_DEBUG ("%s: %s", conn->name, message);
}

static gboolean
conn_is_active (const Conn *conn)
{
  return conn->socket != NULL && conn->error == NULL && !conn->peer_closed;
}

static void
conn_fail (Conn *conn, GError *error)
{
  GST_INFO ("%s failed: %s", conn->name, error->message);
  if (conn->error == NULL)
    conn->error = error;
  else
    g_error_free (error);
}

static Conn *
conn_new (const gchar *name, guint16 port, RtmpHandshakeType handshake,
    const gchar *app, RtmpSessionIntent intent, const gchar *stream_name,
    guint32 buffer_length_ms)
{
  Conn *conn = g_new0 (Conn, 1);
  RtmpSessionConfig config;
  guint8 random[RTMP_SESSION_RANDOM_SIZE];
  g_autofree gchar *tc_url = NULL;
  g_autoptr (GInetAddress) loopback = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  GError *error = NULL;
  guint i;

  conn->name = name;
  conn->events = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);

  for (i = 0; i < sizeof (random); i++)
    random[i] = g_random_int_range (0, 256);
  tc_url = g_strdup_printf ("rtmp://127.0.0.1:%u/%s", port, app);

  rtmp_session_config_init (&config, RTMP_SESSION_ROLE_CLIENT);
  config.handshake = handshake;
  config.random = random;
  config.now_us = g_get_monotonic_time ();
  config.phase_timeout_ms = 5000;
  config.client.app = app;
  config.client.tc_url = tc_url;
  config.client.flash_ver = "FMLE/3.0 (compatible; gst-rtmp integration)";
  config.client.intent = intent;
  config.client.stream_name = stream_name;
  config.client.buffer_length_ms = buffer_length_ms;
  config.log_func = session_log;
  config.log_user_data = conn;
  config.log_level |= G_LOG_LEVEL_DEBUG;
  conn->session = rtmp_session_new (&config);

  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, port);
  conn->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &error);
  fail_unless (conn->socket != NULL, "%s: %s", name,
      error ? error->message : "");
  /* blocking, but never forever */
  g_socket_set_timeout (conn->socket, WAIT_MS / 1000);
  if (!g_socket_connect (conn->socket, address, NULL, &error))
    fail ("%s: cannot connect to 127.0.0.1:%u: %s", name, port, error->message);
  return conn;
}

static void
conn_close (Conn *conn)
{
  if (conn->socket != NULL) {
    g_socket_close (conn->socket, NULL);
    g_clear_object (&conn->socket);
  }
}

static void
conn_free (Conn *conn)
{
  conn_close (conn);
  rtmp_session_free (conn->session);
  g_ptr_array_unref (conn->events);
  g_clear_error (&conn->error);
  g_free (conn);
}

static void
conn_drain_events (Conn *conn)
{
  RtmpSessionEvent event;

  while (rtmp_session_next_event (conn->session, &event)) {
    RtmpSessionEvent *copy = g_new (RtmpSessionEvent, 1);

    *copy = event;
    if (event.type == RTMP_SESSION_EVENT_STATUS)
      GST_INFO ("%s: onStatus %s", conn->name, event.code);
    g_ptr_array_add (conn->events, copy);
  }
}

/* Writes everything the session has queued (blocking writes) */
static void
conn_flush (Conn *conn)
{
  while (conn_is_active (conn)
      && rtmp_session_get_output_size (conn->session) > 0) {
    RtmpOutputVector vectors[16];
    GOutputVector out[16];
    GError *error = NULL;
    guint n, i;
    gssize written;

    n = rtmp_session_peek_output (conn->session, vectors, G_N_ELEMENTS (out));
    for (i = 0; i < n; i++) {
      out[i].buffer = vectors[i].data;
      out[i].size = vectors[i].len;
    }
    written = g_socket_send_message (conn->socket, NULL, out, n, NULL, 0, 0,
        NULL, &error);
    if (written < 0) {
      g_prefix_error (&error, "writing to nginx: ");
      conn_fail (conn, error);
      return;
    }
    rtmp_session_consume_output (conn->session, written);
  }
}

/* One read: the socket is readable (or closed) */
static void
conn_read (Conn *conn)
{
  guint8 buffer[64 * 1024];
  GError *error = NULL;
  gssize n;

  n = g_socket_receive (conn->socket, (gchar *) buffer, sizeof (buffer), NULL,
      &error);
  if (n < 0) {
    g_prefix_error (&error, "reading from nginx: ");
    conn_fail (conn, error);
  } else if (n == 0) {
    conn->peer_closed = TRUE;
    if (!rtmp_session_receive_eof (conn->session, &error))
      conn_fail (conn, error);
  } else if (!rtmp_session_receive (conn->session, buffer, n,
                 g_get_monotonic_time (), &error)) {
    conn_fail (conn, error);
  }
  conn_drain_events (conn);
}

/* Writes what is queued, then waits up to @max_wait_ms (less when a session
 * deadline comes first) for bytes from any connection, feeds them in and
 * runs the deadlines that passed. */
static void
pump (Conn **conns, guint n_conns, guint max_wait_ms)
{
  GPollFD fds[4];
  Conn *polled[4];
  guint64 now = g_get_monotonic_time ();
  guint64 wake = now + max_wait_ms * (guint64) 1000;
  guint n_fds = 0, i;

  g_assert (n_conns <= G_N_ELEMENTS (fds));
  for (i = 0; i < n_conns; i++) {
    conn_flush (conns[i]);
    if (!conn_is_active (conns[i]))
      continue;
    wake = MIN (wake, rtmp_session_next_deadline (conns[i]->session));
    fds[n_fds].fd = g_socket_get_fd (conns[i]->socket);
    fds[n_fds].events = G_IO_IN;
    fds[n_fds].revents = 0;
    polled[n_fds++] = conns[i];
  }
  if (n_fds == 0)
    return;

  g_poll (fds, n_fds, wake > now ? (gint) ((wake - now + 999) / 1000) : 0);
  for (i = 0; i < n_fds; i++) {
    if (fds[i].revents != 0)
      conn_read (polled[i]);
  }

  now = g_get_monotonic_time ();
  for (i = 0; i < n_conns; i++) {
    GError *error = NULL;

    if (!conn_is_active (conns[i])
        || now < rtmp_session_next_deadline (conns[i]->session))
      continue;
    if (!rtmp_session_handle_deadline (conns[i]->session, now, &error))
      conn_fail (conns[i], error);
    conn_drain_events (conns[i]);
    conn_flush (conns[i]);
  }
}

typedef gboolean (*ConnPredicate) (Conn *conn, gpointer user_data);

/* Pumps all @conns until @predicate holds for @conn (TRUE), or @timeout_ms
 * passed or @conn failed or closed (FALSE). */
static gboolean
conn_wait (Conn *conn, Conn **conns, guint n_conns, ConnPredicate predicate,
    gpointer user_data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  for (;;) {
    if (predicate (conn, user_data))
      return TRUE;
    if (!conn_is_active (conn) || g_get_monotonic_time () >= deadline)
      return FALSE;
    pump (conns, n_conns, PUMP_SLICE_MS);
  }
}

/* The same, failing the test with everything known on the way */
#define conn_wait_or_fail(conn, conns, n, predicate, data, what) \
  conn_wait_or_fail_at (__LINE__, conn, conns, n, predicate, data, what)

static void
conn_wait_or_fail_at (gint line, Conn *conn, Conn **conns, guint n_conns,
    ConnPredicate predicate, gpointer user_data, const gchar *what)
{
  if (conn_wait (conn, conns, n_conns, predicate, user_data, WAIT_MS))
    return;
  fail ("line %d: %s never saw %s: %s", line, conn->name, what,
      conn->error             ? conn->error->message
          : conn->peer_closed ? "nginx closed the connection"
                              : "timed out");
}

static RtmpSessionEvent *
find_event (Conn *conn, RtmpSessionEventType type, const gchar *code)
{
  guint i;

  for (i = 0; i < conn->events->len; i++) {
    RtmpSessionEvent *event = conn->events->pdata[i];

    if (event->type == type
        && (code == NULL || g_strcmp0 (event->code, code) == 0))
      return event;
  }
  return NULL;
}

static gboolean
has_event (Conn *conn, gpointer type)
{
  return find_event (conn, GPOINTER_TO_INT (type), NULL) != NULL;
}

static gboolean
has_status (Conn *conn, gpointer code)
{
  return find_event (conn, RTMP_SESSION_EVENT_STATUS, code) != NULL;
}

static gboolean
has_stream_control (Conn *conn, guint16 control_type)
{
  guint i;

  for (i = 0; i < conn->events->len; i++) {
    RtmpSessionEvent *event = conn->events->pdata[i];

    if (event->type == RTMP_SESSION_EVENT_STREAM_CONTROL
        && event->control_type == control_type)
      return TRUE;
  }
  return FALSE;
}

/* The media messages of @type the connection received, in order */
static GPtrArray *
received_media (Conn *conn, guint8 type)
{
  GPtrArray *messages = g_ptr_array_new ();
  guint i;

  for (i = 0; i < conn->events->len; i++) {
    RtmpSessionEvent *event = conn->events->pdata[i];

    if (event->type == RTMP_SESSION_EVENT_MEDIA && event->message->type == type)
      g_ptr_array_add (messages, event->message);
  }
  return messages;
}

static guint
count_media (Conn *conn, guint8 type)
{
  g_autoptr (GPtrArray) messages = received_media (conn, type);

  return messages->len;
}

typedef struct
{
  guint n_video;
  guint n_audio;
} MediaCount;

static gboolean
has_all_media (Conn *conn, gpointer user_data)
{
  const MediaCount *count = user_data;

  return count_media (conn, RTMP_MESSAGE_VIDEO) >= count->n_video
      && count_media (conn, RTMP_MESSAGE_AUDIO) >= count->n_audio;
}

static gboolean
has_video (Conn *conn, gpointer user_data)
{
  return count_media (conn, RTMP_MESSAGE_VIDEO) > 0;
}

static gboolean
has_stream_end (Conn *conn, gpointer user_data)
{
  return has_status (conn, "NetStream.Play.UnpublishNotify")
      || has_stream_control (conn, RTMP_USER_CONTROL_STREAM_EOF);
}

static gboolean
has_failed (Conn *conn, gpointer user_data)
{
  return conn->error != NULL;
}

static gboolean
has_data_payload (Conn *conn, GBytes *payload)
{
  guint i;

  for (i = 0; i < conn->events->len; i++) {
    RtmpSessionEvent *event = conn->events->pdata[i];

    if (event->type == RTMP_SESSION_EVENT_MEDIA
        && event->message->type == RTMP_MESSAGE_DATA_AMF0
        && g_bytes_equal (event->message->payload, payload))
      return TRUE;
  }
  return FALSE;
}

/* --- the media file --- */

/* (transfer full): RtmpFlvTag *, every tag of @path in order; NULL and
 * @error when the file is missing, malformed or ends inside a tag */
static GPtrArray *
read_flv (const gchar *path, GError **error)
{
  g_autoptr (GPtrArray) tags
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_flv_tag_free);
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  g_autoptr (GBytes) bytes = NULL;
  gchar *contents;
  gsize len, offset = 0;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  bytes = g_bytes_new_take (contents, len);

  while (offset < len) {
    RtmpFlvTag *tag = NULL;
    gsize consumed = 0;
    RtmpReadResult result
        = rtmp_flv_reader_read (reader, bytes, offset, &consumed, &tag, error);

    if (result == RTMP_READ_ERROR)
      return NULL;
    offset += consumed;
    if (result == RTMP_READ_NEED_MORE)
      break;
    g_ptr_array_add (tags, tag);
  }
  if (rtmp_flv_reader_has_partial (reader)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "%s ends inside a tag", path);
    return NULL;
  }
  return g_steal_pointer (&tags);
}

static GPtrArray *
load_flv (const gchar *path)
{
  GError *error = NULL;
  GPtrArray *tags = read_flv (path, &error);

  fail_unless (tags != NULL, "%s: %s", path, error ? error->message : "");
  return tags;
}

static guint
count_tags (GPtrArray *tags, guint8 type)
{
  guint i, n = 0;

  for (i = 0; i < tags->len; i++) {
    const RtmpFlvTag *tag = tags->pdata[i];

    if (tag->type == type)
      n++;
  }
  return n;
}

static const RtmpFlvTag *
first_tag (GPtrArray *tags, guint8 type)
{
  guint i;

  for (i = 0; i < tags->len; i++) {
    const RtmpFlvTag *tag = tags->pdata[i];

    if (tag->type == type)
      return tag;
  }
  return NULL;
}

/* Every tag of @type, in order, came as a message with the same timestamp
 * and payload bytes, and nothing else came. */
static void
check_same_media (GPtrArray *tags, Conn *player, guint8 type)
{
  g_autoptr (GPtrArray) messages = received_media (player, type);
  guint i, m = 0;

  for (i = 0; i < tags->len; i++) {
    const RtmpFlvTag *tag = tags->pdata[i];
    const RtmpMessage *message;

    if (tag->type != type)
      continue;
    fail_unless (m < messages->len,
        "%s: the player got only %u %s messages, the file has %u",
        rtmp_message_type_get_name (type), messages->len,
        rtmp_message_type_get_name (type), count_tags (tags, type));
    message = messages->pdata[m];
    fail_unless_equals_int (message->timestamp, tag->timestamp);
    fail_unless (g_bytes_equal (message->payload, tag->payload),
        "%s message %u (timestamp %u): %" G_GSIZE_FORMAT
        " bytes differ from the tag's %" G_GSIZE_FORMAT,
        rtmp_message_type_get_name (type), m, message->timestamp,
        g_bytes_get_size (message->payload), g_bytes_get_size (tag->payload));
    m++;
  }
  fail_unless_equals_int (messages->len, m);
}

/* --- fixtures --- */

static RtmpExternalNginx *
start_nginx (const gchar *server_directives)
{
  RtmpExternalNginxConfig config;
  g_autofree gchar *nginx = NULL;
  RtmpExternalNginx *server;
  GError *error = NULL;

  /* a missing peer fails the test, naming the package to install */
  nginx = rtmp_external_require_program ("nginx", "nginx");
  rtmp_external_nginx_config_init (&config);
  config.vod_dir = MEDIA_DIR;
  config.server_directives = server_directives;
  server = rtmp_external_nginx_start (&config, &error);
  fail_unless (server != NULL, "%s", error ? error->message : "");
  return server;
}

/* The data message that carried onMetaData: its AMF values */
static GPtrArray *
find_metadata (Conn *player)
{
  guint i;

  for (i = 0; i < player->events->len; i++) {
    RtmpSessionEvent *event = player->events->pdata[i];
    GError *error = NULL;
    GPtrArray *values;

    if (event->type != RTMP_SESSION_EVENT_MEDIA
        || event->message->type != RTMP_MESSAGE_DATA_AMF0)
      continue;
    values = rtmp_data_parse (event->message, NULL, &error);
    fail_unless (values != NULL, "player: bad data message: %s",
        error ? error->message : "");
    if (values->len >= 2
        && rtmp_amf_value_get_type (values->pdata[0]) == RTMP_AMF_TYPE_STRING
        && g_str_equal (rtmp_amf_value_peek_string (values->pdata[0], NULL),
            "onMetaData"))
      return values;
    g_ptr_array_unref (values);
  }
  return NULL;
}

/* Publishes every tag of @tags on @publisher while @player (nullable) is
 * read too */
static void
publish_tags (Conn *publisher, Conn *player, GPtrArray *tags)
{
  Conn *conns[] = { publisher, player };
  guint n_conns = player ? 2 : 1;
  guint32 stream_id = rtmp_session_get_stream_id (publisher->session);
  guint i;

  for (i = 0; i < tags->len; i++) {
    const RtmpFlvTag *tag = tags->pdata[i];
    g_autoptr (GBytes) payload = NULL;

    if (tag->type == RTMP_FLV_TAG_SCRIPT)
      payload = rtmp_flv_script_add_set_data_frame (tag->payload);
    else
      payload = g_bytes_ref (tag->payload);
    rtmp_session_send_media (publisher->session, stream_id, tag->type,
        tag->timestamp, payload);
    /* write it, and read whatever nginx relayed meanwhile */
    pump (conns, n_conns, 0);
    fail_unless (conn_is_active (publisher), "publisher: %s",
        publisher->error ? publisher->error->message : "closed by nginx");
  }
}

/* --- tests --- */

/* The live test's iterations: both handshakes, each with nginx's default
 * "meta on" (it rebuilds onMetaData from what it parsed) and with "meta
 * copy" (it relays the publisher's onMetaData as it came) */
typedef struct
{
  RtmpHandshakeType handshake;
  const gchar *app;
  gboolean is_meta_copied;
} LiveCase;

static const LiveCase live_cases[] = {
  { RTMP_HANDSHAKE_SIMPLE, "live", FALSE },
  { RTMP_HANDSHAKE_DIGEST, "live", FALSE },
  { RTMP_HANDSHAKE_SIMPLE, "copy", TRUE },
  { RTMP_HANDSHAKE_DIGEST, "copy", TRUE },
};

#define LIVE_APPLICATIONS "application copy { live on; meta copy; }"

static const gchar *
handshake_name (RtmpHandshakeType type)
{
  return type == RTMP_HANDSHAKE_DIGEST ? "digest" : "simple";
}

/* A player joins first, then the file's tags are published live: the player
 * gets every audio and video message with the same bytes and timestamps,
 * the metadata, and the end of the stream. */
GST_START_TEST (test_live_publish_play)
{
  const LiveCase *live = &live_cases[__i__];
  RtmpHandshakeType handshake = live->handshake;
  g_autoptr (GPtrArray) tags = load_flv (MEDIA_FILE);
  g_autoptr (RtmpExternalNginx) nginx = start_nginx (LIVE_APPLICATIONS);
  guint16 port = rtmp_external_nginx_get_port (nginx);
  Conn *player, *publisher;
  Conn *conns[2];
  MediaCount all;
  g_autoptr (GPtrArray) metadata = NULL;
  gdouble number;

  GST_INFO ("%s handshake, application %s", handshake_name (handshake),
      live->app);
  fail_unless_equals_int (count_tags (tags, RTMP_FLV_TAG_VIDEO),
      MEDIA_VIDEO_TAGS);
  fail_unless_equals_int (count_tags (tags, RTMP_FLV_TAG_AUDIO),
      MEDIA_AUDIO_TAGS);
  fail_unless (first_tag (tags, RTMP_FLV_TAG_SCRIPT) != NULL);

  player = conn_new ("player", port, handshake, live->app,
      RTMP_SESSION_INTENT_PLAY, "test", 1000);
  conns[0] = player;
  conn_wait_or_fail (player, conns, 1, has_event,
      GINT_TO_POINTER (RTMP_SESSION_EVENT_PLAYING), "NetStream.Play.Start");
  fail_unless (has_event (player,
      GINT_TO_POINTER (RTMP_SESSION_EVENT_HANDSHAKE_COMPLETE)));
  fail_unless (
      has_event (player, GINT_TO_POINTER (RTMP_SESSION_EVENT_CONNECTED)));
  fail_unless (
      has_event (player, GINT_TO_POINTER (RTMP_SESSION_EVENT_STREAM_CREATED)));
  fail_unless (rtmp_session_is_playing (player->session));

  publisher = conn_new ("publisher", port, handshake, live->app,
      RTMP_SESSION_INTENT_PUBLISH, "test", 0);
  conns[0] = publisher;
  conns[1] = player;
  conn_wait_or_fail (publisher, conns, 2, has_event,
      GINT_TO_POINTER (RTMP_SESSION_EVENT_PUBLISHING),
      "NetStream.Publish.Start");
  fail_unless (rtmp_session_is_publishing (publisher->session));
  fail_unless (rtmp_session_get_stream_id (publisher->session) > 0);

  publish_tags (publisher, player, tags);

  all.n_video = MEDIA_VIDEO_TAGS;
  all.n_audio = MEDIA_AUDIO_TAGS;
  if (!conn_wait (player, conns, 2, has_all_media, &all, WAIT_MS)) {
    fail ("the player got %u of %u video and %u of %u audio messages: %s",
        count_media (player, RTMP_MESSAGE_VIDEO), all.n_video,
        count_media (player, RTMP_MESSAGE_AUDIO), all.n_audio,
        player->error ? player->error->message : "timed out");
  }
  check_same_media (tags, player, RTMP_MESSAGE_VIDEO);
  check_same_media (tags, player, RTMP_MESSAGE_AUDIO);

  metadata = find_metadata (player);
  fail_unless (metadata != NULL, "the player got no onMetaData");
  fail_unless (
      rtmp_amf_value_lookup_number (metadata->pdata[1], "width", &number));
  fail_unless_equals_int ((gint) number, MEDIA_WIDTH);
  fail_unless (
      rtmp_amf_value_lookup_number (metadata->pdata[1], "height", &number));
  fail_unless_equals_int ((gint) number, MEDIA_HEIGHT);
  if (live->is_meta_copied) {
    /* the file's script tag, without the @setDataFrame we added */
    fail_unless (has_data_payload (player,
        first_tag (tags, RTMP_FLV_TAG_SCRIPT)->payload));
  } else {
    fail_unless (rtmp_amf_value_lookup_string (metadata->pdata[1], "Server")
            != NULL,
        "not the onMetaData nginx writes");
  }

  /* a clean ending */
  rtmp_session_stop (publisher->session,
      RTMP_STOP_COMMANDS_FCUNPUBLISH | RTMP_STOP_COMMANDS_CLOSE_STREAM
          | RTMP_STOP_COMMANDS_DELETE_STREAM);
  fail_unless (rtmp_session_is_closing (publisher->session));
  conn_flush (publisher);
  fail_unless (publisher->error == NULL, "%s",
      publisher->error ? publisher->error->message : "");
  fail_unless_equals_int (rtmp_session_get_output_size (publisher->session), 0);
  conn_wait_or_fail (player, conns, 2, has_stream_end, NULL,
      "NetStream.Play.UnpublishNotify or Stream EOF");
  fail_unless (player->error == NULL);

  conn_free (publisher);
  conn_free (player);
}

GST_END_TEST;

static gboolean
has_play_end (Conn *conn, gpointer user_data)
{
  return has_status (conn, "NetStream.Play.Complete")
      || has_status (conn, "NetStream.Play.Stop");
}

static void
dump_events (Conn *conn)
{
  guint i;

  for (i = 0; i < conn->events->len; i++) {
    RtmpSessionEvent *event = conn->events->pdata[i];

    switch (event->type) {
      case RTMP_SESSION_EVENT_MEDIA:
        GST_DEBUG ("%s: event media type %u ts %u len %" G_GSIZE_FORMAT,
            conn->name, event->message->type, event->message->timestamp,
            g_bytes_get_size (event->message->payload));
        break;
      case RTMP_SESSION_EVENT_STATUS:
        GST_DEBUG ("%s: event status %s", conn->name, event->code);
        break;
      case RTMP_SESSION_EVENT_STREAM_CONTROL:
        GST_DEBUG ("%s: event control %u stream %u", conn->name,
            event->control_type, event->stream_id);
        break;
      default:
        GST_DEBUG ("%s: event %d", conn->name, event->type);
        break;
    }
  }
}

/* nginx's play directive serves the file as a recorded stream: Stream
 * IsRecorded, every tag, and Play.Complete at the end. */
GST_START_TEST (test_vod_play)
{
  g_autoptr (GPtrArray) tags = load_flv (MEDIA_FILE);
  g_autoptr (RtmpExternalNginx) nginx = start_nginx (NULL);
  guint16 port = rtmp_external_nginx_get_port (nginx);
  Conn *player;
  Conn *conns[1];

  player = conn_new ("player", port, RTMP_HANDSHAKE_DIGEST, "vod",
      RTMP_SESSION_INTENT_PLAY, MEDIA_NAME, 10000);
  conns[0] = player;
  conn_wait_or_fail (player, conns, 1, has_play_end, NULL,
      "NetStream.Play.Complete or NetStream.Play.Stop");
  /* whatever nginx sent with it */
  pump (conns, 1, 200);
  dump_events (player);
  fail_unless (player->error == NULL, "%s",
      player->error ? player->error->message : "");

  fail_unless (
      has_event (player, GINT_TO_POINTER (RTMP_SESSION_EVENT_PLAYING)));
  fail_unless (has_stream_control (player, RTMP_USER_CONTROL_STREAM_BEGIN));
  fail_unless (
      has_stream_control (player, RTMP_USER_CONTROL_STREAM_IS_RECORDED));
  check_same_media (tags, player, RTMP_MESSAGE_VIDEO);
  check_same_media (tags, player, RTMP_MESSAGE_AUDIO);
  /* the script tag as it is in the file */
  fail_unless (has_data_payload (player,
      first_tag (tags, RTMP_FLV_TAG_SCRIPT)->payload));
  fail_unless (has_status (player, "NetStream.Play.Complete"));
  fail_unless (has_status (player, "NetStream.Play.Stop"));
  fail_unless (has_stream_control (player, RTMP_USER_CONTROL_STREAM_EOF));
  conn_free (player);
}

GST_END_TEST;

#define RECORD_APPLICATION \
  "application rec { live on; record all; record_path @DIR@/record; " \
  "record_unique off; }"

/* The tags of @tags of @type, in order, are the tags of @recorded of that
 * type, with the same bytes and timestamps, but for consecutive copies in
 * @recorded: nginx's record module writes the AAC sequence header it
 * keeps, and then the same header again as the frame it received. */
static void
check_same_tags (GPtrArray *tags, GPtrArray *recorded, guint8 type)
{
  const RtmpFlvTag *previous = NULL;
  guint i, r = 0, n_copies = 0;

  for (i = 0; i < tags->len; i++) {
    const RtmpFlvTag *tag = tags->pdata[i];
    const RtmpFlvTag *copy = NULL;

    if (tag->type != type)
      continue;
    while (r < recorded->len && copy == NULL) {
      const RtmpFlvTag *candidate = recorded->pdata[r++];

      if (candidate->type != type)
        continue;
      if (previous != NULL && candidate->timestamp == previous->timestamp
          && g_bytes_equal (candidate->payload, previous->payload)) {
        n_copies++;
        continue;
      }
      copy = candidate;
    }
    fail_unless (copy != NULL, "the recording lacks tag %u (type %u)", i, type);
    fail_unless_equals_int (copy->timestamp, tag->timestamp);
    fail_unless (g_bytes_equal (copy->payload, tag->payload),
        "type %u, timestamp %u: the recorded tag differs", type,
        tag->timestamp);
    previous = copy;
  }
  GST_INFO ("type %u: %u consecutive copies in the recording", type, n_copies);
  fail_unless (n_copies <= 1, "%u copies", n_copies);
  fail_unless_equals_int (count_tags (recorded, type),
      count_tags (tags, type) + n_copies);
}

/* nginx records what the protocol layer publishes: the FLV file it writes
 * holds every published tag, and ffprobe counts the same packets as in the
 * original. */
GST_START_TEST (test_record)
{
  g_autoptr (GPtrArray) tags = load_flv (MEDIA_FILE);
  g_autoptr (RtmpExternalNginx) nginx = start_nginx (RECORD_APPLICATION);
  g_autoptr (GPtrArray) recorded = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *ffprobe_path = NULL;
  RtmpExternalProbe probe;
  GError *error = NULL;
  gint64 deadline;
  Conn *publisher;
  Conn *conns[1];

  ffprobe_path = rtmp_external_require_program ("ffprobe", "ffmpeg");
  publisher = conn_new ("publisher", rtmp_external_nginx_get_port (nginx),
      RTMP_HANDSHAKE_DIGEST, "rec", RTMP_SESSION_INTENT_PUBLISH, "test", 0);
  conns[0] = publisher;
  conn_wait_or_fail (publisher, conns, 1, has_event,
      GINT_TO_POINTER (RTMP_SESSION_EVENT_PUBLISHING),
      "NetStream.Publish.Start");
  publish_tags (publisher, NULL, tags);
  rtmp_session_stop (publisher->session,
      RTMP_STOP_COMMANDS_FCUNPUBLISH | RTMP_STOP_COMMANDS_DELETE_STREAM);
  conn_flush (publisher);
  fail_unless (publisher->error == NULL, "%s",
      publisher->error ? publisher->error->message : "");
  conn_free (publisher);

  /* nginx closes the recording when the stream ends; until then the file
   * may end inside a tag */
  path = g_build_filename (rtmp_external_nginx_get_dir (nginx), "record",
      "test.flv", NULL);
  deadline = g_get_monotonic_time () + WAIT_MS * (gint64) 1000;
  for (;;) {
    g_clear_pointer (&recorded, g_ptr_array_unref);
    g_clear_error (&error);
    recorded = read_flv (path, &error);
    if (recorded != NULL
        && count_tags (recorded, RTMP_FLV_TAG_VIDEO) >= MEDIA_VIDEO_TAGS
        && count_tags (recorded, RTMP_FLV_TAG_AUDIO) >= MEDIA_AUDIO_TAGS)
      break;
    fail_unless (g_get_monotonic_time () < deadline,
        "nginx did not record all tags in %s: %s", path,
        error ? error->message : "some are missing");
    g_usleep (50 * 1000);
  }
  check_same_tags (tags, recorded, RTMP_FLV_TAG_VIDEO);
  check_same_tags (tags, recorded, RTMP_FLV_TAG_AUDIO);

  fail_unless (rtmp_external_ffprobe (path, 0, 30000, &probe, &error), "%s",
      error ? error->message : "");
  fail_unless_equals_int (probe.n_video_packets, 120);
  fail_unless_equals_int (probe.n_video_key_packets, 4);
  fail_unless_equals_int (probe.n_audio_packets, 174);
}

GST_END_TEST;

/* Publishing to an application nginx does not have fails at connect, and
 * says so. */
GST_START_TEST (test_publish_wrong_application)
{
  g_autoptr (RtmpExternalNginx) nginx = start_nginx (NULL);
  guint16 port = rtmp_external_nginx_get_port (nginx);
  g_autofree gchar *log = NULL;
  Conn *publisher;
  Conn *conns[1];

  publisher = conn_new ("publisher", port, RTMP_HANDSHAKE_DIGEST, "nosuchapp",
      RTMP_SESSION_INTENT_PUBLISH, "test", 0);
  conns[0] = publisher;
  fail_unless (conn_wait (publisher, conns, 1, has_failed, NULL, WAIT_MS),
      "publishing to application nosuchapp did not fail");
  GST_INFO ("error: %s", publisher->error->message);
  /* nginx-rtmp answers connect to an unknown application by closing the
   * connection, without _error: the session must say that the server
   * closed it, before connect was answered */
  fail_unless (
      g_error_matches (publisher->error, RTMP_ERROR, RTMP_ERROR_CLOSED), "%s",
      publisher->error->message);
  fail_unless (strstr (publisher->error->message, "closed") != NULL, "%s",
      publisher->error->message);
  fail_unless (
      !has_event (publisher, GINT_TO_POINTER (RTMP_SESSION_EVENT_CONNECTED)));
  fail_if (rtmp_session_is_publishing (publisher->session));

  log = rtmp_external_nginx_dup_error_log (nginx);
  fail_unless (strstr (log, "application not found") != NULL,
      "nginx's error log does not say why: %s", log);
  conn_free (publisher);
}

GST_END_TEST;

/* rtmp_external_nginx_restart () stops nginx and starts it on the same
 * port: a connection open across it is closed, a new one works. */
GST_START_TEST (test_nginx_restart)
{
  g_autoptr (RtmpExternalNginx) nginx = start_nginx (NULL);
  guint16 port = rtmp_external_nginx_get_port (nginx);
  GPid first_pid = rtmp_external_nginx_get_pid (nginx);
  GError *error = NULL;
  Conn *player;
  Conn *conns[1];

  player = conn_new ("player", port, RTMP_HANDSHAKE_DIGEST, "live",
      RTMP_SESSION_INTENT_PLAY, "test", 1000);
  conns[0] = player;
  conn_wait_or_fail (player, conns, 1, has_event,
      GINT_TO_POINTER (RTMP_SESSION_EVENT_PLAYING), "NetStream.Play.Start");

  fail_unless (rtmp_external_nginx_restart (nginx, &error), "%s",
      error ? error->message : "");
  fail_unless_equals_int (rtmp_external_nginx_get_port (nginx), port);
  fail_unless (rtmp_external_nginx_get_pid (nginx) != 0);
  fail_unless (rtmp_external_nginx_get_pid (nginx) != first_pid);

  fail_unless (conn_wait (player, conns, 1, has_failed, NULL, WAIT_MS),
      "the player's connection survived the restart");
  fail_unless (g_error_matches (player->error, RTMP_ERROR, RTMP_ERROR_CLOSED),
      "%s", player->error->message);
  conn_free (player);

  player = conn_new ("player again", port, RTMP_HANDSHAKE_DIGEST, "live",
      RTMP_SESSION_INTENT_PLAY, "test", 1000);
  conns[0] = player;
  conn_wait_or_fail (player, conns, 1, has_event,
      GINT_TO_POINTER (RTMP_SESSION_EVENT_PLAYING), "NetStream.Play.Start");
  conn_free (player);
}

GST_END_TEST;

/* A config nginx refuses: the error quotes nginx's own complaint. */
GST_START_TEST (test_nginx_bad_config_is_reported)
{
  RtmpExternalNginxConfig config;
  g_autofree gchar *nginx_path = NULL;
  RtmpExternalNginx *nginx;
  GError *error = NULL;

  nginx_path = rtmp_external_require_program ("nginx", "nginx");
  rtmp_external_nginx_config_init (&config);
  config.live_directives = "no_such_directive on;";
  nginx = rtmp_external_nginx_start (&config, &error);
  fail_unless (nginx == NULL);
  GST_INFO ("error: %s", error->message);
  fail_unless (g_error_matches (error, RTMP_EXTERNAL_ERROR,
      RTMP_EXTERNAL_ERROR_NOT_READY));
  fail_unless (strstr (error->message, "unknown directive") != NULL, "%s",
      error->message);
  fail_unless (strstr (error->message, "no_such_directive") != NULL, "%s",
      error->message);
  g_error_free (error);
}

GST_END_TEST;

/* FFmpeg publishes the file over RTMPS through stunnel in front of nginx
 * while the protocol layer plays it over plain RTMP, and ffprobe reads it
 * live and counts the file's packets: the external peer helpers end to
 * end. */
GST_START_TEST (test_ffmpeg_rtmps_through_stunnel)
{
  g_autoptr (RtmpExternalNginx) nginx = NULL;
  g_autoptr (RtmpExternalProcess) stunnel = NULL;
  g_autoptr (RtmpExternalProcess) ffmpeg = NULL;
  g_autofree gchar *ffmpeg_path = NULL;
  g_autofree gchar *ffprobe_path = NULL;
  g_autofree gchar *stunnel_path = NULL;
  g_autofree gchar *openssl_path = NULL;
  g_autofree gchar *dir = NULL;
  g_autofree gchar *cert = NULL;
  g_autofree gchar *key = NULL;
  g_autofree gchar *url = NULL;
  g_autofree gchar *live_url = NULL;
  RtmpExternalProbe probe;
  GError *error = NULL;
  guint16 tls_port;
  gint64 deadline;
  Conn *player;
  Conn *conns[1];

  ffmpeg_path = rtmp_external_require_program ("ffmpeg", "ffmpeg");
  ffprobe_path = rtmp_external_require_program ("ffprobe", "ffmpeg");
  stunnel_path = rtmp_external_require_program ("stunnel4", "stunnel4");
  openssl_path = rtmp_external_require_program ("openssl", "openssl");
  nginx = start_nginx (NULL);

  dir = rtmp_external_make_temp_dir ("certificate", &error);
  fail_unless (dir != NULL, "%s", error ? error->message : "");
  fail_unless (rtmp_external_make_certificate (dir, &cert, &key, &error), "%s",
      error ? error->message : "");
  tls_port = rtmp_external_pick_port (&error);
  fail_unless (tls_port != 0, "%s", error ? error->message : "");
  stunnel = rtmp_external_stunnel_start (cert, key, tls_port,
      rtmp_external_nginx_get_port (nginx), &error);
  fail_unless (stunnel != NULL, "%s", error ? error->message : "");

  player = conn_new ("player", rtmp_external_nginx_get_port (nginx),
      RTMP_HANDSHAKE_DIGEST, "live", RTMP_SESSION_INTENT_PLAY, "tls", 1000);
  conns[0] = player;
  conn_wait_or_fail (player, conns, 1, has_event,
      GINT_TO_POINTER (RTMP_SESSION_EVENT_PLAYING), "NetStream.Play.Start");

  url = g_strdup_printf ("rtmps://127.0.0.1:%u/live/tls", tls_port);
  {
    const gchar *argv[] = { ffmpeg_path, "-nostdin", "-loglevel", "error",
      "-re", "-i", MEDIA_FILE, "-c", "copy", "-f", "flv", url, NULL };

    ffmpeg = rtmp_external_process_start (argv, &error);
    fail_unless (ffmpeg != NULL, "%s", error ? error->message : "");
  }
  /* once the stream flows, ffprobe reads 2.5 s of it live over plain RTMP
   * (the player's socket buffers what nginx relays meanwhile); joining
   * mid-stream, it shows video from the next keyframe (one a second) */
  conn_wait_or_fail (player, conns, 1, has_video, NULL, "video");
  live_url = rtmp_external_nginx_dup_url (nginx, "live", "tls");
  fail_unless (rtmp_external_ffprobe (live_url, 2.5, 20000, &probe, &error),
      "%s", error ? error->message : "");
  GST_INFO ("ffprobe %s: %u video, %u audio packets, pts %f to %f", live_url,
      probe.n_video_packets, probe.n_audio_packets, probe.first_pts_s,
      probe.last_pts_s);
  fail_unless (probe.n_video_packets >= 15, "%u", probe.n_video_packets);
  fail_unless (probe.n_video_key_packets >= 1);
  fail_unless (probe.n_audio_packets >= 30, "%u", probe.n_audio_packets);
  fail_unless (probe.has_pts);
  fail_unless (probe.last_pts_s - probe.first_pts_s >= 1.5, "%f to %f",
      probe.first_pts_s, probe.last_pts_s);

  /* the player is read while ffmpeg publishes in real time */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (rtmp_external_process_is_running (ffmpeg)
      && g_get_monotonic_time () < deadline && conn_is_active (player))
    pump (conns, 1, PUMP_SLICE_MS);
  fail_unless (rtmp_external_process_wait_success (ffmpeg, 1000, &error), "%s",
      error ? error->message : "");
  conn_wait_or_fail (player, conns, 1, has_stream_end, NULL,
      "NetStream.Play.UnpublishNotify or Stream EOF");
  fail_unless (player->error == NULL);
  /* ffmpeg remuxes: same frames, maybe other sequence header tags */
  fail_unless (count_media (player, RTMP_MESSAGE_VIDEO) >= 120,
      "%u video messages", count_media (player, RTMP_MESSAGE_VIDEO));
  fail_unless (count_media (player, RTMP_MESSAGE_AUDIO) >= 174,
      "%u audio messages", count_media (player, RTMP_MESSAGE_AUDIO));
  conn_free (player);

  /* what tests/files/README.md says of the file */
  fail_unless (rtmp_external_ffprobe (MEDIA_FILE, 0, 30000, &probe, &error),
      "%s", error ? error->message : "");
  fail_unless_equals_int (probe.n_streams, 2);
  fail_unless_equals_int (probe.n_video_packets, 120);
  fail_unless_equals_int (probe.n_video_key_packets, 4);
  fail_unless_equals_int (probe.n_audio_packets, 174);
  fail_unless_equals_string (probe.streams[0].codec_type, "video");
  fail_unless_equals_string (probe.streams[1].codec_type, "audio");
  fail_unless (probe.has_pts);
  fail_unless (probe.first_pts_s >= 0 && probe.first_pts_s < 0.1, "%f",
      probe.first_pts_s);
  fail_unless (probe.last_pts_s > 3.9 && probe.last_pts_s < 4.1, "%f",
      probe.last_pts_s);

  /* stunnel logged the TLS connection it forwarded */
  rtmp_external_process_stop (stunnel, 3000);
  {
    g_autofree gchar *log = rtmp_external_process_dup_stderr (stunnel);

    fail_unless (strstr (log, "accepted connection") != NULL,
        "stunnel's log: %s", log);
  }
  rtmp_external_remove_tree (dir);
}

GST_END_TEST;

/* @text (transfer full) on one line: the child's verdict lines must not
 * look like this program's own to whoever reads our output */
static gchar *
one_line (gchar *text)
{
  g_strdelimit (g_strstrip (text), "\n", '|');
  return text;
}

/* Without nginx the tests fail, naming the package: run this very test
 * program with an empty program path and look at its verdict. */
GST_START_TEST (test_missing_nginx_fails)
{
  g_autofree gchar *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree gchar *dir = rtmp_external_make_temp_dir ("no-programs", NULL);
  g_autofree gchar *path_env = NULL;
  g_autofree gchar *registry_env = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  g_autofree gchar *registry = NULL;
  g_autoptr (RtmpExternalProcess) child = NULL;
  const gchar *argv[] = { self, NULL };
  const gchar *env[] = { NULL, NULL, "GST_CHECKS=test_live_publish_play",
    "CK_VERBOSITY=verbose", NULL };
  RtmpExternalSpawnOptions options = {
    .argv = argv,
    .env = env,
  };
  GError *error = NULL;

  fail_unless (self != NULL && dir != NULL);
  registry = g_build_filename (dir, "registry.bin", NULL);
  path_env = g_strconcat ("RTMP_TEST_PROGRAM_PATH=", dir, NULL);
  registry_env = g_strconcat ("GST_REGISTRY=", registry, NULL);
  env[0] = path_env;
  env[1] = registry_env;

  child = rtmp_external_process_start_full (&options, &error);
  fail_unless (child != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (rtmp_external_process_wait (child, 60000),
      RTMP_EXTERNAL_STATUS_EXITED);
  out = one_line (rtmp_external_process_dup_stdout (child));
  err = one_line (rtmp_external_process_dup_stderr (child));
  GST_INFO ("without nginx: exit %d, stdout: %s, stderr: %s",
      rtmp_external_process_get_exit_code (child), out, err);
  fail_unless (rtmp_external_process_get_exit_code (child) != 0,
      "the tests passed without nginx: %s", out);
  /* every iteration of the test failed, none was skipped or errored */
  fail_unless (strstr (out, "Checks: 4, Failures: 4, Errors: 0") != NULL, "%s",
      out);
  fail_unless (strstr (out, "nginx is not installed") != NULL, "%s", out);
  fail_unless (strstr (out, "apt-get install nginx") != NULL, "%s", out);

  rtmp_external_remove_tree (dir);
}

GST_END_TEST;

static Suite *
integration_suite (void)
{
  Suite *s = suite_create ("integration");
  TCase *tc = tcase_create ("protocol-nginx");

  GST_DEBUG_CATEGORY_INIT (integration_debug, "rtmpintegration", 0,
      "protocol layer against nginx-rtmp");
  suite_add_tcase (s, tc);
  /* real time publishing and peers starting: more than check's default,
   * also when the program is run by hand without CK_DEFAULT_TIMEOUT */
  tcase_set_timeout (tc, 120);
  tcase_add_loop_test (tc, test_live_publish_play, 0,
      G_N_ELEMENTS (live_cases));
  tcase_add_test (tc, test_vod_play);
  tcase_add_test (tc, test_record);
  tcase_add_test (tc, test_publish_wrong_application);
  tcase_add_test (tc, test_nginx_restart);
  tcase_add_test (tc, test_nginx_bad_config_is_reported);
  tcase_add_test (tc, test_ffmpeg_rtmps_through_stunnel);
  tcase_add_test (tc, test_missing_nginx_fails);
  return s;
}

GST_CHECK_MAIN (integration);
