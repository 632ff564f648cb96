/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of rtmpsrc against scripted RTMP servers on loopback: live and
 * recorded play, every ending, stalls, errors, seeks, pauses, reconnects,
 * the FLV it outputs (header flags, streamheader, timestamps, AMF3 data,
 * aggregates, Enhanced RTMP) and the elements that pick it (playbin). */

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/base/gstbasesrc.h>
#include <gio/gio.h>
#include <string.h>

#include "config.h"
#include "rtmpamf0.h"
#include "rtmpamf3.h"
#include "rtmpcommand.h"
#include "rtmpflv.h"
#include "rtmpsession.h"
#include "rtmptestpeer.h"
#include "rtmptestutil.h"

/* Every wait of the tests and of the scripted servers is bounded by this */
#define WAIT_MS 10000

/* --- a scripted RTMP server ---
 *
 * One thread accepts connections on 127.0.0.1 and runs a script function
 * for each, one after the other, on a blocking socket: the script drives a
 * server-role RtmpSession (peer_* helpers) or writes raw bytes. Everything
 * the test wants to check afterwards is recorded under server->lock. */

typedef struct _Server Server;
typedef struct _Peer Peer;

typedef void (*ScriptFunc) (Peer *peer, guint index, gpointer data);

struct _Peer
{
  Server *server;
  GSocket *socket;
  RtmpSession *session;
  GQueue events; /* RtmpSessionEvent *, owned */
  guint32 stream_id;
  gboolean is_closed;
};

struct _Server
{
  GSocket *listener;
  guint16 port;
  GThread *thread;
  GCancellable *cancellable;
  ScriptFunc script;
  gpointer data;
  guint max_peers;

  GMutex lock;
  GCond cond;
  guint n_peers;
  gdouble play_start_ms;
  gdouble play_duration_ms;
  GArray *seeks;  /* gdouble, ms */
  GArray *pauses; /* gboolean */
  gboolean client_closed;
  guint triggers;     /* the test's go-aheads for scripts */
  guint64 stalled_at; /* bytes a script wrote before the client stopped */
};

static guint8 server_random[RTMP_SESSION_RANDOM_SIZE];

static void
server_record_closed (Server *server)
{
  g_mutex_lock (&server->lock);
  server->client_closed = TRUE;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
}

static gboolean
peer_write (Peer *peer, const guint8 *data, gsize len)
{
  while (len > 0) {
    GError *error = NULL;
    gssize n = g_socket_send (peer->socket, (const gchar *) data, len,
        peer->server->cancellable, &error);

    if (n <= 0) {
      g_clear_error (&error);
      peer->is_closed = TRUE;
      return FALSE;
    }
    data += n;
    len -= n;
  }
  return TRUE;
}

/* Writes what the session queued */
static gboolean
peer_flush (Peer *peer)
{
  RtmpOutputVector vectors[32];
  guint n, i;

  while ((n = rtmp_session_peek_output (peer->session, vectors, 32)) > 0) {
    gsize total = 0;

    for (i = 0; i < n; i++) {
      if (!peer_write (peer, vectors[i].data, vectors[i].len))
        return FALSE;
      total += vectors[i].len;
    }
    rtmp_session_consume_output (peer->session, total);
  }
  return TRUE;
}

/* Reads once (at most @timeout_ms), feeds the session, answers what it
 * answers by itself. FALSE on timeout or when the connection is over. */
static gboolean
peer_pump (Peer *peer, gint64 timeout_ms, gboolean feed)
{
  guint8 data[65536];
  GError *error = NULL;
  RtmpSessionEvent event;
  gssize n;

  if (peer->is_closed)
    return FALSE;
  if (!g_socket_condition_timed_wait (peer->socket, G_IO_IN,
          MAX (timeout_ms, 0) * 1000, peer->server->cancellable, &error)) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
      peer->is_closed = TRUE;
    g_error_free (error);
    return FALSE;
  }
  n = g_socket_receive (peer->socket, (gchar *) data, sizeof (data),
      peer->server->cancellable, &error);
  if (n <= 0) {
    g_clear_error (&error);
    peer->is_closed = TRUE;
    server_record_closed (peer->server);
    return FALSE;
  }
  if (!feed)
    return TRUE;
  if (!rtmp_session_receive (peer->session, data, n, g_get_monotonic_time (),
          &error)) {
    GST_INFO ("server session: %s", error->message);
    g_error_free (error);
    peer->is_closed = TRUE;
    return FALSE;
  }
  while (rtmp_session_next_event (peer->session, &event)) {
    RtmpSessionEvent *copy = g_memdup2 (&event, sizeof (event));

    g_mutex_lock (&peer->server->lock);
    if (event.type == RTMP_SESSION_EVENT_SEEK_REQUEST)
      g_array_append_val (peer->server->seeks, event.position_ms);
    if (event.type == RTMP_SESSION_EVENT_PAUSE_REQUEST)
      g_array_append_val (peer->server->pauses, event.pause);
    g_cond_broadcast (&peer->server->cond);
    g_mutex_unlock (&peer->server->lock);
    g_queue_push_tail (&peer->events, copy);
  }
  return peer_flush (peer);
}

/* The next session event (clear it), waiting at most @timeout_ms */
static gboolean
peer_next_event (Peer *peer, RtmpSessionEvent *event, gint64 timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * 1000;
  RtmpSessionEvent *head;

  while (g_queue_is_empty (&peer->events)) {
    if (!peer_pump (peer, (end - g_get_monotonic_time ()) / 1000, TRUE)
        && (peer->is_closed || g_get_monotonic_time () >= end))
      return FALSE;
  }
  head = g_queue_pop_head (&peer->events);
  *event = *head;
  g_free (head);
  return TRUE;
}

/* Until an event of @type (handed out, to be cleared); connect is
 * accepted on the way unless @type asks for it */
static gboolean
peer_wait_event (Peer *peer, RtmpSessionEventType type, RtmpSessionEvent *out)
{
  RtmpSessionEvent event;

  while (peer_next_event (peer, &event, WAIT_MS)) {
    if (event.type == type) {
      *out = event;
      return TRUE;
    }
    if (event.type == RTMP_SESSION_EVENT_CONNECT_REQUEST) {
      rtmp_session_accept_connect (peer->session, NULL,
          g_get_monotonic_time ());
      peer_flush (peer);
    }
    rtmp_session_event_clear (&event);
  }
  return FALSE;
}

/* Connect accepted, play requested: the play is answered (@recorded sends
 * Stream Is Recorded) unless @answer is FALSE */
static gboolean
peer_start_play (Peer *peer, gboolean answer, gboolean recorded)
{
  RtmpSessionEvent event;

  if (!peer_wait_event (peer, RTMP_SESSION_EVENT_PLAY_REQUEST, &event))
    return FALSE;
  peer->stream_id = event.stream_id;
  g_mutex_lock (&peer->server->lock);
  peer->server->play_start_ms = event.start_ms;
  peer->server->play_duration_ms = event.duration_ms;
  g_mutex_unlock (&peer->server->lock);
  rtmp_session_event_clear (&event);
  if (answer) {
    rtmp_session_accept_play (peer->session, peer->stream_id, recorded);
    return peer_flush (peer);
  }
  return TRUE;
}

static void
peer_drop_events (Peer *peer)
{
  while (!g_queue_is_empty (&peer->events)) {
    RtmpSessionEvent *event = g_queue_pop_head (&peer->events);

    rtmp_session_event_clear (event);
    g_free (event);
  }
}

/* Keeps answering (or only reading, without @feed) until the client
 * closes */
static void
peer_wait_closed (Peer *peer, gboolean feed)
{
  gint64 end = g_get_monotonic_time () + 3 * WAIT_MS * 1000;

  while (!peer->is_closed && g_get_monotonic_time () < end) {
    peer_pump (peer, 100, feed);
    peer_drop_events (peer);
  }
}

static gboolean
peer_send_media (Peer *peer, guint8 type, guint32 timestamp, const guint8 *data,
    gsize len)
{
  g_autoptr (GBytes) payload = g_bytes_new (data, len);

  rtmp_session_send_media (peer->session, peer->stream_id, type, timestamp,
      payload);
  return peer_flush (peer);
}

static gboolean
peer_send_bytes (Peer *peer, guint8 type, guint32 timestamp, GBytes *payload)
{
  rtmp_session_send_media (peer->session, peer->stream_id, type, timestamp,
      payload);
  return peer_flush (peer);
}

static gboolean
peer_send_status (Peer *peer, const gchar *level, const gchar *code)
{
  rtmp_session_send_status (peer->session, peer->stream_id, level, code,
      "scripted status");
  return peer_flush (peer);
}

static gboolean
peer_send_control (Peer *peer, RtmpUserControlType type)
{
  RtmpUserControl control = { type, peer->stream_id, 0 };

  rtmp_session_send_user_control (peer->session, &control);
  return peer_flush (peer);
}

/* onPlayStatus {level status, code} as a data message, as FMS and nginx-rtmp
 * end a recorded stream */
static gboolean
peer_send_play_status (Peer *peer, const gchar *code)
{
  RtmpAmfValue *values[2];
  g_autoptr (GBytes) payload = NULL;

  values[0] = rtmp_amf_value_new_string ("onPlayStatus");
  values[1] = rtmp_amf_value_new_object ();
  rtmp_amf_value_set_string_field (values[1], "level", "status");
  rtmp_amf_value_set_string_field (values[1], "code", code);
  payload = rtmp_data_serialize ((const RtmpAmfValue *const *) values, 2);
  rtmp_amf_value_free (values[0]);
  rtmp_amf_value_free (values[1]);
  return peer_send_bytes (peer, RTMP_MESSAGE_DATA_AMF0, 0, payload);
}

static void
peer_free (Peer *peer)
{
  g_socket_close (peer->socket, NULL);
  g_object_unref (peer->socket);
  g_clear_pointer (&peer->session, rtmp_session_free);
  peer_drop_events (peer);
  g_free (peer);
}

static gpointer
server_thread (gpointer data)
{
  Server *server = data;
  guint i;

  for (i = 0; i < server->max_peers; i++) {
    GSocket *socket
        = g_socket_accept (server->listener, server->cancellable, NULL);
    RtmpSessionConfig config;
    Peer *peer;

    if (socket == NULL)
      break;
    g_socket_set_blocking (socket, TRUE);
    g_socket_set_timeout (socket, 3 * WAIT_MS / 1000);
    peer = g_new0 (Peer, 1);
    peer->server = server;
    peer->socket = socket;
    g_queue_init (&peer->events);
    rtmp_session_config_init (&config, RTMP_SESSION_ROLE_SERVER);
    config.random = server_random;
    config.now_us = g_get_monotonic_time ();
    config.chunk_size = 4096;
    peer->session = rtmp_session_new (&config);

    g_mutex_lock (&server->lock);
    server->n_peers++;
    server->client_closed = FALSE;
    g_cond_broadcast (&server->cond);
    g_mutex_unlock (&server->lock);

    server->script (peer, i, server->data);
    peer_free (peer);
  }
  return NULL;
}

static Server *
server_new (ScriptFunc script, gpointer data, guint max_peers)
{
  Server *server = g_new0 (Server, 1);
  g_autoptr (GInetAddress) loopback
      = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  guint i;

  for (i = 0; i < sizeof (server_random); i++)
    server_random[i] = (guint8) (i * 7 + 3);
  g_mutex_init (&server->lock);
  g_cond_init (&server->cond);
  server->seeks = g_array_new (FALSE, FALSE, sizeof (gdouble));
  server->pauses = g_array_new (FALSE, FALSE, sizeof (gboolean));
  server->script = script;
  server->data = data;
  server->max_peers = max_peers;
  server->cancellable = g_cancellable_new ();
  server->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  fail_unless (server->listener != NULL);
  fail_unless (g_socket_bind (server->listener, address, TRUE, NULL));
  fail_unless (g_socket_listen (server->listener, NULL));
  bound = g_socket_get_local_address (server->listener, NULL);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  server->thread = g_thread_new ("rtmp-test-server", server_thread, server);
  return server;
}

static void
server_free (Server *server)
{
  g_cancellable_cancel (server->cancellable);
  g_thread_join (server->thread);
  g_socket_close (server->listener, NULL);
  g_object_unref (server->listener);
  g_object_unref (server->cancellable);
  g_array_unref (server->seeks);
  g_array_unref (server->pauses);
  g_cond_clear (&server->cond);
  g_mutex_clear (&server->lock);
  g_free (server);
}

/* Waits until the server recorded @n seeks / pauses */
static gboolean
server_wait_requests (Server *server, GArray *array, guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT_MS * 1000;
  gboolean ok;

  g_mutex_lock (&server->lock);
  while (array->len < n && g_get_monotonic_time () < end)
    g_cond_wait_until (&server->cond, &server->lock, end);
  ok = array->len >= n;
  g_mutex_unlock (&server->lock);
  return ok;
}

/* The test lets a script go on */
static void
server_trigger (Server *server)
{
  g_mutex_lock (&server->lock);
  server->triggers++;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
}

/* Answers the client until @condition holds (read under the lock) */
static gboolean
peer_pump_until (Peer *peer, gboolean (*condition) (Server *, guint), guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT_MS * 1000;

  for (;;) {
    gboolean done;

    g_mutex_lock (&peer->server->lock);
    done = condition (peer->server, n);
    g_mutex_unlock (&peer->server->lock);
    if (done)
      return TRUE;
    if (peer->is_closed || g_get_monotonic_time () >= end)
      return FALSE;
    peer_pump (peer, 50, TRUE);
    /* the events were recorded; nothing else is wanted from them */
    peer_drop_events (peer);
  }
}

static gboolean
have_triggers (Server *server, guint n)
{
  return server->triggers >= n;
}

static gboolean
have_pauses (Server *server, guint n)
{
  return server->pauses->len >= n;
}

/* --- media the scripts send --- */

/* an AVCDecoderConfigurationRecord for a 64x64 stream, in an AVC sequence
 * header tag body */
static const guint8 avc_sequence_header[] = { 0x17, 0x00, 0x00, 0x00, 0x00,
  0x01, 0x64, 0x00, 0x0a, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x0a, 0x01,
  0x00, 0x04, 0x68, 0xee, 0x3c, 0x80 };
/* AudioSpecificConfig: AAC LC, 44.1 kHz, stereo */
static const guint8 aac_sequence_header[] = { 0xaf, 0x00, 0x12, 0x10 };

static void
send_video_frame (Peer *peer, guint32 ts, gboolean key, gint32 cts)
{
  guint8 body[]
      = { key ? 0x17 : 0x27, 0x01, (cts >> 16) & 0xff, (cts >> 8) & 0xff,
          cts & 0xff, 0x00, 0x00, 0x00, 0x02, key ? 0x65 : 0x41, 0x88 };

  peer_send_media (peer, RTMP_MESSAGE_VIDEO, ts, body, sizeof (body));
}

static void
send_audio_frame (Peer *peer, guint32 ts)
{
  static const guint8 body[] = { 0xaf, 0x01, 0x21, 0x10, 0x04, 0x60 };

  peer_send_media (peer, RTMP_MESSAGE_AUDIO, ts, body, sizeof (body));
}

/* onMetaData as an FLV script body: duration, and hasAudio/hasVideo with
 * the codec ids (when @flags say), after "@setDataFrame" when asked */
static GBytes *
make_metadata (gdouble duration, gboolean set_data_frame, gboolean say_audio,
    gboolean say_video)
{
  RtmpAmfValue *values[3];
  guint n = 0, i;
  GBytes *bytes;
  RtmpAmfValue *array = rtmp_amf_value_new_ecma_array ();

  if (set_data_frame)
    values[n++] = rtmp_amf_value_new_string ("@setDataFrame");
  values[n++] = rtmp_amf_value_new_string ("onMetaData");
  rtmp_amf_value_set_number_field (array, "duration", duration);
  rtmp_amf_value_set_boolean_field (array, "hasAudio", say_audio);
  rtmp_amf_value_set_boolean_field (array, "hasVideo", say_video);
  if (say_audio)
    rtmp_amf_value_set_number_field (array, "audiocodecid", 10);
  if (say_video)
    rtmp_amf_value_set_number_field (array, "videocodecid", 7);
  values[n++] = array;
  bytes = rtmp_data_serialize ((const RtmpAmfValue *const *) values, n);
  for (i = 0; i < n; i++)
    rtmp_amf_value_free (values[i]);
  return bytes;
}

/* Metadata, both sequence headers and @n_frames video frames (25 fps, a
 * keyframe every 10) each followed by an audio frame, from @first_ts */
static void
send_av_stream (Peer *peer, guint32 first_ts, guint n_frames, gdouble duration,
    gboolean with_metadata)
{
  guint i;

  if (with_metadata) {
    g_autoptr (GBytes) metadata = make_metadata (duration, TRUE, TRUE, TRUE);

    peer_send_bytes (peer, RTMP_MESSAGE_DATA_AMF0, first_ts, metadata);
  }
  peer_send_media (peer, RTMP_MESSAGE_VIDEO, first_ts, avc_sequence_header,
      sizeof (avc_sequence_header));
  peer_send_media (peer, RTMP_MESSAGE_AUDIO, first_ts, aac_sequence_header,
      sizeof (aac_sequence_header));
  for (i = 0; i < n_frames; i++) {
    send_video_frame (peer, first_ts + i * 40, i % 10 == 0, 0);
    send_audio_frame (peer, first_ts + i * 40 + 20);
  }
}

/* --- the player: rtmpsrc ! appsink --- */

typedef struct _Player Player;
static GstMessage *player_expect_one_error (Player *player);

struct _Player
{
  GstElement *pipeline;
  GstElement *src;
  GstElement *sink;
  GstBus *bus;
  /* monotonic times, recorded as the messages are posted */
  gint64 phase_start_us; /* the last rtmp-state before an error */
  gint64 error_us;       /* the first error */
};

/* Runs in the posting thread: when the stalled phase started and when
 * the error came, to check a stall's error against the timeout */
static GstBusSyncReply
record_times (GstBus *bus, GstMessage *message, gpointer data)
{
  Player *player = data;

  if (player->error_us != 0)
    return GST_BUS_PASS;
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    player->error_us = g_get_monotonic_time ();
  else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
      && gst_message_has_name (message, "rtmp-state")
      && g_strcmp0 (gst_structure_get_string (
                        gst_message_get_structure (message), "state"),
             "stopped")
          != 0)
    player->phase_start_us = g_get_monotonic_time ();
  return GST_BUS_PASS;
}

static void
player_init (Player *player, Server *server, const gchar *props)
{
  g_autofree gchar *location = g_strdup_printf (
      "rtmp://127.0.0.1:%u/live/stream1", server ? server->port : 1);

  player->pipeline = gst_pipeline_new (NULL);
  player->src = rtmp_test_make_element ("rtmpsrc", "src");
  player->sink = gst_element_factory_make ("appsink", "sink");
  fail_unless (player->sink != NULL);
  g_object_set (player->sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (player->pipeline), player->src, player->sink,
      NULL);
  fail_unless (gst_element_link (player->src, player->sink));
  g_object_set (player->src, "location", location, "timeout", 2, NULL);
  if (props != NULL) {
    g_auto (GStrv) pairs = g_strsplit (props, " ", -1);
    guint i;

    for (i = 0; pairs[i] != NULL; i++) {
      g_auto (GStrv) kv = g_strsplit (pairs[i], "=", 2);

      if (kv[0] == NULL || kv[1] == NULL)
        continue;
      gst_util_set_object_arg (G_OBJECT (player->src), kv[0], kv[1]);
    }
  }
  player->bus = gst_element_get_bus (player->pipeline);
  player->phase_start_us = player->error_us = 0;
  gst_bus_set_sync_handler (player->bus, record_times, player, NULL);
}

static void
player_clear (Player *player)
{
  fail_unless_equals_int (
      gst_element_set_state (player->pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (player->bus);
  gst_object_unref (player->pipeline);
}

/* The next buffer, or NULL at EOS (or after WAIT_MS) */
static GstBuffer *
player_pull (Player *player, GstCaps **caps)
{
  GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (player->sink),
      WAIT_MS * GST_MSECOND);
  GstBuffer *buffer;

  if (sample == NULL)
    return NULL;
  buffer = gst_buffer_ref (gst_sample_get_buffer (sample));
  if (caps)
    gst_caps_replace (caps, gst_sample_get_caps (sample));
  gst_sample_unref (sample);
  return buffer;
}

/* The buffers pushed before an error (no EOS follows one) */
static GPtrArray *
player_pull_until_error (Player *player, GstMessage **error)
{
  GPtrArray *buffers
      = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  GstSample *sample;

  *error = player_expect_one_error (player);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (player->sink),
              500 * GST_MSECOND))) {
    g_ptr_array_add (buffers, gst_buffer_ref (gst_sample_get_buffer (sample)));
    gst_sample_unref (sample);
  }
  return buffers;
}

/* Every buffer up to EOS */
static GPtrArray *
player_pull_all (Player *player, GstCaps **caps)
{
  GPtrArray *buffers
      = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  GstBuffer *buffer;

  while ((buffer = player_pull (player, caps)) != NULL)
    g_ptr_array_add (buffers, buffer);
  return buffers;
}

static GstMessage *
player_wait (Player *player, GstMessageType types)
{
  return gst_bus_timed_pop_filtered (player->bus, WAIT_MS * GST_MSECOND, types);
}

/* The error message (the first), failing unless exactly one was posted */
static GstMessage *
player_expect_one_error (Player *player)
{
  GstMessage *error = player_wait (player, GST_MESSAGE_ERROR);
  GstMessage *more;

  fail_unless (error != NULL, "no error message");
  /* anything else that may follow has had time to be posted */
  more = gst_bus_timed_pop_filtered (player->bus, 300 * GST_MSECOND,
      GST_MESSAGE_ERROR);
  if (more != NULL) {
    g_autoptr (GError) e = NULL;

    gst_message_parse_error (more, &e, NULL);
    fail ("a second error message: %s", e->message);
  }
  return error;
}

static void
check_error (GstMessage *message, GQuark domain, gint code,
    const gchar *in_text)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *debug = NULL;

  gst_message_parse_error (message, &error, &debug);
  GST_INFO ("error: %s (%s)", error->message, debug);
  fail_unless (error->domain == domain && error->code == code,
      "error %s %d \"%s\", expected %s %d", g_quark_to_string (error->domain),
      error->code, error->message, g_quark_to_string (domain), code);
  if (in_text != NULL)
    fail_unless (strstr (error->message, in_text) != NULL
            || (debug != NULL && strstr (debug, in_text) != NULL),
        "\"%s\" not in \"%s\" / \"%s\"", in_text, error->message, debug);
}

static void
assert_no_error (Player *player)
{
  GstMessage *error = gst_bus_pop_filtered (player->bus, GST_MESSAGE_ERROR);

  if (error != NULL) {
    g_autoptr (GError) e = NULL;
    g_autofree gchar *debug = NULL;

    gst_message_parse_error (error, &e, &debug);
    fail ("unexpected error: %s (%s)", e->message, debug);
  }
}

/* The output parsed back into FLV tags (header checked) */
typedef struct
{
  guint8 header_flags;
  GPtrArray *tags; /* RtmpFlvTag * */
} Flv;

static void
flv_parse (Flv *flv, GPtrArray *buffers)
{
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  GByteArray *all = g_byte_array_new ();
  g_autoptr (GBytes) bytes = NULL;
  RtmpFlvHeader header;
  gsize offset = 0;
  guint i;

  for (i = 0; i < buffers->len; i++) {
    GstMapInfo map;

    gst_buffer_map (buffers->pdata[i], &map, GST_MAP_READ);
    g_byte_array_append (all, map.data, map.size);
    gst_buffer_unmap (buffers->pdata[i], &map);
  }
  bytes = g_byte_array_free_to_bytes (all);
  flv->tags
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_flv_tag_free);
  while (offset < g_bytes_get_size (bytes)) {
    g_autoptr (GError) error = NULL;
    RtmpFlvTag *tag = NULL;
    gsize consumed = 0;
    RtmpReadResult result
        = rtmp_flv_reader_read (reader, bytes, offset, &consumed, &tag, &error);

    fail_unless (result != RTMP_READ_ERROR, "bad FLV output: %s",
        error ? error->message : "");
    fail_unless (result == RTMP_READ_OK, "FLV output ends mid-tag");
    offset += consumed;
    g_ptr_array_add (flv->tags, tag);
  }
  fail_unless (rtmp_flv_reader_get_header (reader, &header),
      "no FLV header in the output");
  flv->header_flags = header.flags;
}

static void
flv_clear (Flv *flv)
{
  g_ptr_array_unref (flv->tags);
}

static guint
count_tags (Flv *flv, guint8 type)
{
  guint i, n = 0;

  for (i = 0; i < flv->tags->len; i++)
    n += ((RtmpFlvTag *) flv->tags->pdata[i])->type == type;
  return n;
}

/* The stats' in-bytes-total: what rtmpsrc read so far */
static guint64
get_in_bytes (GstElement *src)
{
  GstStructure *stats = NULL;
  guint64 in_bytes = 0;

  g_object_get (src, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "in-bytes-total", &in_bytes));
  gst_structure_free (stats);
  return in_bytes;
}

/* --- properties --- */

GST_START_TEST (test_properties_and_defaults)
{
  GstElement *src = rtmp_test_make_element ("rtmpsrc", NULL);
  GstElementFactory *factory = gst_element_get_factory (src);
  GParamSpec *spec;
  GstStructure *stats = NULL;
  gboolean no_eof_is_error;
  gint reconnect_attempts;
  guint buffer_length;
  gint64 start, duration;
  static const gchar *const fields[] = { "in-chunk-size", "out-chunk-size",
    "in-window-ack-size", "out-window-ack-size", "in-bytes-total",
    "out-bytes-total", "in-bytes-acked", "out-bytes-acked", "in-bytes-video",
    "in-bytes-audio", "in-bytes-data", "in-messages-video", "bitrate", "rtt-us",
    "reconnects" };
  guint i;

  fail_unless (gst_plugin_feature_get_rank (GST_PLUGIN_FEATURE (factory))
      > GST_RANK_PRIMARY + 1);
  g_object_get (src, "no-eof-is-error", &no_eof_is_error, "reconnect-attempts",
      &reconnect_attempts, "buffer-length", &buffer_length, "start", &start,
      "duration", &duration, "stats", &stats, NULL);
  fail_unless (no_eof_is_error);
  fail_unless_equals_int (reconnect_attempts, 0);
  fail_unless_equals_int (buffer_length, 1000);
  fail_unless_equals_int64 (start, -1);
  fail_unless_equals_int64 (duration, -1);
  for (i = 0; i < G_N_ELEMENTS (fields); i++)
    fail_unless (gst_structure_has_field (stats, fields[i]), "no %s in %s",
        fields[i], gst_structure_get_name (stats));
  gst_structure_free (stats);

  spec = g_object_class_find_property (G_OBJECT_GET_CLASS (src), "play-type");
  fail_unless (spec != NULL);
  /* a type name of our own (STYLE.md §3), rtmp2-style nicks */
  fail_unless_equals_string (g_type_name (spec->value_type), "RtmpGstPlayType");
  gst_util_set_object_arg (G_OBJECT (src), "play-type", "recorded");
  gst_util_set_object_arg (G_OBJECT (src), "play-type", "live");
  gst_util_set_object_arg (G_OBJECT (src), "play-type", "any");
  gst_object_unref (src);
}

GST_END_TEST;

/* rtmp2src's properties (as Debian's 1.22 has them) exist with the same
 * types, so pipelines can swap the element name */
GST_START_TEST (test_takes_rtmp2src_properties)
{
  GstElement *theirs = gst_element_factory_make ("rtmp2src", NULL);
  GstElement *ours = rtmp_test_make_element ("rtmpsrc", NULL);
  GParamSpec **specs;
  guint n, i;

  fail_unless (theirs != NULL, "rtmp2src is needed (gstreamer1.0-plugins-bad)");
  specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (theirs), &n);
  for (i = 0; i < n; i++) {
    GParamSpec *mine = g_object_class_find_property (G_OBJECT_GET_CLASS (ours),
        specs[i]->name);

    fail_unless (mine != NULL, "rtmpsrc lacks %s", specs[i]->name);
    if (!G_IS_PARAM_SPEC_ENUM (specs[i]) && !G_IS_PARAM_SPEC_FLAGS (specs[i]))
      fail_unless (mine->value_type == specs[i]->value_type, "%s",
          specs[i]->name);
  }
  g_free (specs);
  gst_object_unref (theirs);
  gst_object_unref (ours);
}

GST_END_TEST;

GST_START_TEST (test_uri_handler)
{
  static const gchar *const uris[] = { "rtmp://127.0.0.1/live/cam1",
    "rtmps://example.com:4443/app/key?x=1" };
  guint i;

  rtmp_test_assert_plugin_is_ours ();
  for (i = 0; i < G_N_ELEMENTS (uris); i++) {
    g_autoptr (GError) error = NULL;
    GstElement *src
        = gst_element_make_from_uri (GST_URI_SRC, uris[i], NULL, &error);
    g_autofree gchar *uri = NULL;

    fail_unless (src != NULL, "%s", error ? error->message : "");
    fail_unless (rtmp_test_element_is_ours (src), "%s picked %s", uris[i],
        GST_OBJECT_NAME (gst_element_get_factory (src)));
    fail_unless_equals_string (GST_OBJECT_NAME (gst_element_get_factory (src)),
        "rtmpsrc");
    uri = gst_uri_handler_get_uri (GST_URI_HANDLER (src));
    fail_unless_equals_string (uri, uris[i]);
    gst_object_unref (src);
  }
}

GST_END_TEST;

/* --- live play --- */

static void
script_live_stream (Peer *peer, guint index, gpointer data)
{
  if (!peer_start_play (peer, TRUE, FALSE))
    return;
  /* a live stream joined late: timestamps far from 0 */
  send_av_stream (peer, 5000, 20, 0, TRUE);
  peer_send_status (peer, "status", "NetStream.Play.UnpublishNotify");
  peer_wait_closed (peer, TRUE);
}

static void
check_streamheader (GstCaps *caps, guint n_expected)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const GValue *array = gst_structure_get_value (s, "streamheader");
  GstBuffer *first;
  GstMapInfo map;
  guint i;

  fail_unless (gst_structure_has_name (s, "video/x-flv"));
  fail_unless (array != NULL && GST_VALUE_HOLDS_ARRAY (array),
      "no streamheader in %" GST_PTR_FORMAT, caps);
  fail_unless_equals_int (gst_value_array_get_size (array), n_expected);
  for (i = 0; i < n_expected; i++) {
    GstBuffer *buffer
        = gst_value_get_buffer (gst_value_array_get_value (array, i));

    fail_unless (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_HEADER));
  }
  /* the first is the FLV header */
  first = gst_value_get_buffer (gst_value_array_get_value (array, 0));
  gst_buffer_map (first, &map, GST_MAP_READ);
  fail_unless_equals_int (map.size, RTMP_FLV_FILE_HEADER_LEN);
  fail_unless (memcmp (map.data, "FLV\x01", 4) == 0);
  gst_buffer_unmap (first, &map);
}

GST_START_TEST (test_live_timestamps_and_streamheader)
{
  Server *server = server_new (script_live_stream, NULL, 1);
  Player player;
  GstCaps *caps = NULL;
  g_autoptr (GPtrArray) buffers = NULL;
  GstQuery *query;
  gboolean live;
  GstClockTime min, max;
  Flv flv;
  guint i, n_headers;

  player_init (&player, server, NULL);
  /* the server's answer decides: live */
  fail_unless_equals_int (
      gst_element_set_state (player.pipeline, GST_STATE_PAUSED),
      GST_STATE_CHANGE_NO_PREROLL);
  fail_unless (gst_base_src_is_live (GST_BASE_SRC (player.src)));
  query = gst_query_new_latency ();
  fail_unless (gst_element_query (player.src, query));
  gst_query_parse_latency (query, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, 0);
  gst_query_unref (query);
  query = gst_query_new_seeking (GST_FORMAT_TIME);
  fail_unless (gst_element_query (player.src, query));
  gst_query_parse_seeking (query, NULL, &live, NULL, NULL);
  fail_if (live, "a live stream says it is seekable");
  gst_query_unref (query);

  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  buffers = player_pull_all (&player, &caps);
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (player.sink)));
  assert_no_error (&player);
  /* FLV header, metadata, 2 sequence headers, |RtmpSampleAccess (sent
   * after Play.Start: the headers are moved before it), 40 frames */
  fail_unless_equals_int (buffers->len, 45);

  /* the header's flags come from onMetaData; DISCONT starts the stream */
  fail_unless (
      GST_BUFFER_FLAG_IS_SET (buffers->pdata[0], GST_BUFFER_FLAG_DISCONT));
  fail_unless (
      GST_BUFFER_FLAG_IS_SET (buffers->pdata[0], GST_BUFFER_FLAG_HEADER));
  check_streamheader (caps, 4);
  /* onMetaData and the sequence headers are HEADER buffers before the
   * first frame; the header may be written before the sequence headers
   * came (onMetaData says what there is), |RtmpSampleAccess is no header */
  for (i = 1, n_headers = 0; i < 5; i++)
    n_headers
        += GST_BUFFER_FLAG_IS_SET (buffers->pdata[i], GST_BUFFER_FLAG_HEADER);
  fail_unless_equals_int (n_headers, 3);
  fail_unless (
      GST_BUFFER_FLAG_IS_SET (buffers->pdata[1], GST_BUFFER_FLAG_HEADER));

  /* timestamps from 0: the first frame came at 5000 ms */
  fail_unless_equals_uint64 (GST_BUFFER_DTS (buffers->pdata[5]), 0);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (buffers->pdata[6]),
      20 * GST_MSECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (buffers->pdata[44]),
      (19 * 40 + 20) * GST_MSECOND);
  /* video keyframes are the only non-delta units */
  fail_if (
      GST_BUFFER_FLAG_IS_SET (buffers->pdata[5], GST_BUFFER_FLAG_DELTA_UNIT));
  fail_unless (
      GST_BUFFER_FLAG_IS_SET (buffers->pdata[6], GST_BUFFER_FLAG_DELTA_UNIT));
  fail_unless (
      GST_BUFFER_FLAG_IS_SET (buffers->pdata[7], GST_BUFFER_FLAG_DELTA_UNIT));

  flv_parse (&flv, buffers);
  fail_unless_equals_int (flv.header_flags,
      RTMP_FLV_HEADER_FLAG_AUDIO | RTMP_FLV_HEADER_FLAG_VIDEO);
  fail_unless_equals_int (flv.tags->len, 44);
  /* the tags say the same timestamps as the buffers */
  for (i = 0; i < flv.tags->len; i++) {
    RtmpFlvTag *tag = flv.tags->pdata[i];

    fail_unless_equals_uint64 (tag->timestamp * GST_MSECOND,
        GST_BUFFER_DTS (buffers->pdata[i + 1]));
  }
  /* onMetaData without the "@setDataFrame" the server left in */
  {
    RtmpFlvTag *tag = flv.tags->pdata[0];
    gsize len;
    const guint8 *data = g_bytes_get_data (tag->payload, &len);

    fail_unless_equals_int (tag->type, RTMP_FLV_TAG_SCRIPT);
    fail_unless (rtmp_flv_script_is_on_metadata (data, len));
    fail_if (rtmp_flv_script_has_set_data_frame (data, len));
  }
  flv_clear (&flv);
  gst_caps_unref (caps);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

/* --- recorded play --- */

static void
script_recorded (Peer *peer, guint index, gpointer data)
{
  if (!peer_start_play (peer, TRUE, TRUE))
    return;
  send_av_stream (peer, 0, 25, 1.0, TRUE);
  peer_send_control (peer, RTMP_USER_CONTROL_STREAM_EOF);
  peer_send_play_status (peer, "NetStream.Play.Complete");
  peer_send_status (peer, "status", "NetStream.Play.Stop");
  peer_wait_closed (peer, TRUE);
}

GST_START_TEST (test_recorded_prerolls_with_duration)
{
  Server *server = server_new (script_recorded, NULL, 1);
  Player player;
  g_autoptr (GPtrArray) buffers = NULL;
  GstSample *preroll;
  GstQuery *query;
  gboolean seekable;
  gint64 duration = -1, end;

  player_init (&player, server, NULL);
  fail_unless_equals_int (
      gst_element_set_state (player.pipeline, GST_STATE_PAUSED),
      GST_STATE_CHANGE_ASYNC);
  fail_unless_equals_int (gst_element_get_state (player.pipeline, NULL, NULL,
                              WAIT_MS * GST_MSECOND),
      GST_STATE_CHANGE_SUCCESS);
  fail_if (gst_base_src_is_live (GST_BASE_SRC (player.src)));
  preroll = gst_app_sink_try_pull_preroll (GST_APP_SINK (player.sink), 0);
  fail_unless (preroll != NULL);
  gst_sample_unref (preroll);

  fail_unless (
      gst_element_query_duration (player.src, GST_FORMAT_TIME, &duration));
  fail_unless_equals_int64 (duration, GST_SECOND);
  query = gst_query_new_seeking (GST_FORMAT_TIME);
  fail_unless (gst_element_query (player.src, query));
  gst_query_parse_seeking (query, NULL, &seekable, NULL, &end);
  fail_unless (seekable);
  fail_unless_equals_int64 (end, GST_SECOND);
  gst_query_unref (query);
  query = gst_query_new_latency ();
  fail_unless (gst_element_query (player.src, query));
  gst_query_parse_latency (query, &seekable, NULL, NULL);
  fail_if (seekable, "a recorded stream says it is live");
  gst_query_unref (query);

  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  buffers = player_pull_all (&player, NULL);
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (player.sink)));
  /* and |RtmpSampleAccess */
  fail_unless_equals_int (buffers->len, 1 + 4 + 50);
  /* a recorded stream keeps the server's timeline */
  fail_unless_equals_uint64 (GST_BUFFER_DTS (buffers->pdata[54]),
      (24 * 40 + 20) * GST_MSECOND);
  assert_no_error (&player);
  /* play asked for a recorded stream or a live one (-2000, "any") */
  fail_unless_equals_int ((gint) server->play_start_ms, -2000);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

static void
script_recorded_from (Peer *peer, guint index, gpointer data)
{
  if (!peer_start_play (peer, TRUE, TRUE))
    return;
  send_av_stream (peer, 3000, 5, 10, TRUE);
  peer_send_play_status (peer, "NetStream.Play.Complete");
  peer_wait_closed (peer, TRUE);
}

/* play-type recorded with start and duration: play's arguments, and the
 * segment starting where play started */
GST_START_TEST (test_recorded_start_and_duration)
{
  Server *server = server_new (script_recorded_from, NULL, 1);
  Player player;
  g_autoptr (GPtrArray) buffers = NULL;
  GstPad *pad;
  GstEvent *event;
  const GstSegment *segment;

  player_init (&player, server,
      "play-type=recorded start=3000000000 duration=2000000000");
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  buffers = player_pull_all (&player, NULL);
  fail_unless_equals_int (buffers->len, 1 + 4 + 10);
  fail_unless_equals_int ((gint) server->play_start_ms, 3000);
  fail_unless_equals_int ((gint) server->play_duration_ms, 2000);
  pad = gst_element_get_static_pad (player.sink, "sink");
  event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  fail_unless (event != NULL);
  gst_event_parse_segment (event, &segment);
  fail_unless_equals_int (segment->format, GST_FORMAT_TIME);
  fail_unless_equals_uint64 (segment->start, 3 * GST_SECOND);
  fail_unless_equals_uint64 (segment->time, 3 * GST_SECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (buffers->pdata[5]),
      3 * GST_SECOND);
  gst_event_unref (event);
  gst_object_unref (pad);
  assert_no_error (&player);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

/* --- endings --- */

typedef enum
{
  END_PLAY_COMPLETE,
  END_PLAY_STOP,
  END_STREAM_EOF,
  END_UNPUBLISH,
  N_ENDS
} Ending;

static void
script_ending (Peer *peer, guint index, gpointer data)
{
  Ending ending = GPOINTER_TO_INT (data);

  if (!peer_start_play (peer, TRUE, FALSE))
    return;
  send_av_stream (peer, 0, 10, 0, TRUE);
  switch (ending) {
    case END_PLAY_COMPLETE:
      peer_send_play_status (peer, "NetStream.Play.Complete");
      break;
    case END_PLAY_STOP:
      peer_send_status (peer, "status", "NetStream.Play.Stop");
      break;
    case END_STREAM_EOF:
      peer_send_control (peer, RTMP_USER_CONTROL_STREAM_EOF);
      break;
    case END_UNPUBLISH:
      peer_send_status (peer, "status", "NetStream.Play.UnpublishNotify");
      break;
    default:
      break;
  }
  /* media after the end is not the stream's */
  send_video_frame (peer, 1000, TRUE, 0);
  /* the client closes: it knows the stream is over */
  peer_wait_closed (peer, TRUE);
}

/* Each clean end is EOS after every message before it, without error */
GST_START_TEST (test_clean_endings)
{
  Ending ending;

  for (ending = 0; ending < N_ENDS; ending++) {
    Server *server = server_new (script_ending, GINT_TO_POINTER (ending), 1);
    Player player;
    g_autoptr (GPtrArray) buffers = NULL;

    player_init (&player, server, NULL);
    gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
    buffers = player_pull_all (&player, NULL);
    fail_unless (gst_app_sink_is_eos (GST_APP_SINK (player.sink)),
        "ending %d: no EOS", ending);
    fail_unless_equals_int (buffers->len, 1 + 4 + 20);
    assert_no_error (&player);
    player_clear (&player);
    server_free (server);
  }
}

GST_END_TEST;

typedef enum
{
  BREAK_CLOSE,
  BREAK_MID_MESSAGE,
} Break;

static void
script_break (Peer *peer, guint index, gpointer data)
{
  Break how = GPOINTER_TO_INT (data);

  if (!peer_start_play (peer, TRUE, FALSE))
    return;
  send_av_stream (peer, 0, 10, 0, TRUE);
  if (how == BREAK_MID_MESSAGE) {
    static guint8 big[3000];
    g_autoptr (GBytes) payload = NULL;
    RtmpOutputVector vectors[8];
    guint n, i;
    gsize half;

    big[0] = 0x27;
    big[1] = 0x01;
    payload = g_bytes_new_static (big, sizeof (big));
    rtmp_session_send_media (peer->session, peer->stream_id, RTMP_MESSAGE_VIDEO,
        400, payload);
    half = rtmp_session_get_output_size (peer->session) / 2;
    n = rtmp_session_peek_output (peer->session, vectors, 8);
    for (i = 0; i < n && half > 0; i++) {
      gsize len = MIN (half, vectors[i].len);

      peer_write (peer, vectors[i].data, len);
      half -= len;
    }
  }
  /* the script returns: the connection closes */
}

static GPtrArray *
play_to_error (Break how, const gchar *props, GstMessage **error)
{
  Server *server = server_new (script_break, GINT_TO_POINTER (how), 1);
  Player player;
  GPtrArray *buffers;

  player_init (&player, server, props);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  if (error) {
    buffers = player_pull_until_error (&player, error);
  } else {
    buffers = player_pull_all (&player, NULL);
    fail_unless (gst_app_sink_is_eos (GST_APP_SINK (player.sink)));
    assert_no_error (&player);
  }
  player_clear (&player);
  server_free (server);
  return buffers;
}

/* A broken connection is an error, after the buffers before it */
GST_START_TEST (test_broken_connection_is_error)
{
  GstMessage *error = NULL;
  g_autoptr (GPtrArray) buffers = play_to_error (BREAK_CLOSE, NULL, &error);

  fail_unless_equals_int (buffers->len, 1 + 4 + 20);
  check_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
      "closed the connection");
  gst_message_unref (error);
}

GST_END_TEST;

GST_START_TEST (test_broken_mid_message_is_error)
{
  GstMessage *error = NULL;
  g_autoptr (GPtrArray) buffers
      = play_to_error (BREAK_MID_MESSAGE, NULL, &error);

  fail_unless_equals_int (buffers->len, 1 + 4 + 20);
  check_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
      "middle of a message");
  gst_message_unref (error);
}

GST_END_TEST;

/* no-eof-is-error=false: rtmp2src's EOS */
GST_START_TEST (test_broken_without_no_eof_is_error_is_eos)
{
  g_autoptr (GPtrArray) buffers
      = play_to_error (BREAK_MID_MESSAGE, "no-eof-is-error=false", NULL);

  fail_unless_equals_int (buffers->len, 1 + 4 + 20);
}

GST_END_TEST;

/* --- rejections, stalls, garbage --- */

static void
script_not_found (Peer *peer, guint index, gpointer data)
{
  if (!peer_start_play (peer, FALSE, FALSE))
    return;
  rtmp_session_reject_stream (peer->session, peer->stream_id,
      "NetStream.Play.StreamNotFound", "No such stream", TRUE);
  peer_flush (peer);
  peer_wait_closed (peer, FALSE);
}

GST_START_TEST (test_stream_not_found)
{
  Server *server = server_new (script_not_found, NULL, 1);
  Player player;
  GstMessage *error;

  player_init (&player, server, NULL);
  /* play-type any: the answer is awaited in the state change, which fails */
  fail_unless_equals_int (
      gst_element_set_state (player.pipeline, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  error = player_expect_one_error (&player);
  check_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "stream1");
  check_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "StreamNotFound");
  gst_message_unref (error);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

/* The same with a live source: the error comes in PLAYING, at once */
GST_START_TEST (test_stream_not_found_live)
{
  Server *server = server_new (script_not_found, NULL, 1);
  Player player;
  GstMessage *error;

  player_init (&player, server, "play-type=live");
  fail_unless (gst_element_set_state (player.pipeline, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE);
  error = player_expect_one_error (&player);
  check_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "stream1");
  gst_message_unref (error);
  fail_unless_equals_int ((gint) server->play_start_ms, -1000);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

typedef enum
{
  STALL_HANDSHAKE,
  STALL_CONNECT,
  STALL_CREATE_STREAM,
  STALL_PLAY,
  N_STALLS
} Stall;

static const gchar *const stall_names[]
    = { "handshake", "connect", "createStream", "play" };

static void
script_stall (Peer *peer, guint index, gpointer data)
{
  Stall stall = GPOINTER_TO_INT (data);
  RtmpSessionEvent event;

  switch (stall) {
    case STALL_HANDSHAKE:
      break;
    case STALL_CONNECT:
      if (peer_wait_event (peer, RTMP_SESSION_EVENT_CONNECT_REQUEST, &event))
        rtmp_session_event_clear (&event);
      break;
    case STALL_CREATE_STREAM:
      if (peer_wait_event (peer, RTMP_SESSION_EVENT_CONNECT_REQUEST, &event)) {
        rtmp_session_event_clear (&event);
        rtmp_session_accept_connect (peer->session, NULL,
            g_get_monotonic_time ());
        peer_flush (peer);
      }
      break;
    case STALL_PLAY:
      peer_start_play (peer, FALSE, FALSE);
      break;
    default:
      break;
  }
  /* read, never answer */
  peer_wait_closed (peer, FALSE);
}

static void
check_stall (Server *server, const gchar *scheme, const gchar *what)
{
  Player player;
  GstMessage *error;
  gint64 elapsed_us;
  g_autofree gchar *location
      = g_strdup_printf ("%s://127.0.0.1:%u/live/s", scheme, server->port);

  player_init (&player, server, "timeout=1 play-type=live");
  g_object_set (player.src, "location", location, NULL);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  error = player_expect_one_error (&player);
  /* within the timeout + 1 s of the stalled phase's start */
  fail_unless (player.phase_start_us != 0);
  elapsed_us = player.error_us - player.phase_start_us;
  GST_INFO ("%s: the error came %" G_GINT64_FORMAT " ms after the phase "
            "started",
      what, elapsed_us / 1000);
  fail_unless (elapsed_us < 2 * G_USEC_PER_SEC,
      "%s: the error took %" G_GINT64_FORMAT " ms", what, elapsed_us / 1000);
  check_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, NULL);
  gst_message_unref (error);
  player_clear (&player);
}

GST_START_TEST (test_stalled_phases)
{
  Stall stall;

  for (stall = 0; stall < N_STALLS; stall++) {
    Server *server = server_new (script_stall, GINT_TO_POINTER (stall), 1);

    GST_INFO ("stall at %s", stall_names[stall]);
    check_stall (server, "rtmp", stall_names[stall]);
    server_free (server);
  }
#if HAVE_TLS
  {
    /* a TCP server that never answers the TLS client hello */
    Server *server
        = server_new (script_stall, GINT_TO_POINTER (STALL_HANDSHAKE), 1);

    check_stall (server, "rtmps", "TLS");
    server_free (server);
  }
#endif
}

GST_END_TEST;

/* TCP connect stalls: a listener whose accept queue is full drops SYNs */
GST_START_TEST (test_stalled_tcp_connect)
{
  g_autoptr (GInetAddress) loopback
      = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  GSocket *listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GSocket *fillers[4];
  Player player;
  GstMessage *error;
  g_autofree gchar *location = NULL;
  gint64 elapsed_us;
  guint16 port;
  guint i;

  g_socket_set_listen_backlog (listener, 0);
  fail_unless (g_socket_bind (listener, address, TRUE, NULL));
  fail_unless (g_socket_listen (listener, NULL));
  bound = g_socket_get_local_address (listener, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  for (i = 0; i < G_N_ELEMENTS (fillers); i++) {
    fillers[i] = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
        G_SOCKET_PROTOCOL_TCP, NULL);
    g_socket_set_blocking (fillers[i], FALSE);
    g_socket_connect (fillers[i], bound, NULL, NULL);
  }

  player_init (&player, NULL, "timeout=1 play-type=live");
  location = g_strdup_printf ("rtmp://127.0.0.1:%u/live/s", port);
  g_object_set (player.src, "location", location, NULL);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  error = player_expect_one_error (&player);
  fail_unless (player.phase_start_us != 0);
  elapsed_us = player.error_us - player.phase_start_us;
  fail_unless (elapsed_us < 2 * G_USEC_PER_SEC,
      "the error took %" G_GINT64_FORMAT " ms", elapsed_us / 1000);
  check_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, NULL);
  gst_message_unref (error);
  player_clear (&player);
  for (i = 0; i < G_N_ELEMENTS (fillers); i++) {
    g_socket_close (fillers[i], NULL);
    g_object_unref (fillers[i]);
  }
  g_socket_close (listener, NULL);
  g_object_unref (listener);
}

GST_END_TEST;

static void
script_garbage (Peer *peer, guint index, gpointer data)
{
  static const guint8 garbage[] = { 0xff, 0x13, 0x37, 0x00, 0x42, 0xfe, 0xee,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09 };

  if (!peer_start_play (peer, TRUE, FALSE))
    return;
  send_av_stream (peer, 0, 2, 0, TRUE);
  peer_write (peer, garbage, sizeof (garbage));
  peer_wait_closed (peer, FALSE);
}

GST_START_TEST (test_garbage_from_server)
{
  Server *server = server_new (script_garbage, NULL, 1);
  Player player;
  g_autoptr (GPtrArray) buffers = NULL;
  GstMessage *error;

  player_init (&player, server, NULL);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  buffers = player_pull_until_error (&player, &error);
  /* what came before the garbage, then one error */
  fail_unless_equals_int (buffers->len, 1 + 4 + 4);
  check_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, NULL);
  gst_message_unref (error);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

/* async-connect=false connects with the first buffer, as in rtmp2src */
GST_START_TEST (test_async_connect_false)
{
  Server *server = server_new (script_live_stream, NULL, 1);
  Player player;
  g_autoptr (GPtrArray) buffers = NULL;
  gint64 end;
  guint n_peers;

  player_init (&player, server, "play-type=live async-connect=false");
  fail_unless_equals_int (
      gst_element_set_state (player.pipeline, GST_STATE_PAUSED),
      GST_STATE_CHANGE_NO_PREROLL);
  /* nothing connects in PAUSED */
  end = g_get_monotonic_time () + 300 * 1000;
  g_mutex_lock (&server->lock);
  while (server->n_peers == 0 && g_get_monotonic_time () < end)
    g_cond_wait_until (&server->cond, &server->lock, end);
  n_peers = server->n_peers;
  g_mutex_unlock (&server->lock);
  fail_unless_equals_int (n_peers, 0);

  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  buffers = player_pull_all (&player, NULL);
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (player.sink)));
  fail_unless_equals_int (buffers->len, 45);
  assert_no_error (&player);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

/* --- waits that must end --- */

static void
script_silent (Peer *peer, guint index, gpointer data)
{
  if (!peer_start_play (peer, TRUE, FALSE))
    return;
  send_av_stream (peer, 0, GPOINTER_TO_UINT (data), 0, TRUE);
  peer_wait_closed (peer, TRUE);
}

/* A live stream that sends nothing: stopping is immediate */
GST_START_TEST (test_unlock_interrupts_waiting)
{
  Server *server = server_new (script_silent, GUINT_TO_POINTER (0), 1);
  Player player;
  gint64 start_us;
  GstMessage *message;

  player_init (&player, server, "play-type=live");
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  /* create () waits for the first media */
  message = player_wait (&player, GST_MESSAGE_ELEMENT);
  while (message != NULL) {
    const GstStructure *s = gst_message_get_structure (message);
    gboolean playing = gst_structure_has_name (s, "rtmp-state")
        && g_str_equal (gst_structure_get_string (s, "state"), "playing");

    gst_message_unref (message);
    if (playing)
      break;
    message = player_wait (&player, GST_MESSAGE_ELEMENT);
  }
  fail_unless (message != NULL, "never playing");
  start_us = g_get_monotonic_time ();
  player_clear (&player);
  fail_unless (g_get_monotonic_time () - start_us < G_USEC_PER_SEC / 2,
      "stopping took %" G_GINT64_FORMAT " ms",
      (g_get_monotonic_time () - start_us) / 1000);
  server_free (server);
}

GST_END_TEST;

/* idle-timeout as rtmp2src: no media for that long is EOS */
GST_START_TEST (test_idle_timeout)
{
  Server *server = server_new (script_silent, GUINT_TO_POINTER (3), 1);
  Player player;
  g_autoptr (GPtrArray) buffers = NULL;
  gint64 start_us;

  player_init (&player, server, "idle-timeout=1");
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  start_us = g_get_monotonic_time ();
  buffers = player_pull_all (&player, NULL);
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (player.sink)));
  fail_unless (g_get_monotonic_time () - start_us < 3 * G_USEC_PER_SEC);
  fail_unless_equals_int (buffers->len, 1 + 4 + 6);
  assert_no_error (&player);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

/* --- seeking and pausing recorded streams --- */

static void
script_seekable (Peer *peer, guint index, gpointer data)
{
  RtmpSessionEvent event;
  guint32 position;
  guint i;

  if (!peer_start_play (peer, TRUE, TRUE))
    return;
  send_av_stream (peer, 0, 10, 20.0, TRUE);
  /* as nginx-rtmp answers seek: Stream EOF, Seek.Notify, Stream Begin,
   * then the media from the keyframe at or before the position */
  if (!peer_wait_event (peer, RTMP_SESSION_EVENT_SEEK_REQUEST, &event))
    return;
  position = (guint32) event.position_ms;
  rtmp_session_event_clear (&event);
  /* what was in flight before the server seeked */
  send_video_frame (peer, 400, FALSE, 0);
  peer_send_control (peer, RTMP_USER_CONTROL_STREAM_EOF);
  peer_send_status (peer, "status", "NetStream.Seek.Notify");
  peer_send_control (peer, RTMP_USER_CONTROL_STREAM_BEGIN);
  for (i = 0; i < 5; i++) {
    send_video_frame (peer, position + i * 40, i == 0, 0);
    send_audio_frame (peer, position + i * 40 + 20);
  }
  peer_send_play_status (peer, "NetStream.Play.Complete");
  peer_wait_closed (peer, TRUE);
}

GST_START_TEST (test_seek)
{
  Server *server = server_new (script_seekable, NULL, 1);
  Player player;
  g_autoptr (GPtrArray) buffers = NULL;
  GstBuffer *buffer;
  GstPad *pad;
  GstEvent *event;
  const GstSegment *segment;
  guint i;

  player_init (&player, server, NULL);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  /* header, metadata, 2 sequence headers, |RtmpSampleAccess, 20 frames */
  for (i = 0; i < 25; i++) {
    buffer = player_pull (&player, NULL);
    fail_unless (buffer != NULL);
    gst_buffer_unref (buffer);
  }
  fail_unless (gst_element_seek_simple (player.pipeline, GST_FORMAT_TIME,
      GST_SEEK_FLAG_FLUSH, 5 * GST_SECOND));
  fail_unless (server_wait_requests (server, server->seeks, 1));
  fail_unless_equals_int ((gint) g_array_index (server->seeks, gdouble, 0),
      5000);

  buffers = player_pull_all (&player, NULL);
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (player.sink)));
  /* only what the server sent after Seek.Notify, from the position */
  fail_unless_equals_int (buffers->len, 10);
  fail_unless (
      GST_BUFFER_FLAG_IS_SET (buffers->pdata[0], GST_BUFFER_FLAG_DISCONT));
  for (i = 0; i < buffers->len; i++)
    fail_unless (GST_BUFFER_DTS (buffers->pdata[i]) >= 5 * GST_SECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (buffers->pdata[0]),
      5 * GST_SECOND);
  pad = gst_element_get_static_pad (player.sink, "sink");
  event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  gst_event_parse_segment (event, &segment);
  fail_unless_equals_uint64 (segment->start, 5 * GST_SECOND);
  fail_unless_equals_uint64 (segment->time, 5 * GST_SECOND);
  gst_event_unref (event);
  gst_object_unref (pad);
  assert_no_error (&player);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

static void
script_pausable (Peer *peer, guint index, gpointer data)
{
  guint i;

  if (!peer_start_play (peer, TRUE, TRUE))
    return;
  send_av_stream (peer, 0, 5, 20.0, TRUE);
  /* the player went to PAUSED: media for its preroll */
  if (!peer_pump_until (peer, have_triggers, 1))
    return;
  for (i = 5; i < 10; i++) {
    send_video_frame (peer, i * 40, FALSE, 0);
    send_audio_frame (peer, i * 40 + 20);
  }
  /* paused, then resumed (the session answers Pause/Unpause.Notify) */
  if (!peer_pump_until (peer, have_pauses, 2))
    return;
  for (i = 10; i < 15; i++) {
    send_video_frame (peer, i * 40, FALSE, 0);
    send_audio_frame (peer, i * 40 + 20);
  }
  peer_send_play_status (peer, "NetStream.Play.Complete");
  peer_wait_closed (peer, TRUE);
}

/* PLAYING to PAUSED pauses the server once the sink prerolled again;
 * PAUSED to PLAYING resumes it */
GST_START_TEST (test_pause_resumes_server)
{
  Server *server = server_new (script_pausable, NULL, 1);
  Player player;
  g_autoptr (GPtrArray) buffers = NULL;
  guint i;

  player_init (&player, server, NULL);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  /* header, 3 headers, |RtmpSampleAccess, 10 frames */
  for (i = 0; i < 15; i++) {
    GstBuffer *buffer = player_pull (&player, NULL);

    fail_unless (buffer != NULL);
    gst_buffer_unref (buffer);
  }
  fail_unless (gst_element_set_state (player.pipeline, GST_STATE_PAUSED)
      != GST_STATE_CHANGE_FAILURE);
  server_trigger (server);
  fail_unless_equals_int (gst_element_get_state (player.pipeline, NULL, NULL,
                              WAIT_MS * GST_MSECOND),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (server_wait_requests (server, server->pauses, 1));
  fail_unless (g_array_index (server->pauses, gboolean, 0));
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  fail_unless (server_wait_requests (server, server->pauses, 2));
  fail_if (g_array_index (server->pauses, gboolean, 1));
  buffers = player_pull_all (&player, NULL);
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (player.sink)));
  /* the frames sent for the preroll and after the resume */
  fail_unless_equals_int (buffers->len, 20);
  assert_no_error (&player);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

/* --- back-pressure --- */

#define FLOOD_FRAMES 2000
#define FLOOD_FRAME_BYTES 20000

/* Writes what the session queued until the client takes nothing for 1 s:
 * FALSE then (TRUE when all was written) */
static gboolean
peer_write_until_stall (Peer *peer, guint64 *sent)
{
  RtmpOutputVector vectors[32];
  guint n;

  g_socket_set_timeout (peer->socket, 1);
  while ((n = rtmp_session_peek_output (peer->session, vectors, 32)) > 0) {
    GError *error = NULL;
    gssize written = g_socket_send (peer->socket,
        (const gchar *) vectors[0].data, vectors[0].len, NULL, &error);

    if (written <= 0) {
      gboolean stalled
          = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

      g_clear_error (&error);
      g_socket_set_timeout (peer->socket, 3 * WAIT_MS / 1000);
      if (!stalled)
        peer->is_closed = TRUE;
      return FALSE;
    }
    rtmp_session_consume_output (peer->session, written);
    *sent += written;
  }
  g_socket_set_timeout (peer->socket, 3 * WAIT_MS / 1000);
  return TRUE;
}

static void
script_flood (Peer *peer, guint index, gpointer data)
{
  static guint8 frame[FLOOD_FRAME_BYTES] = { 0x27, 0x01 };
  g_autoptr (GBytes) payload = g_bytes_new_static (frame, sizeof (frame));
  guint64 sent = 0;
  guint i;

  if (!peer_start_play (peer, TRUE, TRUE))
    return;
  send_av_stream (peer, 0, 1, 100.0, TRUE);
  for (i = 0; i < FLOOD_FRAMES; i++)
    rtmp_session_send_media (peer->session, peer->stream_id, RTMP_MESSAGE_VIDEO,
        80 + i * 40, payload);
  if (!peer_write_until_stall (peer, &sent)) {
    /* the player stopped reading: say how far it got */
    g_mutex_lock (&peer->server->lock);
    peer->server->stalled_at = sent;
    g_cond_broadcast (&peer->server->cond);
    g_mutex_unlock (&peer->server->lock);
    if (!peer_flush (peer))
      return;
  }
  peer_send_play_status (peer, "NetStream.Play.Complete");
  peer_wait_closed (peer, TRUE);
}

/* A recorded stream prerolled in PAUSED does not buffer what the server
 * sends without bound: the queue fills, reading stops, TCP pushes back.
 * Nothing is lost once it plays. */
GST_START_TEST (test_backpressure_bounds_the_queue)
{
  Server *server = server_new (script_flood, NULL, 1);
  Player player;
  g_autoptr (GPtrArray) buffers = NULL;
  guint64 in_bytes, stalled_at;
  gint64 end = g_get_monotonic_time () + 3 * WAIT_MS * 1000;

  player_init (&player, server, NULL);
  fail_unless (gst_element_set_state (player.pipeline, GST_STATE_PAUSED)
      != GST_STATE_CHANGE_FAILURE);
  g_mutex_lock (&server->lock);
  while (server->stalled_at == 0 && g_get_monotonic_time () < end)
    g_cond_wait_until (&server->cond, &server->lock, end);
  stalled_at = server->stalled_at;
  g_mutex_unlock (&server->lock);
  fail_unless (stalled_at > 0, "the server never had to wait");
  in_bytes = get_in_bytes (player.src);
  GST_INFO ("the server stalled after %" G_GUINT64_FORMAT " bytes, rtmpsrc "
            "read %" G_GUINT64_FORMAT,
      stalled_at, in_bytes);
  /* 2 s of media (the queue's bound: 50 frames, 1 MB), plus what the
   * kernel's socket buffers hold */
  fail_unless (in_bytes < 20 * 1024 * 1024, "read %" G_GUINT64_FORMAT,
      in_bytes);
  fail_unless (stalled_at < (guint64) FLOOD_FRAMES * FLOOD_FRAME_BYTES);

  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  buffers = player_pull_all (&player, NULL);
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (player.sink)));
  assert_no_error (&player);
  /* header, 3 headers, |RtmpSampleAccess, 2 frames, the flood */
  fail_unless_equals_int (buffers->len, 1 + 4 + 2 + FLOOD_FRAMES);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

/* --- reconnects --- */

static void
script_reconnect (Peer *peer, guint index, gpointer data)
{
  if (!peer_start_play (peer, TRUE, FALSE))
    return;
  if (index == 0) {
    /* the first connection breaks after 10 frames */
    send_av_stream (peer, 1000, 10, 0, TRUE);
    return;
  }
  /* the stream comes back with timestamps of its own */
  send_av_stream (peer, 90000, 10, 0, TRUE);
  peer_send_status (peer, "status", "NetStream.Play.UnpublishNotify");
  peer_wait_closed (peer, TRUE);
}

GST_START_TEST (test_reconnect_live)
{
  Server *server = server_new (script_reconnect, NULL, 2);
  Player player;
  g_autoptr (GPtrArray) buffers = NULL;
  GstStructure *stats = NULL;
  GstMessage *message;
  gboolean saw_reconnecting = FALSE;
  guint reconnects = 0, i;

  player_init (&player, server,
      "play-type=live reconnect-attempts=2 reconnect-delay=0");
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  buffers = player_pull_all (&player, NULL);
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (player.sink)));
  /* one pass over the bus: popping by type drops the other messages */
  while ((message = gst_bus_pop (player.bus))) {
    const GstStructure *s = gst_message_get_structure (message);

    fail_if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
        && gst_structure_has_name (s, "rtmp-state")
        && g_str_equal (gst_structure_get_string (s, "state"), "reconnecting"))
      saw_reconnecting = TRUE;
    gst_message_unref (message);
  }
  fail_unless (saw_reconnecting);
  /* header, then 3 headers, |RtmpSampleAccess and 20 frames from each
   * connection */
  fail_unless_equals_int (buffers->len, 1 + 24 + 24);
  fail_unless (
      GST_BUFFER_FLAG_IS_SET (buffers->pdata[25], GST_BUFFER_FLAG_DISCONT));
  /* timestamps go on: no step back, no jump by the server's 89 s */
  for (i = 2; i < buffers->len; i++)
    fail_unless (GST_BUFFER_DTS (buffers->pdata[i]) + 20 * GST_MSECOND
            >= GST_BUFFER_DTS (buffers->pdata[i - 1]),
        "buffer %u at %" GST_TIME_FORMAT " after %" GST_TIME_FORMAT, i,
        GST_TIME_ARGS (GST_BUFFER_DTS (buffers->pdata[i])),
        GST_TIME_ARGS (GST_BUFFER_DTS (buffers->pdata[i - 1])));
  fail_unless (
      GST_BUFFER_DTS (buffers->pdata[buffers->len - 1]) < 30 * GST_SECOND);

  g_object_get (player.src, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint (stats, "reconnects", &reconnects));
  fail_unless_equals_int (reconnects, 1);
  gst_structure_free (stats);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

/* --- what the FLV output carries --- */

static void
script_amf3 (Peer *peer, guint index, gpointer data)
{
  g_autoptr (GByteArray) body = g_byte_array_new ();
  g_autoptr (RtmpAmfValue) name = rtmp_amf_value_new_string ("onCuePoint");
  g_autoptr (RtmpAmfValue) cue = rtmp_amf_value_new_object ();
  g_autoptr (RtmpMessage) message = NULL;
  guint8 marker = 0x11;

  rtmp_amf_value_take_field (cue, "name", rtmp_amf_value_new_string ("cue1"));
  rtmp_amf_value_take_field (cue, "time", rtmp_amf_value_new_integer (15));
  /* type 15: a format byte, AMF0 values that switch to AMF3 */
  g_byte_array_append (body, (const guint8 *) "\0", 1);
  rtmp_amf0_encode (body, name);
  g_byte_array_append (body, &marker, 1);
  rtmp_amf3_encode (body, cue);

  if (!peer_start_play (peer, TRUE, FALSE))
    return;
  send_av_stream (peer, 0, 2, 0, TRUE);
  message = rtmp_message_new_take (RTMP_MESSAGE_DATA_AMF3, 100, peer->stream_id,
      0, g_byte_array_free_to_bytes (g_steal_pointer (&body)));
  rtmp_session_send_message (peer->session, message);
  peer_flush (peer);
  send_video_frame (peer, 120, FALSE, 0);
  peer_send_status (peer, "status", "NetStream.Play.Stop");
  peer_wait_closed (peer, TRUE);
}

GST_START_TEST (test_amf3_data_becomes_amf0)
{
  Server *server = server_new (script_amf3, NULL, 1);
  Player player;
  g_autoptr (GPtrArray) buffers = NULL;
  g_autoptr (GPtrArray) values = NULL;
  g_autoptr (GError) error = NULL;
  RtmpFlvTag *tag;
  RtmpLimits limits;
  gdouble time = 0;
  gsize len;
  const guint8 *data;
  Flv flv;

  player_init (&player, server, NULL);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  buffers = player_pull_all (&player, NULL);
  assert_no_error (&player);
  flv_parse (&flv, buffers);
  /* metadata, 2 sequence headers, |RtmpSampleAccess, 4 frames, the cue
   * point, 1 frame */
  fail_unless_equals_int (flv.tags->len, 10);
  tag = flv.tags->pdata[8];
  fail_unless_equals_int (tag->type, RTMP_FLV_TAG_SCRIPT);
  fail_unless_equals_int (tag->timestamp, 100);
  data = g_bytes_get_data (tag->payload, &len);
  fail_if (memchr (data, 0x11, len) != NULL, "an AMF3 switch is left");
  rtmp_limits_init_default (&limits);
  values = rtmp_amf0_decode_all (data, len, &limits, &error);
  fail_unless (values != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (values->len, 2);
  fail_unless_equals_string (
      rtmp_amf_value_peek_string (values->pdata[0], NULL), "onCuePoint");
  fail_unless_equals_string (
      rtmp_amf_value_lookup_string (values->pdata[1], "name"), "cue1");
  fail_unless (rtmp_amf_value_lookup_number (values->pdata[1], "time", &time));
  fail_unless_equals_float (time, 15);
  flv_clear (&flv);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

/* An aggregate message (§7.1.6) of three sub-messages */
static void
script_aggregate (Peer *peer, guint index, gpointer data)
{
  static const guint8 audio[] = { 0xaf, 0x01, 0x11, 0x22 };
  static const guint8 video[] = { 0x27, 0x01, 0x00, 0x00, 0x00, 0x33 };
  g_autoptr (GByteArray) body = g_byte_array_new ();
  g_autoptr (RtmpMessage) message = NULL;
  guint i;

  for (i = 0; i < 3; i++) {
    const guint8 *payload = i == 1 ? audio : video;
    gsize len = i == 1 ? sizeof (audio) : sizeof (video);
    guint32 ts = 2000 + i * 10;
    guint8 header[11] = { i == 1 ? 8 : 9, 0, 0, len, (ts >> 16) & 0xff,
      (ts >> 8) & 0xff, ts & 0xff, 0, 0, 0, 0 };
    guint8 back[4] = { 0, 0, 0, 11 + len };

    g_byte_array_append (body, header, sizeof (header));
    g_byte_array_append (body, payload, len);
    g_byte_array_append (body, back, sizeof (back));
  }

  if (!peer_start_play (peer, TRUE, FALSE))
    return;
  send_av_stream (peer, 0, 1, 0, TRUE);
  message = rtmp_message_new_take (RTMP_MESSAGE_AGGREGATE, 500, peer->stream_id,
      0, g_byte_array_free_to_bytes (g_steal_pointer (&body)));
  rtmp_session_send_message (peer->session, message);
  peer_flush (peer);
  peer_send_status (peer, "status", "NetStream.Play.Stop");
  peer_wait_closed (peer, TRUE);
}

GST_START_TEST (test_aggregate_split)
{
  Server *server = server_new (script_aggregate, NULL, 1);
  Player player;
  g_autoptr (GPtrArray) buffers = NULL;
  Flv flv;
  guint i;

  player_init (&player, server, NULL);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  buffers = player_pull_all (&player, NULL);
  assert_no_error (&player);
  flv_parse (&flv, buffers);
  /* metadata, 2 sequence headers, |RtmpSampleAccess, 2 frames, then the
   * 3 parts */
  fail_unless_equals_int (flv.tags->len, 9);
  for (i = 0; i < 3; i++) {
    RtmpFlvTag *tag = flv.tags->pdata[6 + i];

    fail_unless_equals_int (tag->type, i == 1 ? 8 : 9);
    /* rebased onto the aggregate's timestamp */
    fail_unless_equals_int (tag->timestamp, 500 + i * 10);
  }
  flv_clear (&flv);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

/* No onMetaData: the header says what the first tags are */
static void
script_audio_only (Peer *peer, guint index, gpointer data)
{
  guint i;

  if (!peer_start_play (peer, TRUE, FALSE))
    return;
  peer_send_media (peer, RTMP_MESSAGE_AUDIO, 0, aac_sequence_header,
      sizeof (aac_sequence_header));
  for (i = 0; i < 40; i++)
    send_audio_frame (peer, i * 23);
  peer_send_status (peer, "status", "NetStream.Play.Stop");
  peer_wait_closed (peer, TRUE);
}

GST_START_TEST (test_header_flags_from_first_tags)
{
  Server *server = server_new (script_audio_only, NULL, 1);
  Player player;
  g_autoptr (GPtrArray) buffers = NULL;
  GstCaps *caps = NULL;
  Flv flv;

  player_init (&player, server, NULL);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  buffers = player_pull_all (&player, &caps);
  assert_no_error (&player);
  flv_parse (&flv, buffers);
  fail_unless_equals_int (flv.header_flags, RTMP_FLV_HEADER_FLAG_AUDIO);
  fail_unless_equals_int (count_tags (&flv, RTMP_FLV_TAG_AUDIO), 41);
  /* FLV header and the AAC sequence header */
  check_streamheader (caps, 2);
  /* without video, audio frames are not delta units */
  fail_if (
      GST_BUFFER_FLAG_IS_SET (buffers->pdata[3], GST_BUFFER_FLAG_DELTA_UNIT));
  gst_caps_unref (caps);
  flv_clear (&flv);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

/* Timestamps that pass 2^32 ms go on past it */
static void
script_wrap (Peer *peer, guint index, gpointer data)
{
  guint i;

  if (!peer_start_play (peer, TRUE, FALSE))
    return;
  peer_send_media (peer, RTMP_MESSAGE_VIDEO, 0xffffff00u, avc_sequence_header,
      sizeof (avc_sequence_header));
  for (i = 0; i < 20; i++)
    send_video_frame (peer, 0xffffff00u + i * 40, i == 0, 0);
  peer_send_status (peer, "status", "NetStream.Play.Stop");
  peer_wait_closed (peer, TRUE);
}

GST_START_TEST (test_timestamp_wrap)
{
  Server *server = server_new (script_wrap, NULL, 1);
  Player player;
  g_autoptr (GPtrArray) buffers = NULL;
  guint i;

  player_init (&player, server, NULL);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  buffers = player_pull_all (&player, NULL);
  assert_no_error (&player);
  /* header, sequence header, |RtmpSampleAccess, 20 frames */
  fail_unless_equals_int (buffers->len, 1 + 2 + 20);
  for (i = 0; i < 20; i++)
    fail_unless_equals_uint64 (GST_BUFFER_DTS (buffers->pdata[3 + i]),
        i * 40 * GST_MSECOND);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

/* --- serving FLV files --- */

typedef struct
{
  GBytes *flv;
  gboolean recorded;
} FlvScript;

/* Plays the tags of an FLV file, as a recorded or a live stream */
static void
script_flv_file (Peer *peer, guint index, gpointer data)
{
  FlvScript *script = data;
  GBytes *flv = script->flv;
  gboolean recorded = script->recorded;
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  gsize offset = 0;

  if (!peer_start_play (peer, TRUE, recorded))
    return;
  while (offset < g_bytes_get_size (flv)) {
    RtmpFlvTag *tag = NULL;
    gsize consumed = 0;

    if (rtmp_flv_reader_read (reader, flv, offset, &consumed, &tag, NULL)
        != RTMP_READ_OK)
      break;
    offset += consumed;
    peer_send_bytes (peer, tag->type, tag->timestamp, tag->payload);
    rtmp_flv_tag_free (tag);
  }
  if (recorded)
    peer_send_play_status (peer, "NetStream.Play.Complete");
  else
    peer_send_status (peer, "status", "NetStream.Play.UnpublishNotify");
  peer_wait_closed (peer, TRUE);
}

/* --- Enhanced RTMP --- */

static void
append_tag (GByteArray *out, guint8 type, guint32 ts, GByteArray *body)
{
  rtmp_flv_append_tag (out, type, ts, body->data, body->len);
  g_byte_array_set_size (body, 0);
}

/* A synthetic HEVC + Opus stream, written by our FLV writers from the
 * Enhanced RTMP v2 layouts (see tests/files/README.md, rtmpsrc/) */
static GBytes *
build_enhanced_stream (void)
{
  static const guint8 hvcc[] = { 0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x5d, 0xf0, 0x00, 0xfc, 0xfd, 0xf8, 0xf8, 0x00,
    0x00, 0x0f, 0x00 };
  static const guint8 opus_head[] = { 'O', 'p', 'u', 's', 'H', 'e', 'a', 'd',
    0x01, 0x02, 0x38, 0x01, 0x80, 0xbb, 0x00, 0x00, 0x00, 0x00, 0x00 };
  static const guint8 frame[] = { 0x00, 0x00, 0x00, 0x03, 0x26, 0x01, 0xaf };
  static const guint8 opus_frame[] = { 0xfc, 0xff, 0xfe };
  GByteArray *out = g_byte_array_new ();
  g_autoptr (GByteArray) body = g_byte_array_new ();
  RtmpAmfValue *values[2];
  g_autoptr (GBytes) metadata = NULL;
  guint8 header[RTMP_FLV_FILE_HEADER_LEN];
  guint i;

  rtmp_flv_write_header (header,
      RTMP_FLV_HEADER_FLAG_AUDIO | RTMP_FLV_HEADER_FLAG_VIDEO);
  g_byte_array_append (out, header, sizeof (header));

  values[0] = rtmp_amf_value_new_string ("onMetaData");
  values[1] = rtmp_amf_value_new_ecma_array ();
  rtmp_amf_value_set_boolean_field (values[1], "hasVideo", TRUE);
  rtmp_amf_value_set_boolean_field (values[1], "hasAudio", TRUE);
  rtmp_amf_value_set_number_field (values[1], "videocodecid",
      RTMP_FLV_FOURCC_HVC1);
  rtmp_amf_value_set_number_field (values[1], "audiocodecid",
      RTMP_FLV_FOURCC_OPUS);
  metadata = rtmp_data_serialize ((const RtmpAmfValue *const *) values, 2);
  rtmp_amf_value_free (values[0]);
  rtmp_amf_value_free (values[1]);
  rtmp_flv_append_tag (out, RTMP_FLV_TAG_SCRIPT, 0,
      g_bytes_get_data (metadata, NULL), g_bytes_get_size (metadata));

  rtmp_flv_append_video_ex_header (body, RTMP_FLV_VIDEO_FRAME_KEY,
      RTMP_FLV_VIDEO_PACKET_SEQUENCE_START, RTMP_FLV_FOURCC_HVC1);
  g_byte_array_append (body, hvcc, sizeof (hvcc));
  append_tag (out, RTMP_FLV_TAG_VIDEO, 0, body);
  rtmp_flv_append_audio_ex_header (body, RTMP_FLV_AUDIO_PACKET_SEQUENCE_START,
      RTMP_FLV_FOURCC_OPUS);
  g_byte_array_append (body, opus_head, sizeof (opus_head));
  append_tag (out, RTMP_FLV_TAG_AUDIO, 0, body);

  for (i = 0; i < 4; i++) {
    if (i == 0) {
      /* CodedFrames with a composition time */
      rtmp_flv_append_video_ex_header (body, RTMP_FLV_VIDEO_FRAME_KEY,
          RTMP_FLV_VIDEO_PACKET_CODED_FRAMES, RTMP_FLV_FOURCC_HVC1);
      rtmp_flv_append_composition_time (body, 33);
    } else {
      /* CodedFramesX: composition time 0, not sent */
      rtmp_flv_append_video_ex_header (body, RTMP_FLV_VIDEO_FRAME_INTER,
          RTMP_FLV_VIDEO_PACKET_CODED_FRAMES_X, RTMP_FLV_FOURCC_HVC1);
    }
    g_byte_array_append (body, frame, sizeof (frame));
    append_tag (out, RTMP_FLV_TAG_VIDEO, i * 40, body);
    rtmp_flv_append_audio_ex_header (body, RTMP_FLV_AUDIO_PACKET_CODED_FRAMES,
        RTMP_FLV_FOURCC_OPUS);
    g_byte_array_append (body, opus_frame, sizeof (opus_frame));
    append_tag (out, RTMP_FLV_TAG_AUDIO, i * 40 + 20, body);
  }
  rtmp_flv_append_video_ex_header (body, RTMP_FLV_VIDEO_FRAME_KEY,
      RTMP_FLV_VIDEO_PACKET_SEQUENCE_END, RTMP_FLV_FOURCC_HVC1);
  append_tag (out, RTMP_FLV_TAG_VIDEO, 160, body);
  return g_byte_array_free_to_bytes (out);
}

static GBytes *
load_vector (const gchar *name)
{
  g_autofree gchar *path
      = g_build_filename (RTMP_TEST_FILES_DIR, "rtmpsrc", name, NULL);
  g_autoptr (GError) error = NULL;
  gchar *contents = NULL;
  gsize len = 0;

  fail_unless (g_file_get_contents (path, &contents, &len, &error), "%s",
      error ? error->message : "");
  return g_bytes_new_take (contents, len);
}

/* The vector is what our writers write (RTMP_TEST_WRITE_VECTORS=1
 * rewrites it) */
GST_START_TEST (test_enhanced_vector_matches_writers)
{
  g_autoptr (GBytes) built = build_enhanced_stream ();
  g_autoptr (GBytes) stored = NULL;

  if (g_getenv ("RTMP_TEST_WRITE_VECTORS")) {
    g_autofree gchar *path = g_build_filename (RTMP_TEST_FILES_DIR, "rtmpsrc",
        "enhanced-hevc-opus.flv", NULL);

    fail_unless (g_file_set_contents (path, g_bytes_get_data (built, NULL),
        g_bytes_get_size (built), NULL));
  }
  stored = load_vector ("enhanced-hevc-opus.flv");
  fail_unless (g_bytes_equal (built, stored));
}

GST_END_TEST;

/* Enhanced RTMP tags come out byte for byte as the publisher's FLV had
 * them */
GST_START_TEST (test_enhanced_rtmp_passthrough)
{
  g_autoptr (GBytes) vector = load_vector ("enhanced-hevc-opus.flv");
  FlvScript script = { vector, FALSE };
  Server *server = server_new (script_flv_file, &script, 1);
  Player player;
  g_autoptr (GPtrArray) buffers = NULL;
  g_autoptr (GByteArray) all = g_byte_array_new ();
  guint i;

  player_init (&player, server, NULL);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  buffers = player_pull_all (&player, NULL);
  assert_no_error (&player);
  for (i = 0; i < buffers->len; i++) {
    GstMapInfo map;
    const guint8 *name;
    gsize name_len;

    gst_buffer_map (buffers->pdata[i], &map, GST_MAP_READ);
    /* |RtmpSampleAccess is the server's, not the publisher's */
    if (!(i > 0 && map.data[0] == RTMP_FLV_TAG_SCRIPT
            && rtmp_flv_script_peek_name (map.data + RTMP_FLV_TAG_HEADER_LEN,
                map.size - RTMP_FLV_TAG_HEADER_LEN, &name, &name_len)
            && name_len == 17 && memcmp (name, "|RtmpSampleAccess", 17) == 0))
      g_byte_array_append (all, map.data, map.size);
    gst_buffer_unmap (buffers->pdata[i], &map);
  }
  fail_unless_equals_int (all->len, g_bytes_get_size (vector));
  fail_unless (
      memcmp (all->data, g_bytes_get_data (vector, NULL), all->len) == 0);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

/* --- with real elements --- */

static GBytes *
load_flv_file (void)
{
  g_autofree gchar *path
      = g_build_filename (RTMP_TEST_FILES_DIR, "flv", "gst-x264-aac.flv", NULL);
  gchar *contents = NULL;
  gsize len = 0;

  fail_unless (g_file_get_contents (path, &contents, &len, NULL));
  return g_bytes_new_take (contents, len);
}

static GstPadProbeReturn
count_buffers (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  g_atomic_int_inc ((gint *) data);
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement *demux, GstPad *pad, gpointer data)
{
  GstElement *pipeline = data;
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
  gint *counter = g_object_get_data (G_OBJECT (pipeline),
      g_str_has_prefix (GST_PAD_NAME (pad), "video") ? "video" : "audio");

  gst_bin_add (GST_BIN (pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_buffers, counter,
      NULL);
  gst_object_unref (sinkpad);
}

/* flvdemux gets every frame of a real file back */
GST_START_TEST (test_flvdemux_gets_every_frame)
{
  g_autoptr (GBytes) file = load_flv_file ();
  FlvScript script = { file, TRUE };
  Server *server = server_new (script_flv_file, &script, 1);
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = rtmp_test_make_element ("rtmpsrc", NULL);
  GstElement *demux = gst_element_factory_make ("flvdemux", NULL);
  g_autofree gchar *location
      = g_strdup_printf ("rtmp://127.0.0.1:%u/vod/file", server->port);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *message;
  gint video = 0, audio = 0;

  fail_unless (demux != NULL);
  g_object_set_data (G_OBJECT (pipeline), "video", &video);
  g_object_set_data (G_OBJECT (pipeline), "audio", &audio);
  g_object_set (src, "location", location, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, demux, NULL);
  fail_unless (gst_element_link (src, demux));
  g_signal_connect (demux, "pad-added", G_CALLBACK (on_pad_added), pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  message = gst_bus_timed_pop_filtered (bus, WAIT_MS * GST_MSECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (message != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (message), GST_MESSAGE_EOS);
  gst_message_unref (message);
  /* the file's 30 video and 31 audio frames (tests/files/README.md) */
  fail_unless_equals_int (g_atomic_int_get (&video), 30);
  fail_unless_equals_int (g_atomic_int_get (&audio), 31);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  server_free (server);
}

GST_END_TEST;

static void
on_source_setup (GstElement *playbin, GstElement *source, gpointer data)
{
  GstElement **out = data;

  *out = gst_object_ref (source);
}

/* playbin picks rtmpsrc for rtmp:// and plays to the end */
GST_START_TEST (test_playbin_uses_rtmpsrc)
{
  g_autoptr (GBytes) file = load_flv_file ();
  FlvScript script = { file, TRUE };
  Server *server = server_new (script_flv_file, &script, 1);
  GstElement *playbin = gst_element_factory_make ("playbin", NULL);
  GstElement *source = NULL;
  g_autofree gchar *uri
      = g_strdup_printf ("rtmp://127.0.0.1:%u/vod/file", server->port);
  GstBus *bus;
  GstMessage *message;

  rtmp_test_assert_plugin_is_ours ();
  fail_unless (playbin != NULL);
  g_object_set (playbin, "uri", uri, "video-sink",
      gst_element_factory_make ("fakesink", NULL), "audio-sink",
      gst_element_factory_make ("fakesink", NULL), NULL);
  g_signal_connect (playbin, "source-setup", G_CALLBACK (on_source_setup),
      &source);
  bus = gst_element_get_bus (playbin);
  gst_element_set_state (playbin, GST_STATE_PLAYING);
  message = gst_bus_timed_pop_filtered (bus, WAIT_MS * GST_MSECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (message != NULL);
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) error = NULL;

    gst_message_parse_error (message, &error, NULL);
    fail ("playbin: %s", error->message);
  }
  gst_message_unref (message);
  fail_unless (source != NULL);
  fail_unless_equals_string (GST_OBJECT_NAME (gst_element_get_factory (source)),
      "rtmpsrc");
  fail_unless (rtmp_test_element_is_ours (source));
  gst_element_set_state (playbin, GST_STATE_NULL);
  gst_object_unref (source);
  gst_object_unref (bus);
  gst_object_unref (playbin);
  server_free (server);
}

GST_END_TEST;

/* --- against the shared test peer (tests/common/rtmptestpeer.h) ---
 *
 * A second server implementation: the same expectations must hold. */

/* A player of @stream on @peer, with the peer's FLV file as its source */
static void
peer_player_init (Player *player, RtmpTestPeer *peer, const gchar *props)
{
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "stream1");

  player_init (player, NULL, props);
  g_object_set (player->src, "location", url, NULL);
}

static GBytes *load_flv_file (void);

static void
peer_add_flv_file (RtmpTestPeer *peer, GPtrArray **tags)
{
  g_autoptr (GBytes) file = load_flv_file ();
  g_autoptr (GError) error = NULL;

  fail_unless (rtmp_test_peer_add_play_flv (peer, file, &error), "%s",
      error ? error->message : "");
  if (tags) {
    g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
    gsize offset = 0;

    *tags = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_flv_tag_free);
    while (offset < g_bytes_get_size (file)) {
      RtmpFlvTag *tag = NULL;
      gsize consumed = 0;

      fail_unless (
          rtmp_flv_reader_read (reader, file, offset, &consumed, &tag, NULL)
          == RTMP_READ_OK);
      offset += consumed;
      g_ptr_array_add (*tags, tag);
    }
  }
}

/* The output's tags, without the server's |RtmpSampleAccess, equal the
 * file's: type, timestamp and body */
static void
check_same_tags (GPtrArray *buffers, GPtrArray *expected)
{
  Flv flv;
  guint i, j = 0;

  flv_parse (&flv, buffers);
  for (i = 0; i < flv.tags->len; i++) {
    RtmpFlvTag *tag = flv.tags->pdata[i];
    RtmpFlvTag *want;
    gsize len;
    const guint8 *data = g_bytes_get_data (tag->payload, &len);
    const guint8 *name;
    gsize name_len;

    if (tag->type == RTMP_FLV_TAG_SCRIPT
        && rtmp_flv_script_peek_name (data, len, &name, &name_len)
        && name_len == 17 && memcmp (name, "|RtmpSampleAccess", 17) == 0)
      continue;
    fail_unless (j < expected->len, "more tags than the file has");
    want = expected->pdata[j++];
    fail_unless_equals_int (tag->type, want->type);
    fail_unless_equals_int (tag->timestamp, want->timestamp);
    fail_unless (g_bytes_equal (tag->payload, want->payload), "tag %u differs",
        j - 1);
  }
  fail_unless_equals_int (j, expected->len);
  flv_clear (&flv);
}

static const RtmpTestPeerPlayEnd clean_ends[] = {
  RTMP_TEST_PEER_PLAY_END_COMPLETE,
  RTMP_TEST_PEER_PLAY_END_STOP,
  RTMP_TEST_PEER_PLAY_END_UNPUBLISH,
};

GST_START_TEST (test_peer_clean_endings)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (clean_ends); i++) {
    g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
    g_autoptr (GPtrArray) tags = NULL;
    g_autoptr (GPtrArray) buffers = NULL;
    Player player;

    peer_add_flv_file (peer, &tags);
    rtmp_test_peer_set_play_options (peer, FALSE, FALSE, FALSE, clean_ends[i]);
    peer_player_init (&player, peer, NULL);
    gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
    buffers = player_pull_all (&player, NULL);
    fail_unless (gst_app_sink_is_eos (GST_APP_SINK (player.sink)), "%u", i);
    assert_no_error (&player);
    check_same_tags (buffers, tags);
    player_clear (&player);
  }
}

GST_END_TEST;

GST_START_TEST (test_peer_broken_endings)
{
  static const RtmpTestPeerPlayEnd ends[] = {
    RTMP_TEST_PEER_PLAY_END_CLOSE,
    RTMP_TEST_PEER_PLAY_END_CLOSE_MID_MESSAGE,
  };
  static const gchar *const texts[]
      = { "closed the connection", "middle of a message" };
  static guint8 frame[2000] = { 0x27, 0x01 };
  g_autoptr (GBytes) big = g_bytes_new_static (frame, sizeof (frame));
  guint i;

  for (i = 0; i < G_N_ELEMENTS (ends); i++) {
    g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
    g_autoptr (GPtrArray) buffers = NULL;
    Player player;
    GstMessage *error;

    peer_add_flv_file (peer, NULL);
    /* a last message long enough for the peer's cut (half of its bytes)
     * to fall in its payload, not in its chunk header */
    rtmp_test_peer_add_play_media (peer, RTMP_MESSAGE_VIDEO, 1000, big);
    rtmp_test_peer_set_play_options (peer, FALSE, FALSE, FALSE, ends[i]);
    peer_player_init (&player, peer, NULL);
    gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
    buffers = player_pull_until_error (&player, &error);
    check_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, texts[i]);
    gst_message_unref (error);
    /* the header, and what came before the end */
    fail_unless (buffers->len > 60);
    player_clear (&player);

    /* rtmp2src's behaviour: EOS */
    g_clear_pointer (&buffers, g_ptr_array_unref);
    peer_player_init (&player, peer, "no-eof-is-error=false");
    gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
    buffers = player_pull_all (&player, NULL);
    fail_unless (gst_app_sink_is_eos (GST_APP_SINK (player.sink)));
    assert_no_error (&player);
    player_clear (&player);
  }
}

GST_END_TEST;

GST_START_TEST (test_peer_stalls)
{
  static const RtmpTestPeerPoint points[]
      = { RTMP_TEST_PEER_AT_HANDSHAKE, RTMP_TEST_PEER_AT_CONNECT,
          RTMP_TEST_PEER_AT_CREATE_STREAM, RTMP_TEST_PEER_AT_PLAY };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (points); i++) {
    g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
    Player player;
    GstMessage *error;
    gint64 elapsed_us;

    rtmp_test_peer_set_stall (peer, points[i]);
    peer_player_init (&player, peer, "timeout=1 play-type=live");
    gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
    error = player_expect_one_error (&player);
    check_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
        "timed out");
    gst_message_unref (error);
    fail_unless (player.phase_start_us != 0);
    elapsed_us = player.error_us - player.phase_start_us;
    fail_unless (elapsed_us < 2 * G_USEC_PER_SEC,
        "stall %u: the error took %" G_GINT64_FORMAT " ms", i,
        elapsed_us / 1000);
    player_clear (&player);
  }
}

GST_END_TEST;

GST_START_TEST (test_peer_rejections)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  Player player;
  GstMessage *error;

  /* play-type any: the state change fails, with one error */
  rtmp_test_peer_set_reject_play (peer, "NetStream.Play.StreamNotFound",
      "not here");
  peer_player_init (&player, peer, NULL);
  fail_unless_equals_int (
      gst_element_set_state (player.pipeline, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  error = player_expect_one_error (&player);
  check_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "stream1");
  gst_message_unref (error);
  player_clear (&player);

  rtmp_test_peer_set_reject_play (peer, NULL, NULL);
  rtmp_test_peer_set_reject_connect (peer, "go away");
  peer_player_init (&player, peer, "play-type=live");
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  error = player_expect_one_error (&player);
  check_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "go away");
  gst_message_unref (error);
  player_clear (&player);
}

GST_END_TEST;

GST_START_TEST (test_peer_garbage)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  Player player;
  GstMessage *error;
  g_autoptr (GPtrArray) buffers = NULL;

  rtmp_test_peer_set_garbage_at (peer, RTMP_TEST_PEER_AT_STARTED, 64);
  peer_player_init (&player, peer, "play-type=live");
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  buffers = player_pull_until_error (&player, &error);
  check_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, NULL);
  gst_message_unref (error);
  player_clear (&player);

  /* garbage for a handshake answer */
  rtmp_test_peer_set_garbage_at (peer, RTMP_TEST_PEER_AT_HANDSHAKE, 64);
  peer_player_init (&player, peer, "play-type=live");
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  error = player_expect_one_error (&player);
  check_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, NULL);
  gst_message_unref (error);
  player_clear (&player);
}

GST_END_TEST;

/* A server restart: the live stream goes on after reconnecting, through a
 * refused first attempt */
GST_START_TEST (test_peer_reconnect_after_restart)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  Player player;
  GstStructure *stats = NULL;
  guint reconnects = 0, i, discont = 0;

  peer_add_flv_file (peer, NULL);
  rtmp_test_peer_set_play_options (peer, TRUE, TRUE, FALSE,
      RTMP_TEST_PEER_PLAY_END_NONE);
  peer_player_init (&player, peer,
      "play-type=live reconnect-attempts=5 reconnect-delay=100");
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  for (i = 0; i < 20; i++) {
    GstBuffer *buffer = player_pull (&player, NULL);

    fail_unless (buffer != NULL);
    gst_buffer_unref (buffer);
  }
  rtmp_test_peer_refuse_connections (peer, 150);
  rtmp_test_peer_drop_connections (peer);
  fail_unless (rtmp_test_peer_wait_for_connections (peer, 2, WAIT_MS));
  for (i = 0; i < 40; i++) {
    GstBuffer *buffer = player_pull (&player, NULL);

    fail_unless (buffer != NULL);
    discont += GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT);
    gst_buffer_unref (buffer);
  }
  fail_unless (discont >= 1);
  assert_no_error (&player);
  g_object_get (player.src, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint (stats, "reconnects", &reconnects));
  fail_unless (reconnects >= 1);
  gst_structure_free (stats);
  player_clear (&player);
}

GST_END_TEST;

/* Enhanced RTMP ReconnectRequest: the client moves, the stream goes on */
GST_START_TEST (test_peer_reconnect_request)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  Player player;
  guint i;

  peer_add_flv_file (peer, NULL);
  rtmp_test_peer_set_play_options (peer, TRUE, TRUE, FALSE,
      RTMP_TEST_PEER_PLAY_END_NONE);
  peer_player_init (&player, peer,
      "play-type=live reconnect-attempts=1 reconnect-delay=0");
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  for (i = 0; i < 10; i++) {
    GstBuffer *buffer = player_pull (&player, NULL);

    fail_unless (buffer != NULL);
    gst_buffer_unref (buffer);
  }
  fail_unless_equals_int (
      rtmp_test_peer_send_reconnect_request (peer, NULL, "maintenance"), 1);
  fail_unless (rtmp_test_peer_wait_for_connections (peer, 2, WAIT_MS));
  for (i = 0; i < 20; i++) {
    GstBuffer *buffer = player_pull (&player, NULL);

    fail_unless (buffer != NULL);
    gst_buffer_unref (buffer);
  }
  assert_no_error (&player);
  player_clear (&player);
}

GST_END_TEST;

/* What rtmpsrc asks for: connect (with the Enhanced RTMP FourCCs),
 * createStream, play of the stream; closeStream and deleteStream when it
 * stops */
GST_START_TEST (test_peer_commands)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autoptr (RtmpAmfValue) object = NULL;
  g_auto (GStrv) commands = NULL;
  g_autofree gchar *stream = NULL;
  g_autofree gchar *joined = NULL;
  const RtmpAmfValue *list;
  Player player;
  GstBuffer *buffer;

  peer_add_flv_file (peer, NULL);
  peer_player_init (&player, peer, "enhanced-codecs=hvc1,Opus");
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  buffer = player_pull (&player, NULL);
  fail_unless (buffer != NULL);
  gst_buffer_unref (buffer);
  player_clear (&player);
  fail_unless (rtmp_test_peer_wait_for_ended (peer, 1, WAIT_MS));

  object = rtmp_test_peer_dup_connect_object (peer, 0);
  fail_unless (object != NULL);
  list = rtmp_amf_value_peek_field (object, "fourCcList");
  fail_unless (list != NULL, "no fourCcList in connect");
  fail_unless_equals_int (rtmp_amf_value_get_n_items (list), 2);
  stream = rtmp_test_peer_dup_stream_name (peer, 0);
  fail_unless_equals_string (stream, "stream1");
  commands = rtmp_test_peer_dup_commands (peer, 0);
  joined = g_strjoinv (" ", commands);
  GST_INFO ("commands: %s", joined);
  fail_unless (g_str_has_prefix (joined, "connect createStream play"), "%s",
      joined);
  fail_unless (strstr (joined, "closeStream") != NULL, "%s", joined);
  fail_unless (strstr (joined, "deleteStream") != NULL, "%s", joined);
}

GST_END_TEST;

/* A recorded stream seeks on the server and goes on from there */
GST_START_TEST (test_peer_recorded_seek)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autoptr (GPtrArray) buffers = NULL;
  g_auto (GStrv) commands = NULL;
  g_autofree gchar *joined = NULL;
  Player player;
  guint i;

  peer_add_flv_file (peer, NULL);
  rtmp_test_peer_set_play_options (peer, TRUE, FALSE, TRUE,
      RTMP_TEST_PEER_PLAY_END_COMPLETE);
  peer_player_init (&player, peer, NULL);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  for (i = 0; i < 10; i++) {
    GstBuffer *buffer = player_pull (&player, NULL);

    fail_unless (buffer != NULL);
    gst_buffer_unref (buffer);
  }
  fail_if (gst_base_src_is_live (GST_BASE_SRC (player.src)));
  fail_unless (gst_element_seek_simple (player.pipeline, GST_FORMAT_TIME,
      GST_SEEK_FLAG_FLUSH, 600 * GST_MSECOND));
  buffers = player_pull_all (&player, NULL);
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (player.sink)));
  assert_no_error (&player);
  fail_unless (buffers->len > 5);
  for (i = 0; i < buffers->len; i++)
    fail_unless (GST_BUFFER_DTS (buffers->pdata[i]) >= 600 * GST_MSECOND,
        "buffer %u at %" GST_TIME_FORMAT, i,
        GST_TIME_ARGS (GST_BUFFER_DTS (buffers->pdata[i])));
  commands = rtmp_test_peer_dup_commands (peer, 0);
  joined = g_strjoinv (" ", commands);
  fail_unless (strstr (joined, "seek") != NULL, "%s", joined);
  player_clear (&player);
}

GST_END_TEST;

/* After EOS, a recorded stream can be seeked back and played again */
GST_START_TEST (test_peer_seek_after_eos)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autoptr (GPtrArray) played = NULL;
  g_autoptr (GPtrArray) replayed = NULL;
  Player player;

  peer_add_flv_file (peer, NULL);
  rtmp_test_peer_set_play_options (peer, FALSE, FALSE, TRUE,
      RTMP_TEST_PEER_PLAY_END_COMPLETE);
  peer_player_init (&player, peer, NULL);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  played = player_pull_all (&player, NULL);
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (player.sink)));
  fail_unless (gst_element_seek_simple (player.pipeline, GST_FORMAT_TIME,
      GST_SEEK_FLAG_FLUSH, 0));
  replayed = player_pull_all (&player, NULL);
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (player.sink)));
  assert_no_error (&player);
  /* the file's 65 tags again (the first run also had the FLV header and
   * |RtmpSampleAccess) */
  fail_unless_equals_int (played->len, 1 + 1 + 65);
  fail_unless_equals_int (replayed->len, 65);
  fail_unless (
      GST_BUFFER_FLAG_IS_SET (replayed->pdata[0], GST_BUFFER_FLAG_DISCONT));
  fail_unless_equals_uint64 (GST_BUFFER_DTS (replayed->pdata[0]), 0);
  player_clear (&player);
}

GST_END_TEST;

/* create () reads the socket itself while it waits; a streaming thread
 * held downstream does not stop the reading: the I/O thread takes it back
 * (and answers the server) until the queue's bound */
GST_START_TEST (test_reading_goes_on_while_downstream_blocks)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  Player player;
  GstBuffer *buffer;
  GstPad *pad;
  gulong probe;
  guint64 blocked_at, later;

  peer_add_flv_file (peer, NULL);
  /* live, in real time, endless */
  rtmp_test_peer_set_play_options (peer, TRUE, TRUE, FALSE,
      RTMP_TEST_PEER_PLAY_END_NONE);
  peer_player_init (&player, peer, NULL);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  buffer = player_pull (&player, NULL);
  fail_unless (buffer != NULL);
  gst_buffer_unref (buffer);

  pad = gst_element_get_static_pad (player.src, "src");
  probe = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, NULL,
      NULL, NULL);
  g_usleep (300 * 1000);
  blocked_at = get_in_bytes (player.src);
  g_usleep (1500 * 1000);
  later = get_in_bytes (player.src);
  GST_INFO ("read %" G_GUINT64_FORMAT " bytes while blocked",
      later - blocked_at);
  fail_unless (later > blocked_at + 4096,
      "nothing read while the streaming thread was blocked (%" G_GUINT64_FORMAT
      " -> %" G_GUINT64_FORMAT ")",
      blocked_at, later);
  gst_pad_remove_probe (pad, probe);
  gst_object_unref (pad);

  buffer = player_pull (&player, NULL);
  fail_unless (buffer != NULL);
  gst_buffer_unref (buffer);
  assert_no_error (&player);
  player_clear (&player);
}

GST_END_TEST;

/* --- bus messages and stats --- */

GST_START_TEST (test_state_messages_and_stats)
{
  static const gchar *const states[]
      = { "connecting", "handshaking", "connected", "playing" };
  Server *server = server_new (script_silent, GUINT_TO_POINTER (10), 1);
  Player player;
  GstStructure *stats = NULL;
  GstMessage *message;
  guint64 video_bytes = 0, audio_messages = 0;
  guint i, next = 0;

  player_init (&player, server, NULL);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  for (i = 0; i < 24; i++) {
    GstBuffer *buffer = player_pull (&player, NULL);

    fail_unless (buffer != NULL);
    gst_buffer_unref (buffer);
  }
  while (next < G_N_ELEMENTS (states)
      && (message = gst_bus_pop_filtered (player.bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (message);
    g_autofree gchar *url = NULL;

    if (gst_structure_has_name (s, "rtmp-state")) {
      fail_unless_equals_string (gst_structure_get_string (s, "state"),
          states[next]);
      url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/stream1", server->port);
      fail_unless_equals_string (gst_structure_get_string (s, "url"), url);
      next++;
    }
    gst_message_unref (message);
  }
  fail_unless_equals_int (next, G_N_ELEMENTS (states));

  g_object_get (player.src, "stats", &stats, NULL);
  fail_unless (
      gst_structure_get_uint64 (stats, "in-bytes-video", &video_bytes));
  fail_unless (
      gst_structure_get_uint64 (stats, "in-messages-audio", &audio_messages));
  fail_unless (video_bytes > 10 * 11);
  fail_unless_equals_uint64 (audio_messages, 11);
  gst_structure_free (stats);
  player_clear (&player);
  server_free (server);
}

GST_END_TEST;

static Suite *
rtmpsrc_suite (void)
{
  Suite *s = suite_create ("rtmpsrc");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties_and_defaults);
  tcase_add_test (tc, test_takes_rtmp2src_properties);
  tcase_add_test (tc, test_uri_handler);
  tcase_add_test (tc, test_live_timestamps_and_streamheader);
  tcase_add_test (tc, test_recorded_prerolls_with_duration);
  tcase_add_test (tc, test_recorded_start_and_duration);
  tcase_add_test (tc, test_clean_endings);
  tcase_add_test (tc, test_broken_connection_is_error);
  tcase_add_test (tc, test_broken_mid_message_is_error);
  tcase_add_test (tc, test_broken_without_no_eof_is_error_is_eos);
  tcase_add_test (tc, test_stream_not_found);
  tcase_add_test (tc, test_stream_not_found_live);
  tcase_add_test (tc, test_stalled_phases);
  tcase_add_test (tc, test_stalled_tcp_connect);
  tcase_add_test (tc, test_garbage_from_server);
  tcase_add_test (tc, test_async_connect_false);
  tcase_add_test (tc, test_unlock_interrupts_waiting);
  tcase_add_test (tc, test_idle_timeout);
  tcase_add_test (tc, test_seek);
  tcase_add_test (tc, test_pause_resumes_server);
  tcase_add_test (tc, test_backpressure_bounds_the_queue);
  tcase_add_test (tc, test_reconnect_live);
  tcase_add_test (tc, test_amf3_data_becomes_amf0);
  tcase_add_test (tc, test_aggregate_split);
  tcase_add_test (tc, test_header_flags_from_first_tags);
  tcase_add_test (tc, test_timestamp_wrap);
  tcase_add_test (tc, test_enhanced_vector_matches_writers);
  tcase_add_test (tc, test_enhanced_rtmp_passthrough);
  tcase_add_test (tc, test_flvdemux_gets_every_frame);
  tcase_add_test (tc, test_playbin_uses_rtmpsrc);
  tcase_add_test (tc, test_state_messages_and_stats);
  tcase_add_test (tc, test_peer_clean_endings);
  tcase_add_test (tc, test_peer_broken_endings);
  tcase_add_test (tc, test_peer_stalls);
  tcase_add_test (tc, test_peer_rejections);
  tcase_add_test (tc, test_peer_garbage);
  tcase_add_test (tc, test_peer_reconnect_after_restart);
  tcase_add_test (tc, test_peer_reconnect_request);
  tcase_add_test (tc, test_peer_commands);
  tcase_add_test (tc, test_peer_recorded_seek);
  tcase_add_test (tc, test_peer_seek_after_eos);
  tcase_add_test (tc, test_reading_goes_on_while_downstream_blocks);
  return s;
}

GST_CHECK_MAIN (rtmpsrc);
