/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmpsink: publishes an FLV stream to an RTMP or RTMPS server, or serves
 * it to players itself (server mode). */

/**
 * SECTION:element-rtmpsink
 * @title: rtmpsink
 *
 * Publishes an FLV stream to an RTMP or RTMPS server. Every property of
 * rtmp2sink works here with the same meaning, so a pipeline can swap the
 * element name; on top of it rtmpsink reconnects when an established
 * connection drops (#GstRtmpSink:reconnect-attempts), never hangs the
 * pipeline (#GstRtmpSink:timeout bounds every phase, including the final
 * flush at EOS), reports its state on the bus (the `rtmp-state` element
 * message) and publishes FLV files as they are
 * (#GstRtmpSink:realtime paces them like `ffmpeg -re`).
 *
 * Each FLV tag of the input becomes one RTMP message (video 9, audio 8,
 * script data 18 as `@setDataFrame onMetaData`), whatever way upstream
 * splits the stream into buffers; Enhanced RTMP tags (HEVC, AV1, VP9, Opus
 * with FourCC headers) pass through unchanged. The `streamheader` of the
 * caps (FLV header, onMetaData, sequence headers, as `flvmux
 * streamable=true` sends them) is sent once per connection, again after a
 * reconnect, and changed headers are sent on.
 *
 * The outgoing chunk size defaults to 4096 bytes where rtmp2sink uses 128,
 * which costs both ends several times the CPU; #GstRtmpSink:chunk-size can
 * be changed while playing.
 *
 * ## Server mode
 *
 * With #GstRtmpSink:mode `server` no RTMP server is needed: rtmpsink
 * listens on the host and port of its location (`rtmp://0.0.0.0:1935/...`,
 * `rtmp://[::]:1935/...`, or `rtmps://` with
 * #GstRtmpSink:tls-certificate-file and #GstRtmpSink:tls-key-file) and
 * serves the location's application and stream to up to
 * #GstRtmpSink:max-clients players at once (ffplay, VLC, rtmpdump,
 * rtmp2src, rtmpsrc). A player that joins mid-stream receives the
 * metadata, the sequence headers and the current GOP
 * (#GstRtmpSink:gop-cache-bytes) first, so it starts at once, at a
 * keyframe. Every player has a bounded queue; one that cannot keep up
 * loses whole GOPs or is disconnected (#GstRtmpSink:slow-client-policy):
 * the pipeline and the other players never wait for it. Players may pause,
 * resume, close their stream and leave at any time; at EOS they receive
 * NetStream.Play.Stop.
 *
 * All server-mode elements of a process that name the same address and
 * port share one listening socket; connections are routed by application,
 * stream key (the stream name without its query string) and direction,
 * and a player asking for anything else is refused
 * (NetConnection.Connect.Rejected, NetStream.Play.StreamNotFound). With
 * #GstRtmpSink:username and #GstRtmpSink:password, players must pass Adobe
 * authentication (`rtmp://user:password@host/...` in FFmpeg). The element
 * posts the messages `rtmp-client-connected`, `rtmp-client-refused` and
 * `rtmp-client-disconnected` (address, app, stream, kind, reason, code),
 * and #GstRtmpSink:stats lists every player (`clients`). A server does not
 * preroll (it sets #GstBaseSink:async to FALSE): it has no one to wait for,
 * and waiting would hold other branches of the pipeline.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency ! \
 *     flvmux streamable=true ! rtmpsink location=rtmp://127.0.0.1/live/cam1
 * ]| Encodes a test pattern and publishes it as stream "cam1" of application
 * "live".
 * |[
 * gst-launch-1.0 filesrc location=clip.flv ! rtmpsink realtime=true \
 *     location=rtmps://live.example.com/app/streamkey
 * ]| Publishes a file over TLS, paced by its own timestamps.
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency \
 *     key-int-max=60 ! flvmux streamable=true name=m ! rtmpsink mode=server \
 *     location=rtmp://0.0.0.0:1935/live/cam1 \
 *     audiotestsrc is-live=true ! voaacenc ! m.
 * ]| Serves the stream itself: `ffplay rtmp://HOST/live/cam1` plays it.
 */

#include "config.h"
#include "gstrtmpsink.h"
#include "gstrtmpelement.h"
#include "gstrtmpelements.h"
#include "gstrtmpfanout.h"
#include "gstrtmpserver.h"
#include "rtmpchunk.h"
#include "rtmpflv.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtmp_sink_debug);
#define GST_CAT_DEFAULT gst_rtmp_sink_debug

#define DEFAULT_CHUNK_SIZE 4096
#define DEFAULT_STOP_COMMANDS \
  (RTMP_STOP_COMMANDS_FCUNPUBLISH | RTMP_STOP_COMMANDS_DELETE_STREAM)
#define DEFAULT_PEAK_KBPS 0
#define DEFAULT_MAX_QUEUE_TIME 0
#define DEFAULT_REALTIME FALSE
#define DEFAULT_PUBLISH_TYPE RTMP_PUBLISH_TYPE_LIVE
#define DEFAULT_MAX_CLIENTS 100
#define DEFAULT_SLOW_CLIENT_POLICY GST_RTMP_SLOW_CLIENT_POLICY_DROP_GOP
#define DEFAULT_GOP_CACHE_BYTES (4 * 1024 * 1024)

/* Server mode: a player whose queued, unacknowledged bytes pass this is
 * slow (slow-client-policy). A joining player receives the cached GOP at
 * once, so the bound is well above gop-cache-bytes. */
#define MIN_PLAYER_QUEUE_BYTES (2 * 1024 * 1024)
#define PLAYER_QUEUE_BYTES(gop_cache_bytes) \
  MAX (2 * (gop_cache_bytes), MIN_PLAYER_QUEUE_BYTES)

/* Bytes queued for the socket before render blocks (max-queue-time 0) or
 * drops (max-queue-time > 0): a bound, whatever the link does */
#define MAX_QUEUED_BYTES (4 * 1024 * 1024)

enum
{
  PROP_0,
  PROP_STATS,
  PROP_CHUNK_SIZE,
  PROP_STOP_COMMANDS,
  PROP_PEAK_KBPS,
  PROP_MAX_QUEUE_TIME,
  PROP_REALTIME,
  PROP_PUBLISH_TYPE,
  PROP_MAX_CLIENTS,
  PROP_SLOW_CLIENT_POLICY,
  PROP_GOP_CACHE_BYTES,
  PROP_FIRST_SHARED,
};

#define GST_TYPE_RTMP_SINK_PUBLISH_TYPE (gst_rtmp_sink_publish_type_get_type ())

static GType
gst_rtmp_sink_publish_type_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    { RTMP_PUBLISH_TYPE_LIVE, "Live: nothing is recorded", "live" },
    { RTMP_PUBLISH_TYPE_RECORD, "Record into a new file", "record" },
    { RTMP_PUBLISH_TYPE_APPEND, "Append to the recording", "append" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&id)) {
    GType type = g_enum_register_static ("RtmpGstPublishType", values);
    g_once_init_leave (&id, type);
  }
  return id;
}

/* The headers a player needs before anything else: sent first on every
 * connection, and each one again when it changes */
typedef enum
{
  HEADER_METADATA,
  HEADER_VIDEO,
  HEADER_AUDIO,
  N_HEADERS
} HeaderKind;

/* A message sent, for measuring how much media waits in the send queue */
typedef struct
{
  guint64 queued_total; /* the queue's pushed total after it */
  guint32 timestamp;
} QueuedMark;

struct _GstRtmpSink
{
  GstBaseSink parent;

  /* properties, under the object lock */
  GstRtmpElementSettings settings;
  guint32 chunk_size;
  RtmpStopCommands stop_commands;
  guint peak_kbps;
  guint64 max_queue_time;
  gboolean realtime;
  RtmpPublishType publish_type;
  guint max_clients;
  GstRtmpSlowClientPolicy slow_client_policy;
  guint64 gop_cache_bytes;

  /* Server mode: created in start (), freed in stop () (the route first, so
   * that no callback uses the fan-out after it); the streaming thread and
   * the route's callbacks use them without a lock, get_stats () under
   * self->lock. Lock order: self->lock, then the fan-out's. */
  gboolean is_server;
  GstRtmpServerRoute *route;
  GstRtmpFanout *fanout;

  /* Connection state shared with the client's callbacks (I/O threads).
   * Lock order: the client's callback locks, then self->lock; the
   * streaming thread never holds self->lock while it calls into the
   * client or a connection. */
  GMutex lock;
  GCond cond;
  GstRtmpClient *client; /* created in start () or the first render */
  GstRtmpConnection *publishing_connection; /* ref; NULL unless
                                                 * publishing */
  guint connection_serial; /* +1 per connection that starts publishing */
  gboolean is_reconnecting;
  gboolean is_flushing;
  gboolean error_posted;
  gboolean is_posting_error;
  guint reconnects;              /* as the client reported them */
  GstRtmpClientState last_state; /* as reported on the bus */
  gchar *display_url;

  /* streaming thread only */
  RtmpFlvReader *reader;
  GBytes *headers[N_HEADERS]; /* the current header tags' bodies */
  guint32 header_timestamps[N_HEADERS];
  gboolean header_sent[N_HEADERS]; /* on the current connection */
  guint sent_serial;               /* connection the headers were sent on */
  gboolean need_keyframe;          /* resume at a keyframe after a reconnect */
  gboolean has_video;
  gboolean is_dropping_run; /* max-queue-time: dropping to a keyframe */
  GQueue queued_marks;      /* QueuedMark * */
  gboolean realtime_started;
  gint64 realtime_base_us;
  guint32 realtime_first_ts;
  gint64 pacing_start_us; /* peak-kbps */
  guint64 pacing_bytes;
  guint32 applied_chunk_size;

  /* stats, under the object lock */
  guint64 dropped_frames;
  guint64 dropped_bytes;
  guint64 stats_bytes_at_mark;
  gint64 stats_mark_us;
  guint64 bitrate;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-flv"));

static void gst_rtmp_sink_uri_handler_init (gpointer g_iface,
    gpointer iface_data);

#define gst_rtmp_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstRtmpSink, gst_rtmp_sink, GST_TYPE_BASE_SINK,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
        gst_rtmp_sink_uri_handler_init));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtmpsink, "rtmpsink",
    GST_RTMP_ELEMENT_RANK, GST_TYPE_RTMP_SINK,
    GST_DEBUG_CATEGORY_INIT (gst_rtmp_sink_debug, "rtmpsink", 0,
        "RTMP publisher"));

static void
gst_rtmp_sink_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  gst_rtmp_element_uri_handler_init (g_iface, GST_URI_SINK);
}

/* --- client callbacks (I/O threads) --- */

static void
on_client_state (GstRtmpClient *client, GstRtmpClientState state,
    const gchar *reason, guint attempt, gpointer user_data)
{
  GstRtmpSink *self = user_data;

  g_mutex_lock (&self->lock);
  self->last_state = state;
  if (state == GST_RTMP_CLIENT_STATE_RECONNECTING)
    self->reconnects++;
  if (state == GST_RTMP_CLIENT_STATE_RECONNECTING
      || state == GST_RTMP_CLIENT_STATE_STOPPED) {
    g_clear_pointer (&self->publishing_connection, gst_rtmp_connection_unref);
    self->is_reconnecting = state == GST_RTMP_CLIENT_STATE_RECONNECTING;
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);

  gst_rtmp_element_post_state (GST_ELEMENT (self), state,
      gst_rtmp_client_get_display_url (client), reason, attempt);
}

static void
on_client_event (GstRtmpClient *client, GstRtmpConnection *connection,
    RtmpSessionEvent *event, gpointer user_data)
{
  GstRtmpSink *self = user_data;

  switch (event->type) {
    case RTMP_SESSION_EVENT_PUBLISHING:
      g_mutex_lock (&self->lock);
      g_clear_pointer (&self->publishing_connection, gst_rtmp_connection_unref);
      self->publishing_connection = gst_rtmp_connection_ref (connection);
      self->connection_serial++;
      self->is_reconnecting = FALSE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    case RTMP_SESSION_EVENT_STATUS: {
      gboolean publishing;
      const gchar *tc_url;

      g_mutex_lock (&self->lock);
      publishing = self->publishing_connection == connection;
      g_mutex_unlock (&self->lock);

      if (g_strcmp0 (event->code, "NetConnection.Connect.ReconnectRequest")
          == 0) {
        /* Enhanced RTMP: the server asks us to move, maybe elsewhere */
        g_autoptr (GError) error = g_error_new (RTMP_ERROR, RTMP_ERROR_CLOSED,
            "the server asked to reconnect%s%s", event->description ? ": " : "",
            event->description ? event->description : "");

        tc_url = rtmp_amf_value_lookup_string (event->info, "tcUrl");
        gst_rtmp_client_reconnect (client, error, tc_url);
      } else if (publishing && g_strcmp0 (event->level, "error") == 0) {
        /* an error status mid-stream ends publishing: never ignored */
        g_autoptr (GError) error = g_error_new (RTMP_ERROR, RTMP_ERROR_REJECTED,
            "the server stopped the stream: %s%s%s",
            event->code ? event->code : "(no code)",
            event->description ? ": " : "",
            event->description ? event->description : "");

        gst_rtmp_client_reconnect (client, error, NULL);
      } else {
        GST_INFO_OBJECT (self, "status on stream %u: %s %s %s",
            event->stream_id, GST_STR_NULL (event->level),
            GST_STR_NULL (event->code), GST_STR_NULL (event->description));
      }
      break;
    }
    default:
      break;
  }
}

static void
on_client_error (GstRtmpClient *client, const GError *error, gpointer user_data)
{
  GstRtmpSink *self = user_data;
  gboolean post;
  gboolean established;

  g_mutex_lock (&self->lock);
  post = !self->error_posted && !self->is_posting_error && !self->is_flushing;
  self->is_posting_error = TRUE;
  established = self->connection_serial > 0;
  g_clear_pointer (&self->publishing_connection, gst_rtmp_connection_unref);
  self->is_reconnecting = FALSE;
  g_mutex_unlock (&self->lock);

  /* posted before render can see it and return an error flow, so that our
   * message, which says what happened, is the first on the bus */
  if (post)
    gst_rtmp_element_post_error (GST_ELEMENT (self), error,
        gst_rtmp_client_get_display_url (client), TRUE, established);

  g_mutex_lock (&self->lock);
  self->error_posted = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static const GstRtmpClientCallbacks client_callbacks = {
  .state = on_client_state,
  .event = on_client_event,
  .error = on_client_error,
};

/* --- server mode: the route's callbacks (I/O threads) --- */

static gboolean
on_server_request (GstRtmpServerRoute *route, GstRtmpServerClient *client,
    gchar **refusal, gpointer user_data)
{
  GstRtmpSink *self = user_data;

  return gst_rtmp_fanout_add_player (self->fanout, client, refusal);
}

static void
on_server_pause (GstRtmpServerRoute *route, GstRtmpServerClient *client,
    gboolean paused, gpointer user_data)
{
  GstRtmpSink *self = user_data;

  GST_DEBUG_OBJECT (self, "%s %s", gst_rtmp_server_client_get_address (client),
      paused ? "paused" : "resumed");
  gst_rtmp_fanout_set_paused (self->fanout, client, paused);
}

static void
on_server_gone (GstRtmpServerRoute *route, GstRtmpServerClient *client,
    const gchar *reason, gpointer user_data)
{
  GstRtmpSink *self = user_data;

  GST_DEBUG_OBJECT (self, "%s left: %s",
      gst_rtmp_server_client_get_address (client), reason);
  gst_rtmp_fanout_remove_player (self->fanout, client);
}

static const GstRtmpServerRouteCallbacks server_callbacks = {
  .request = on_server_request,
  .pause = on_server_pause,
  .gone = on_server_gone,
};

/* Listens on the location's host and port and serves its application and
 * stream to players */
static gboolean
start_server (GstRtmpSink *self)
{
  GstRtmpElementSettings *s = &self->settings;
  GstRtmpServerRouteConfig config = {
    0,
  };
  GstRtmpFanoutSettings fanout = {
    0,
  };
  g_autofree gchar *host = NULL, *app = NULL, *stream = NULL, *user = NULL,
                   *password = NULL, *cert = NULL, *key = NULL;
  g_autoptr (GError) error = NULL;
  GstRtmpServerRoute *route;

  GST_OBJECT_LOCK (self);
  host = g_strdup (s->host);
  app = g_strdup (s->application);
  stream = g_strdup (s->stream);
  user = g_strdup (s->username);
  password = g_strdup (s->password);
  cert = g_strdup (s->tls_certificate_file);
  key = g_strdup (s->tls_key_file);
  config.port = s->port;
  config.use_tls = rtmp_scheme_is_tls (s->scheme);
  config.timeout_s = s->timeout_s;
  config.idle_timeout_s = s->idle_timeout_s;
  config.chunk_size = self->chunk_size;
  fanout.max_clients = self->max_clients;
  fanout.policy = self->slow_client_policy;
  fanout.gop_cache_bytes = self->gop_cache_bytes;
  GST_OBJECT_UNLOCK (self);

  fanout.max_queue_bytes = PLAYER_QUEUE_BYTES (fanout.gop_cache_bytes);
  config.element = GST_ELEMENT (self);
  config.host = host;
  config.application = app;
  config.stream = stream;
  config.kind = GST_RTMP_SERVER_ROUTE_PLAY;
  config.username = user;
  config.password = password;
  config.tls_certificate_file = cert;
  config.tls_key_file = key;
  /* the hard bound of the listener's sweep, for players that make their
   * queue grow by themselves (command floods) whatever the policy */
  config.max_backlog_bytes = 4 * fanout.max_queue_bytes;

  self->fanout = gst_rtmp_fanout_new (&fanout);
  route = gst_rtmp_server_route_new (&config, &server_callbacks, self, NULL,
      &error);
  if (route == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not serve rtmp%s://%s:%u/%s/%s: %s", config.use_tls ? "s" : "",
            host, config.port, app, stream, error->message),
        ("%s (%s %d)", error->message, g_quark_to_string (error->domain),
            error->code));
    g_clear_pointer (&self->fanout, gst_rtmp_fanout_free);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  self->route = route;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
stop_server (GstRtmpSink *self)
{
  GstRtmpServerRoute *route;
  GstRtmpFanout *fanout;

  g_mutex_lock (&self->lock);
  route = g_steal_pointer (&self->route);
  g_mutex_unlock (&self->lock);
  /* players hear that the stream ends (what their sockets take now), then
   * their connections close */
  if (self->fanout)
    gst_rtmp_fanout_end (self->fanout);
  /* without self->lock: it waits for running callbacks; none runs after */
  gst_rtmp_server_route_free (route);
  g_mutex_lock (&self->lock);
  fanout = g_steal_pointer (&self->fanout);
  g_mutex_unlock (&self->lock);
  gst_rtmp_fanout_free (fanout);
}

/* --- starting and stopping --- */

static gboolean
start_client (GstRtmpSink *self)
{
  GstRtmpClientSettings settings;
  g_autoptr (RtmpUrl) url = NULL;
  g_autoptr (RtmpAmfValue) extra = NULL;
  g_auto (GStrv) fourccs = NULL;
  g_autoptr (GError) error = NULL;
  GstRtmpClient *client;

  if (!gst_rtmp_element_build_client_settings (GST_ELEMENT (self),
          &self->settings, RTMP_SESSION_INTENT_PUBLISH, &settings, &url, &extra,
          &fourccs, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid settings: %s", error->message), (NULL));
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  settings.chunk_size = self->chunk_size;
  settings.publish_type = self->publish_type;
  self->applied_chunk_size = self->chunk_size;
  GST_OBJECT_UNLOCK (self);

  client = gst_rtmp_client_new (&settings, &client_callbacks, self);
  g_mutex_lock (&self->lock);
  self->client = client;
  g_free (self->display_url);
  self->display_url = g_strdup (gst_rtmp_client_get_display_url (client));
  g_mutex_unlock (&self->lock);
  gst_rtmp_client_start (client);
  return TRUE;
}

static void
reset_stream_state (GstRtmpSink *self)
{
  guint i;

  g_clear_pointer (&self->reader, rtmp_flv_reader_free);
  for (i = 0; i < N_HEADERS; i++) {
    g_clear_pointer (&self->headers[i], g_bytes_unref);
    self->header_sent[i] = FALSE;
  }
  self->sent_serial = 0;
  self->need_keyframe = FALSE;
  self->has_video = FALSE;
  self->is_dropping_run = FALSE;
  g_queue_clear_full (&self->queued_marks, g_free);
  self->realtime_started = FALSE;
  self->pacing_start_us = 0;
  self->pacing_bytes = 0;
}

/* Called from change_state, not as GstBaseSink's start: a start () that
 * fails makes GstBaseSink post a second, generic "Failed to start" error
 * after ours */
static gboolean
gst_rtmp_sink_start (GstRtmpSink *self)
{
  g_autoptr (GError) error = NULL;
  gboolean async_connect;
  GstRtmpElementMode mode;

  if (!gst_rtmp_element_check_settings (GST_ELEMENT (self), &self->settings,
          &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message),
        (NULL));
    return FALSE;
  }

  reset_stream_state (self);
  self->reader = rtmp_flv_reader_new (NULL);

  g_mutex_lock (&self->lock);
  self->connection_serial = 0;
  self->is_reconnecting = FALSE;
  self->error_posted = FALSE;
  self->is_posting_error = FALSE;
  self->reconnects = 0;
  g_mutex_unlock (&self->lock);
  GST_OBJECT_LOCK (self);
  self->dropped_frames = 0;
  self->dropped_bytes = 0;
  self->bitrate = 0;
  self->stats_mark_us = 0;
  async_connect = self->settings.async_connect;
  mode = self->settings.mode;
  GST_OBJECT_UNLOCK (self);

  self->is_server = mode == GST_RTMP_ELEMENT_MODE_SERVER;
  if (self->is_server) {
    /* a server has no one to wait for: prerolling would hold a pipeline
     * whose other branches wait for their own peers (two relay chains in
     * one pipeline never reached PLAYING) */
    if (gst_base_sink_is_async_enabled (GST_BASE_SINK (self))) {
      GST_INFO_OBJECT (self, "server mode: not prerolling (async=false)");
      gst_base_sink_set_async_enabled (GST_BASE_SINK (self), FALSE);
    }
    return start_server (self);
  }
  if (async_connect)
    return start_client (self);
  return TRUE;
}

/* @reason: posted with the final "stopped" state unless the client already
 * reported it */
static void
stop_client (GstRtmpSink *self, const gchar *reason)
{
  GstRtmpClient *client;
  gboolean post;

  g_mutex_lock (&self->lock);
  client = g_steal_pointer (&self->client);
  g_clear_pointer (&self->publishing_connection, gst_rtmp_connection_unref);
  g_mutex_unlock (&self->lock);
  if (client == NULL)
    return;
  /* without self->lock: it waits for running callbacks, which take it */
  gst_rtmp_client_free (client);

  g_mutex_lock (&self->lock);
  post = self->last_state != GST_RTMP_CLIENT_STATE_STOPPED;
  self->last_state = GST_RTMP_CLIENT_STATE_STOPPED;
  g_mutex_unlock (&self->lock);
  if (post)
    gst_rtmp_element_post_state (GST_ELEMENT (self),
        GST_RTMP_CLIENT_STATE_STOPPED, self->display_url, reason, 0);
}

static gboolean
gst_rtmp_sink_stop (GstBaseSink *sink)
{
  GstRtmpSink *self = GST_RTMP_SINK (sink);

  stop_client (self, "stopped");
  stop_server (self);
  reset_stream_state (self);
  return TRUE;
}

static GstStateChangeReturn
gst_rtmp_sink_change_state (GstElement *element, GstStateChange transition)
{
  GstRtmpSink *self = GST_RTMP_SINK (element);

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED
      && !gst_rtmp_sink_start (self))
    return GST_STATE_CHANGE_FAILURE;
  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

static gboolean
gst_rtmp_sink_unlock (GstBaseSink *sink)
{
  GstRtmpSink *self = GST_RTMP_SINK (sink);
  GstRtmpConnection *connection;

  g_mutex_lock (&self->lock);
  self->is_flushing = TRUE;
  connection = self->publishing_connection
      ? gst_rtmp_connection_ref (self->publishing_connection)
      : NULL;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (connection) {
    gst_rtmp_connection_wake (connection);
    gst_rtmp_connection_unref (connection);
  }
  return TRUE;
}

static gboolean
gst_rtmp_sink_unlock_stop (GstBaseSink *sink)
{
  GstRtmpSink *self = GST_RTMP_SINK (sink);

  g_mutex_lock (&self->lock);
  self->is_flushing = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* --- the streaming thread --- */

typedef enum
{
  WAIT_PUBLISHING,   /* *connection set (ref) */
  WAIT_RECONNECTING, /* drop: the server is away */
  WAIT_FLUSHING,
  WAIT_ERROR,
} WaitResult;

/* Waits until a connection publishes. The first connection's phases are
 * bounded by the timeout; unlock () interrupts. */
static WaitResult
wait_for_publishing (GstRtmpSink *self, GstRtmpConnection **connection,
    guint *serial)
{
  WaitResult result;

  g_mutex_lock (&self->lock);
  for (;;) {
    if (self->is_flushing) {
      result = WAIT_FLUSHING;
      break;
    }
    if (self->error_posted) {
      result = WAIT_ERROR;
      break;
    }
    if (self->publishing_connection) {
      *connection = gst_rtmp_connection_ref (self->publishing_connection);
      *serial = self->connection_serial;
      result = WAIT_PUBLISHING;
      break;
    }
    if (self->is_reconnecting) {
      result = WAIT_RECONNECTING;
      break;
    }
    g_cond_wait (&self->cond, &self->lock);
  }
  g_mutex_unlock (&self->lock);
  return result;
}

/* Waits until @end_time (monotonic) unless unlock () comes first */
static gboolean
sleep_until (GstRtmpSink *self, gint64 end_time)
{
  gboolean flushing;

  g_mutex_lock (&self->lock);
  while (!self->is_flushing && g_get_monotonic_time () < end_time)
    g_cond_wait_until (&self->cond, &self->lock, end_time);
  flushing = self->is_flushing;
  g_mutex_unlock (&self->lock);
  return !flushing;
}

static void
count_dropped (GstRtmpSink *self, const RtmpFlvTag *tag)
{
  GST_OBJECT_LOCK (self);
  self->dropped_frames++;
  self->dropped_bytes += g_bytes_get_size (tag->payload);
  GST_OBJECT_UNLOCK (self);
}

/* Time of media waiting in the send queue, in ms */
static guint32
queued_time_locked (GstRtmpSink *self, RtmpSession *session,
    guint32 newest_timestamp)
{
  guint64 written = rtmp_session_get_output_written_total (session);
  QueuedMark *mark;

  while ((mark = g_queue_peek_head (&self->queued_marks)) != NULL
      && mark->queued_total <= written)
    g_free (g_queue_pop_head (&self->queued_marks));
  if (mark == NULL)
    return 0;
  return newest_timestamp - mark->timestamp;
}

typedef enum
{
  SEND_OK,
  SEND_DROPPED,
  SEND_FLUSHING,
  SEND_CLOSED,  /* the connection is gone */
  SEND_STALLED, /* no byte written for the timeout */
} SendResult;

static SendResult
send_message (GstRtmpSink *self, GstRtmpConnection *connection, guint8 type,
    guint32 timestamp, GBytes *payload, gboolean may_drop)
{
  RtmpSession *session;
  SendResult result = SEND_OK;
  guint64 max_queue_ms, last_written;
  guint timeout_s;
  guint32 chunk_size;
  gint64 stall_deadline = 0;

  GST_OBJECT_LOCK (self);
  max_queue_ms = self->max_queue_time / GST_MSECOND;
  timeout_s = self->settings.timeout_s;
  chunk_size = self->chunk_size;
  GST_OBJECT_UNLOCK (self);

  gst_rtmp_connection_lock (connection);
  session = gst_rtmp_connection_get_session_locked (connection);
  if (session == NULL
      || gst_rtmp_connection_get_phase_locked (connection)
          == GST_RTMP_CONNECTION_PHASE_CLOSED) {
    gst_rtmp_connection_unlock (connection);
    return SEND_CLOSED;
  }

  if (chunk_size != self->applied_chunk_size) {
    rtmp_session_set_chunk_size (session, chunk_size);
    self->applied_chunk_size = chunk_size;
  }

  /* max-queue-time > 0: keep queued media under that bound by dropping
   * runs of non-keyframes, never blocking */
  if (may_drop
      && (max_queue_ms > 0
          && queued_time_locked (self, session, timestamp) > max_queue_ms)) {
    gst_rtmp_connection_unlock (connection);
    return SEND_DROPPED;
  }
  if (may_drop && max_queue_ms > 0
      && rtmp_session_get_output_size (session) > MAX_QUEUED_BYTES) {
    gst_rtmp_connection_unlock (connection);
    return SEND_DROPPED;
  }

  rtmp_session_send_media (session, rtmp_session_get_stream_id (session), type,
      timestamp, payload);
  if (max_queue_ms > 0) {
    QueuedMark *mark = g_new (QueuedMark, 1);

    mark->queued_total = rtmp_session_get_output_queued_total (session);
    mark->timestamp = timestamp;
    g_queue_push_tail (&self->queued_marks, mark);
  }
  gst_rtmp_connection_flush_locked (connection);

  /* max-queue-time 0: block while the link is slower than the stream, as
   * rtmp2sink does; a server that takes no byte for the timeout is dead */
  last_written = rtmp_session_get_output_written_total (session);
  while (rtmp_session_get_output_size (session) > MAX_QUEUED_BYTES) {
    gint64 now = g_get_monotonic_time ();
    guint64 written = rtmp_session_get_output_written_total (session);
    gboolean flushing;

    if (gst_rtmp_connection_get_phase_locked (connection)
        == GST_RTMP_CONNECTION_PHASE_CLOSED) {
      result = SEND_CLOSED;
      break;
    }
    g_mutex_lock (&self->lock);
    flushing = self->is_flushing;
    g_mutex_unlock (&self->lock);
    if (flushing) {
      result = SEND_FLUSHING;
      break;
    }
    if (written != last_written || stall_deadline == 0) {
      last_written = written;
      stall_deadline
          = timeout_s > 0 ? now + timeout_s * G_USEC_PER_SEC : G_MAXINT64;
    }
    if (now >= stall_deadline) {
      result = SEND_STALLED;
      break;
    }
    gst_rtmp_connection_wait_locked (connection,
        MIN (stall_deadline, now + 100 * G_TIME_SPAN_MILLISECOND));
  }
  gst_rtmp_connection_unlock (connection);
  return result;
}

static GstFlowReturn
send_result_to_flow (GstRtmpSink *self, GstRtmpConnection *connection,
    SendResult result)
{
  switch (result) {
    case SEND_OK:
    case SEND_DROPPED:
      return GST_FLOW_OK;
    case SEND_FLUSHING:
      return GST_FLOW_FLUSHING;
    case SEND_CLOSED:
      /* the client reconnects or reports the error: drop meanwhile */
      return GST_FLOW_OK;
    case SEND_STALLED: {
      g_autoptr (GError) error = NULL;
      GstRtmpClient *client;
      guint timeout_s;

      GST_OBJECT_LOCK (self);
      timeout_s = self->settings.timeout_s;
      GST_OBJECT_UNLOCK (self);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "the server took no data for %u s", timeout_s);
      g_mutex_lock (&self->lock);
      client = self->client;
      g_mutex_unlock (&self->lock);
      /* a reconnect when attempts remain, else the error */
      if (client)
        gst_rtmp_client_reconnect (client, error, NULL);
      return GST_FLOW_OK;
    }
  }
  return GST_FLOW_ERROR;
}

static HeaderKind
classify_header (const RtmpFlvTag *tag, gboolean *is_header,
    gboolean *is_keyframe)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (tag->payload, &len);

  *is_header = FALSE;
  *is_keyframe = FALSE;
  switch (tag->type) {
    case RTMP_FLV_TAG_SCRIPT:
      *is_header = rtmp_flv_script_is_on_metadata (data, len)
          || (rtmp_flv_script_has_set_data_frame (data, len));
      return HEADER_METADATA;
    case RTMP_FLV_TAG_VIDEO: {
      RtmpFlvVideoInfo info;

      if (rtmp_flv_parse_video_header (data, len, &info, NULL)) {
        *is_header = info.is_sequence_header;
        *is_keyframe = info.is_keyframe;
      }
      return HEADER_VIDEO;
    }
    case RTMP_FLV_TAG_AUDIO: {
      RtmpFlvAudioInfo info;

      if (rtmp_flv_parse_audio_header (data, len, &info, NULL))
        *is_header = info.is_sequence_header;
      return HEADER_AUDIO;
    }
  }
  return HEADER_METADATA;
}

/* The body to send for a script tag: "@setDataFrame" first (RTMP
 * publishers send onMetaData that way; players receive it without) */
static GBytes *
script_payload (GBytes *body)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (body, &len);

  if (rtmp_flv_script_is_on_metadata (data, len))
    return rtmp_flv_script_add_set_data_frame (body);
  return g_bytes_ref (body);
}

/* The headers not yet sent on this connection, with @timestamp */
static SendResult
send_headers (GstRtmpSink *self, GstRtmpConnection *connection,
    guint32 timestamp)
{
  static const guint8 types[N_HEADERS]
      = { RTMP_FLV_TAG_SCRIPT, RTMP_FLV_TAG_VIDEO, RTMP_FLV_TAG_AUDIO };
  guint i;

  for (i = 0; i < N_HEADERS; i++) {
    g_autoptr (GBytes) payload = NULL;
    SendResult result;

    if (self->headers[i] == NULL || self->header_sent[i])
      continue;
    payload = types[i] == RTMP_FLV_TAG_SCRIPT
        ? script_payload (self->headers[i])
        : g_bytes_ref (self->headers[i]);
    result = send_message (self, connection, types[i],
        MIN (timestamp, self->header_timestamps[i]), payload, FALSE);
    if (result != SEND_OK)
      return result;
    self->header_sent[i] = TRUE;
  }
  return SEND_OK;
}

/* Remembers a header tag; TRUE when it is new or changed (to be sent) */
static gboolean
store_header (GstRtmpSink *self, HeaderKind kind, const RtmpFlvTag *tag)
{
  if (self->headers[kind] && g_bytes_equal (self->headers[kind], tag->payload))
    return !self->header_sent[kind];
  g_clear_pointer (&self->headers[kind], g_bytes_unref);
  self->headers[kind] = g_bytes_ref (tag->payload);
  self->header_timestamps[kind] = tag->timestamp;
  self->header_sent[kind] = FALSE;
  return TRUE;
}

static gboolean
pace (GstRtmpSink *self, const RtmpFlvTag *tag, gsize bytes)
{
  gboolean realtime;
  guint peak_kbps;

  GST_OBJECT_LOCK (self);
  realtime = self->realtime;
  peak_kbps = self->peak_kbps;
  GST_OBJECT_UNLOCK (self);

  /* realtime: tag timestamps on the wall clock, like ffmpeg -re */
  if (realtime) {
    if (!self->realtime_started) {
      self->realtime_started = TRUE;
      self->realtime_base_us = g_get_monotonic_time ();
      self->realtime_first_ts = tag->timestamp;
    } else {
      gint32 offset_ms = (gint32) (tag->timestamp - self->realtime_first_ts);

      if (offset_ms > 0
          && !sleep_until (self,
              self->realtime_base_us + offset_ms * (gint64) 1000))
        return FALSE;
    }
  }

  /* peak-kbps: no more than that many bits per second on average */
  if (peak_kbps > 0) {
    gint64 now = g_get_monotonic_time ();

    if (self->pacing_start_us == 0)
      self->pacing_start_us = now;
    self->pacing_bytes += bytes;
    if (!sleep_until (self,
            self->pacing_start_us
                + (gint64) (self->pacing_bytes * 8000 / peak_kbps)))
      return FALSE;
  }
  return TRUE;
}

static GstFlowReturn
send_tag (GstRtmpSink *self, GstRtmpConnection *connection, guint serial,
    RtmpFlvTag *tag)
{
  gboolean is_header, is_keyframe;
  HeaderKind kind = classify_header (tag, &is_header, &is_keyframe);
  g_autoptr (GBytes) payload = NULL;
  SendResult result;

  if (tag->type == RTMP_FLV_TAG_VIDEO)
    self->has_video = TRUE;

  /* a new connection: its headers first; after a reconnect, resume at a
   * keyframe */
  if (serial != self->sent_serial) {
    guint i;

    for (i = 0; i < N_HEADERS; i++)
      self->header_sent[i] = FALSE;
    self->need_keyframe = self->sent_serial != 0 && self->has_video;
    self->is_dropping_run = FALSE;
    g_queue_clear_full (&self->queued_marks, g_free);
    self->sent_serial = serial;
  }

  if (is_header) {
    if (!store_header (self, kind, tag))
      return GST_FLOW_OK; /* already sent on this connection */
    result = send_headers (self, connection, tag->timestamp);
    return send_result_to_flow (self, connection, result);
  }

  result = send_headers (self, connection, tag->timestamp);
  if (result != SEND_OK)
    return send_result_to_flow (self, connection, result);

  if (tag->type == RTMP_FLV_TAG_VIDEO && is_keyframe) {
    self->need_keyframe = FALSE;
    self->is_dropping_run = FALSE;
  }
  if (self->need_keyframe || self->is_dropping_run) {
    count_dropped (self, tag);
    return GST_FLOW_OK;
  }

  payload = tag->type == RTMP_FLV_TAG_SCRIPT ? script_payload (tag->payload)
                                             : g_bytes_ref (tag->payload);
  if (!pace (self, tag, g_bytes_get_size (payload)))
    return GST_FLOW_FLUSHING;

  result = send_message (self, connection, tag->type, tag->timestamp, payload,
      tag->type != RTMP_FLV_TAG_SCRIPT);
  if (result == SEND_DROPPED) {
    count_dropped (self, tag);
    /* drop the whole run up to the next keyframe (audio too) */
    if (self->has_video)
      self->is_dropping_run = TRUE;
  }
  return send_result_to_flow (self, connection, result);
}

typedef struct
{
  GstBuffer *buffer;
  GstMapInfo map;
} BufferMapping;

static void
buffer_mapping_free (gpointer data)
{
  BufferMapping *mapping = data;

  gst_buffer_unmap (mapping->buffer, &mapping->map);
  gst_buffer_unref (mapping->buffer);
  g_free (mapping);
}

/* The buffer's bytes without a copy: tags inside it are slices of this,
 * queued for the socket as they are */
static GBytes *
wrap_buffer (GstBuffer *buffer)
{
  BufferMapping *mapping = g_new0 (BufferMapping, 1);

  if (!gst_buffer_map (buffer, &mapping->map, GST_MAP_READ)) {
    g_free (mapping);
    return NULL;
  }
  mapping->buffer = gst_buffer_ref (buffer);
  return g_bytes_new_with_free_func (mapping->map.data, mapping->map.size,
      buffer_mapping_free, mapping);
}

/* Reads the tags of @bytes and hands each to @func. */
typedef GstFlowReturn (
    *TagFunc) (GstRtmpSink *self, RtmpFlvTag *tag, gpointer user_data);

static GstFlowReturn
for_each_tag (GstRtmpSink *self, RtmpFlvReader *reader, GBytes *bytes,
    TagFunc func, gpointer user_data)
{
  gsize offset = 0, size = g_bytes_get_size (bytes);
  GstFlowReturn ret = GST_FLOW_OK;

  while (offset < size && ret == GST_FLOW_OK) {
    g_autoptr (GError) error = NULL;
    RtmpFlvTag *tag = NULL;
    gsize consumed = 0;
    RtmpReadResult result
        = rtmp_flv_reader_read (reader, bytes, offset, &consumed, &tag, &error);

    offset += consumed;
    if (result == RTMP_READ_NEED_MORE)
      break;
    if (result == RTMP_READ_ERROR) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT,
          ("The input is not a valid FLV stream: %s", error->message),
          ("%s (rtmp error %d)", error->message, error->code));
      return GST_FLOW_ERROR;
    }
    ret = func (self, tag, user_data);
    rtmp_flv_tag_free (tag);
  }
  return ret;
}

/* A buffer starting with an FLV header where a tag would start begins a
 * new FLV stream (flvmux after a caps change, files concatenated): "FLV"
 * cannot start a tag, whose first byte is its type. */
static void
restart_on_flv_header (GstRtmpSink *self, GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  if (len >= 4 && memcmp (data, "FLV\x01", 4) == 0
      && rtmp_flv_reader_get_offset (self->reader) > 0
      && !rtmp_flv_reader_has_partial (self->reader)) {
    GST_DEBUG_OBJECT (self, "a new FLV stream starts");
    rtmp_flv_reader_reset (self->reader);
  }
}

typedef struct
{
  GstRtmpConnection *connection; /* NULL: dropping */
  guint serial;
} RenderTarget;

static GstFlowReturn
render_tag (GstRtmpSink *self, RtmpFlvTag *tag, gpointer user_data)
{
  RenderTarget *target = user_data;
  gboolean is_header, is_keyframe;
  HeaderKind kind = classify_header (tag, &is_header, &is_keyframe);

  if (target->connection == NULL) {
    /* reconnecting: keep the headers, count the rest */
    if (is_header)
      store_header (self, kind, tag);
    else
      count_dropped (self, tag);
    if (tag->type == RTMP_FLV_TAG_VIDEO)
      self->has_video = TRUE;
    return GST_FLOW_OK;
  }
  return send_tag (self, target->connection, target->serial, tag);
}

static void
update_bitrate (GstRtmpSink *self, GstRtmpConnection *connection)
{
  gint64 now = g_get_monotonic_time ();
  RtmpSessionStats stats;

  if (now - self->stats_mark_us < G_USEC_PER_SEC)
    return;
  gst_rtmp_connection_get_stats (connection, &stats, NULL);

  GST_OBJECT_LOCK (self);
  if (self->stats_mark_us != 0 && stats.out_bytes >= self->stats_bytes_at_mark)
    self->bitrate = (stats.out_bytes - self->stats_bytes_at_mark) * 8
        * G_USEC_PER_SEC / (now - self->stats_mark_us);
  self->stats_bytes_at_mark = stats.out_bytes;
  self->stats_mark_us = now;
  GST_OBJECT_UNLOCK (self);
}

/* --- server mode: the streaming thread --- */

static GstFlowReturn
serve_tag (GstRtmpSink *self, RtmpFlvTag *tag, gpointer user_data)
{
  gboolean is_header, is_keyframe;
  RtmpFlvHeader header;

  classify_header (tag, &is_header, &is_keyframe);
  /* the FLV header says whether video comes: players then start at
   * keyframes */
  if (!self->has_video
      && ((rtmp_flv_reader_get_header (self->reader, &header)
              && (header.flags & RTMP_FLV_HEADER_FLAG_VIDEO))
          || tag->type == RTMP_FLV_TAG_VIDEO)) {
    self->has_video = TRUE;
    gst_rtmp_fanout_set_has_video (self->fanout, TRUE);
  }
  if (!is_header && !pace (self, tag, g_bytes_get_size (tag->payload)))
    return GST_FLOW_FLUSHING;
  gst_rtmp_fanout_push (self->fanout, tag->type, tag->timestamp, tag->payload,
      is_header, is_keyframe);
  return GST_FLOW_OK;
}

/* Hands each tag to every player; never waits for one */
static GstFlowReturn
render_server (GstRtmpSink *self, GstBuffer *buffer)
{
  g_autoptr (GBytes) bytes = wrap_buffer (buffer);

  if (bytes == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Could not map a buffer"),
        (NULL));
    return GST_FLOW_ERROR;
  }
  restart_on_flv_header (self, bytes);
  return for_each_tag (self, self->reader, bytes, serve_tag, NULL);
}

static GstFlowReturn
gst_rtmp_sink_render (GstBaseSink *sink, GstBuffer *buffer)
{
  GstRtmpSink *self = GST_RTMP_SINK (sink);
  RenderTarget target = { NULL, 0 };
  g_autoptr (GBytes) bytes = NULL;
  GstFlowReturn ret;
  gboolean have_client;

  if (self->is_server)
    return render_server (self, buffer);

  g_mutex_lock (&self->lock);
  have_client = self->client != NULL;
  g_mutex_unlock (&self->lock);
  if (!have_client && !start_client (self))
    return GST_FLOW_ERROR;

  switch (wait_for_publishing (self, &target.connection, &target.serial)) {
    case WAIT_PUBLISHING:
    case WAIT_RECONNECTING:
      break;
    case WAIT_FLUSHING:
      return GST_FLOW_FLUSHING;
    case WAIT_ERROR:
      return GST_FLOW_ERROR;
  }

  bytes = wrap_buffer (buffer);
  if (bytes == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Could not map a buffer"),
        (NULL));
    g_clear_pointer (&target.connection, gst_rtmp_connection_unref);
    return GST_FLOW_ERROR;
  }

  restart_on_flv_header (self, bytes);
  ret = for_each_tag (self, self->reader, bytes, render_tag, &target);
  if (target.connection) {
    update_bitrate (self, target.connection);
    gst_rtmp_connection_unref (target.connection);
  }

  if (ret == GST_FLOW_OK) {
    gboolean error_posted;

    g_mutex_lock (&self->lock);
    error_posted = self->error_posted;
    g_mutex_unlock (&self->lock);
    if (error_posted)
      ret = GST_FLOW_ERROR;
  }
  return ret;
}

/* The caps' streamheader: the FLV header and the header tags, kept to send
 * first on each connection */
static GstFlowReturn
store_streamheader_tag (GstRtmpSink *self, RtmpFlvTag *tag, gpointer user_data)
{
  gboolean is_header, is_keyframe;
  HeaderKind kind = classify_header (tag, &is_header, &is_keyframe);

  if (is_header)
    store_header (self, kind, tag);
  if (tag->type == RTMP_FLV_TAG_VIDEO)
    self->has_video = TRUE;
  if (self->is_server && is_header)
    gst_rtmp_fanout_push (self->fanout, tag->type, tag->timestamp, tag->payload,
        TRUE, FALSE);
  return GST_FLOW_OK;
}

static gboolean
gst_rtmp_sink_set_caps (GstBaseSink *sink, GstCaps *caps)
{
  GstRtmpSink *self = GST_RTMP_SINK (sink);
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const GValue *streamheader = gst_structure_get_value (s, "streamheader");
  g_autoptr (RtmpFlvReader) reader = NULL;
  guint i, n;

  GST_DEBUG_OBJECT (self, "caps %" GST_PTR_FORMAT, caps);
  if (streamheader == NULL || !GST_VALUE_HOLDS_ARRAY (streamheader))
    return TRUE;

  reader = rtmp_flv_reader_new (NULL);
  n = gst_value_array_get_size (streamheader);
  for (i = 0; i < n; i++) {
    const GValue *v = gst_value_array_get_value (streamheader, i);
    GstBuffer *buffer;
    g_autoptr (GBytes) bytes = NULL;

    if (!GST_VALUE_HOLDS_BUFFER (v))
      continue;
    buffer = gst_value_get_buffer (v);
    bytes = wrap_buffer (buffer);
    if (bytes == NULL)
      return FALSE;
    if (for_each_tag (self, reader, bytes, store_streamheader_tag, NULL)
        != GST_FLOW_OK)
      return FALSE;
  }
  if (self->is_server) {
    RtmpFlvHeader header;

    if (rtmp_flv_reader_get_header (reader, &header)
        && (header.flags & RTMP_FLV_HEADER_FLAG_VIDEO)) {
      self->has_video = TRUE;
      gst_rtmp_fanout_set_has_video (self->fanout, TRUE);
    }
  }
  return TRUE;
}

/* EOS: the stop commands, then wait until everything is on the wire (for
 * at most the timeout), close, and only then let EOS through */
static gboolean
finish_stream (GstRtmpSink *self)
{
  GstRtmpConnection *connection = NULL;
  RtmpStopCommands commands;
  guint timeout_s;
  gboolean ok = TRUE, stalled = FALSE;

  g_mutex_lock (&self->lock);
  if (self->publishing_connection)
    connection = gst_rtmp_connection_ref (self->publishing_connection);
  g_mutex_unlock (&self->lock);
  GST_OBJECT_LOCK (self);
  commands = self->stop_commands;
  timeout_s = self->settings.timeout_s;
  GST_OBJECT_UNLOCK (self);

  if (connection) {
    RtmpSession *session;
    gint64 deadline = timeout_s > 0
        ? g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC
        : G_MAXINT64;

    gst_rtmp_connection_lock (connection);
    session = gst_rtmp_connection_get_session_locked (connection);
    if (session
        && gst_rtmp_connection_get_phase_locked (connection)
            != GST_RTMP_CONNECTION_PHASE_CLOSED) {
      guint64 target;

      rtmp_session_stop (session, commands);
      target = rtmp_session_get_output_queued_total (session);
      gst_rtmp_connection_flush_locked (connection);
      while (rtmp_session_get_output_written_total (session) < target
          && gst_rtmp_connection_get_phase_locked (connection)
              != GST_RTMP_CONNECTION_PHASE_CLOSED) {
        gboolean flushing;

        g_mutex_lock (&self->lock);
        flushing = self->is_flushing;
        g_mutex_unlock (&self->lock);
        if (flushing) {
          ok = FALSE;
          break;
        }
        if (g_get_monotonic_time () >= deadline) {
          stalled = TRUE;
          break;
        }
        gst_rtmp_connection_wait_locked (connection,
            MIN (deadline, g_get_monotonic_time () + 100 * 1000));
      }
      /* everything is written and our side shut down: the server reads
       * to the end and closes; closing before would reset the connection
       * and lose what it has not read yet (nginx-rtmp drops it) */
      deadline = MIN (deadline, g_get_monotonic_time () + 3 * G_USEC_PER_SEC);
      while (ok && !stalled
          && gst_rtmp_connection_get_phase_locked (connection)
              != GST_RTMP_CONNECTION_PHASE_CLOSED
          && g_get_monotonic_time () < deadline)
        gst_rtmp_connection_wait_locked (connection,
            MIN (deadline, g_get_monotonic_time () + 100 * 1000));
    }
    gst_rtmp_connection_unlock (connection);
    gst_rtmp_connection_unref (connection);
  }

  stop_client (self,
      stalled ? "timed out at the end of the stream" : "end of stream");
  if (stalled) {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Timed out after %u s sending the end of the stream to %s", timeout_s,
            self->display_url),
        ("the server stopped reading"));
    return FALSE;
  }
  return ok;
}

static gboolean
gst_rtmp_sink_event (GstBaseSink *sink, GstEvent *event)
{
  GstRtmpSink *self = GST_RTMP_SINK (sink);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      if (self->is_server) {
        /* players hear that the stream ended; they stay connected until
         * they leave or the element stops */
        gst_rtmp_fanout_end (self->fanout);
        break;
      }
      if (!finish_stream (self)) {
        gst_event_unref (event);
        return FALSE;
      }
      break;
    case GST_EVENT_FLUSH_STOP:
      /* what comes after a flush is a new FLV stream */
      rtmp_flv_reader_reset (self->reader);
      if (self->is_server)
        gst_rtmp_fanout_reset (self->fanout);
      break;
    default:
      break;
  }
  return GST_BASE_SINK_CLASS (parent_class)->event (sink, event);
}

/* --- properties --- */

/* Server mode: the players' stats and totals */
static GstStructure *
get_server_stats (GstRtmpSink *self)
{
  GstStructure *s = gst_structure_new_empty ("GstRtmpConnectionStats");
  const GValue *clients;
  guint64 in_bytes = 0, out_bytes = 0;
  guint i, n;

  g_mutex_lock (&self->lock);
  if (self->fanout)
    gst_rtmp_fanout_add_stats (self->fanout, s);
  if (self->route)
    gst_structure_set (s, "server-port", G_TYPE_UINT,
        (guint) gst_rtmp_server_route_get_port (self->route), NULL);
  g_mutex_unlock (&self->lock);

  clients = gst_structure_get_value (s, "clients");
  n = clients ? gst_value_array_get_size (clients) : 0;
  for (i = 0; i < n; i++) {
    const GstStructure *client
        = gst_value_get_structure (gst_value_array_get_value (clients, i));
    guint64 value;

    if (gst_structure_get_uint64 (client, "in-bytes-total", &value))
      in_bytes += value;
    if (gst_structure_get_uint64 (client, "out-bytes-total", &value))
      out_bytes += value;
  }
  gst_structure_set (s, "in-bytes-total", G_TYPE_UINT64, in_bytes,
      "out-bytes-total", G_TYPE_UINT64, out_bytes, NULL);
  return s;
}

static GstStructure *
get_stats (GstRtmpSink *self)
{
  GstStructure *s = gst_structure_new_empty ("GstRtmpConnectionStats");
  RtmpSessionStats stats = {
    0,
  };
  GstRtmpConnection *connection = NULL;
  GstRtmpClient *client;
  guint64 tcp_rtt_us = 0;
  gint64 connected_time = 0;
  guint reconnects = 0;

  g_mutex_lock (&self->lock);
  client = self->client;
  if (self->publishing_connection)
    connection = gst_rtmp_connection_ref (self->publishing_connection);
  if (client)
    connected_time = gst_rtmp_client_get_connected_time (client);
  reconnects = self->reconnects;
  g_mutex_unlock (&self->lock);

  if (connection) {
    gst_rtmp_connection_get_stats (connection, &stats, &tcp_rtt_us);
    gst_rtmp_connection_unref (connection);
  }

  gst_rtmp_element_add_session_stats (s, &stats);
  GST_OBJECT_LOCK (self);
  gst_structure_set (s, "dropped-frames", G_TYPE_UINT64, self->dropped_frames,
      "dropped-bytes", G_TYPE_UINT64, self->dropped_bytes, "bitrate",
      G_TYPE_UINT64, self->bitrate, NULL);
  GST_OBJECT_UNLOCK (self);
  gst_structure_set (s, "reconnects", G_TYPE_UINT, reconnects, "rtt-us",
      G_TYPE_UINT64, stats.rtt_us ? stats.rtt_us : tcp_rtt_us, "connected-time",
      G_TYPE_UINT64,
      connected_time
          ? (guint64) (g_get_monotonic_time () - connected_time) * 1000
          : 0,
      NULL);
  return s;
}

static void
gst_rtmp_sink_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  GstRtmpSink *self = GST_RTMP_SINK (object);

  if (gst_rtmp_element_set_property (GST_ELEMENT (self), &self->settings,
          PROP_FIRST_SHARED, prop_id, value, pspec))
    return;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CHUNK_SIZE:
      self->chunk_size = g_value_get_uint (value);
      break;
    case PROP_STOP_COMMANDS:
      self->stop_commands = g_value_get_flags (value);
      break;
    case PROP_PEAK_KBPS:
      self->peak_kbps = g_value_get_uint (value);
      break;
    case PROP_MAX_QUEUE_TIME:
      self->max_queue_time = g_value_get_uint64 (value);
      break;
    case PROP_REALTIME:
      self->realtime = g_value_get_boolean (value);
      break;
    case PROP_PUBLISH_TYPE:
      self->publish_type = g_value_get_enum (value);
      break;
    case PROP_MAX_CLIENTS:
      self->max_clients = g_value_get_uint (value);
      break;
    case PROP_SLOW_CLIENT_POLICY:
      self->slow_client_policy = g_value_get_enum (value);
      break;
    case PROP_GOP_CACHE_BYTES:
      self->gop_cache_bytes = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtmp_sink_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstRtmpSink *self = GST_RTMP_SINK (object);

  if (gst_rtmp_element_get_property (GST_ELEMENT (self), &self->settings,
          PROP_FIRST_SHARED, prop_id, value, pspec))
    return;

  if (prop_id == PROP_STATS) {
    gboolean is_server;

    GST_OBJECT_LOCK (self);
    is_server = self->settings.mode == GST_RTMP_ELEMENT_MODE_SERVER;
    GST_OBJECT_UNLOCK (self);
    g_value_take_boxed (value,
        is_server ? get_server_stats (self) : get_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CHUNK_SIZE:
      g_value_set_uint (value, self->chunk_size);
      break;
    case PROP_STOP_COMMANDS:
      g_value_set_flags (value, self->stop_commands);
      break;
    case PROP_PEAK_KBPS:
      g_value_set_uint (value, self->peak_kbps);
      break;
    case PROP_MAX_QUEUE_TIME:
      g_value_set_uint64 (value, self->max_queue_time);
      break;
    case PROP_REALTIME:
      g_value_set_boolean (value, self->realtime);
      break;
    case PROP_PUBLISH_TYPE:
      g_value_set_enum (value, self->publish_type);
      break;
    case PROP_MAX_CLIENTS:
      g_value_set_uint (value, self->max_clients);
      break;
    case PROP_SLOW_CLIENT_POLICY:
      g_value_set_enum (value, self->slow_client_policy);
      break;
    case PROP_GOP_CACHE_BYTES:
      g_value_set_uint64 (value, self->gop_cache_bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtmp_sink_finalize (GObject *object)
{
  GstRtmpSink *self = GST_RTMP_SINK (object);

  stop_client (self, NULL);
  reset_stream_state (self);
  gst_rtmp_element_settings_clear (&self->settings);
  g_free (self->display_url);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rtmp_sink_init (GstRtmpSink *self)
{
  gst_rtmp_element_settings_init (&self->settings, TRUE);
  /* for the URI handler */
  g_object_set_data (G_OBJECT (self), "rtmp-element-settings", &self->settings);
  self->chunk_size = DEFAULT_CHUNK_SIZE;
  self->stop_commands = DEFAULT_STOP_COMMANDS;
  self->peak_kbps = DEFAULT_PEAK_KBPS;
  self->max_queue_time = DEFAULT_MAX_QUEUE_TIME;
  self->realtime = DEFAULT_REALTIME;
  self->publish_type = DEFAULT_PUBLISH_TYPE;
  self->max_clients = DEFAULT_MAX_CLIENTS;
  self->slow_client_policy = DEFAULT_SLOW_CLIENT_POLICY;
  self->gop_cache_bytes = DEFAULT_GOP_CACHE_BYTES;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queued_marks);
}

static void
gst_rtmp_sink_class_init (GstRtmpSinkClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *base_sink_class = GST_BASE_SINK_CLASS (klass);

  gobject_class->set_property = gst_rtmp_sink_set_property;
  gobject_class->get_property = gst_rtmp_sink_get_property;
  gobject_class->finalize = gst_rtmp_sink_finalize;

  element_class->change_state = gst_rtmp_sink_change_state;
  base_sink_class->stop = gst_rtmp_sink_stop;
  base_sink_class->unlock = gst_rtmp_sink_unlock;
  base_sink_class->unlock_stop = gst_rtmp_sink_unlock_stop;
  base_sink_class->render = gst_rtmp_sink_render;
  base_sink_class->set_caps = gst_rtmp_sink_set_caps;
  base_sink_class->event = gst_rtmp_sink_event;

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class, "RTMP sink",
      "Sink/Network", "Publishes an FLV stream to an RTMP or RTMPS server",
      "gst-rtmp developers");

  /**
   * GstRtmpSink:stats:
   *
   * rtmp2sink's fields (in/out-chunk-size, in/out-window-ack-size,
   * in/out-bytes-total, in/out-bytes-acked) plus messages and bytes per
   * media type (out-bytes-video, out-messages-audio...), dropped-frames,
   * dropped-bytes, reconnects, rtt-us, bitrate (bit/s over the last second)
   * and connected-time (ns). Readable at any time from any thread.
   *
   * In server mode: n-clients, clients-total, clients-refused,
   * clients-too-slow, gop-cache-bytes-used, dropped-frames, dropped-bytes,
   * in/out-bytes-total (over the players connected now), server-port, and
   * clients: a GstValueArray of one "client" structure per player
   * (address, app, stream, kind, in/out-bytes-total, out-bytes-video,
   * out-bytes-audio, backlog-bytes, rtt-us, connected-time, active-time,
   * dropped-frames, dropped-bytes, dropped-gops, paused,
   * waiting-keyframe).
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Stats", "Connection statistics",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstRtmpSink:chunk-size:
   *
   * Outgoing chunk size. The default, 4096, differs from rtmp2sink's 128
   * (which costs both ends several times the CPU). Can be changed while
   * playing.
   */
  g_object_class_install_property (gobject_class, PROP_CHUNK_SIZE,
      g_param_spec_uint ("chunk-size", "Chunk size",
          "Outgoing RTMP chunk size in bytes", 1, RTMP_MAX_CHUNK_SIZE,
          DEFAULT_CHUNK_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
              | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_STOP_COMMANDS,
      g_param_spec_flags ("stop-commands", "Stop commands",
          "Commands sent at EOS before closing the connection",
          GST_TYPE_RTMP_ELEMENT_STOP_COMMANDS, DEFAULT_STOP_COMMANDS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PEAK_KBPS,
      g_param_spec_uint ("peak-kbps", "Peak bitrate",
          "Bitrate in kbit/s to pace outgoing data at (0 = no pacing)", 0,
          G_MAXUINT / 8000, DEFAULT_PEAK_KBPS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
              | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstRtmpSink:max-queue-time:
   *
   * 0 blocks the pipeline while the link is slower than the stream, as
   * rtmp2sink does. Above 0, runs of non-keyframes are dropped (and counted
   * in the stats) to keep the media waiting to be sent under this time.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_QUEUE_TIME,
      g_param_spec_uint64 ("max-queue-time", "Max queue time",
          "Drop non-keyframe runs to keep queued media under this (ns); "
          "0 = block",
          0, G_MAXUINT64, DEFAULT_MAX_QUEUE_TIME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
              | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstRtmpSink:realtime:
   *
   * Paces the stream by its own FLV tag timestamps, as `ffmpeg -re` does,
   * for input that is not live (a file).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_REALTIME,
      g_param_spec_boolean ("realtime", "Realtime",
          "Send at the pace of the tags' timestamps (for files)",
          DEFAULT_REALTIME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
              | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_PUBLISH_TYPE,
      g_param_spec_enum ("publish-type", "Publish type",
          "What the server does with the stream",
          GST_TYPE_RTMP_SINK_PUBLISH_TYPE, DEFAULT_PUBLISH_TYPE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
              | GST_PARAM_MUTABLE_READY));

  /**
   * GstRtmpSink:max-clients:
   *
   * Server mode: players served at once; one more is refused with
   * NetStream.Play.Failed. 0 = no limit.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_CLIENTS,
      g_param_spec_uint ("max-clients", "Max clients",
          "Server mode: players served at once (0 = no limit)", 0, G_MAXUINT,
          DEFAULT_MAX_CLIENTS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
              | GST_PARAM_MUTABLE_READY));
  /**
   * GstRtmpSink:slow-client-policy:
   *
   * Server mode: what happens to a player whose queue (bytes sent to it
   * that its TCP has not acknowledged) passes twice gop-cache-bytes (at
   * least 2 MiB): drop-gop sends it nothing more until a keyframe finds
   * its queue back under the bound, disconnect closes it. Either way the
   * pipeline and the other players never wait for it.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SLOW_CLIENT_POLICY,
      g_param_spec_enum ("slow-client-policy", "Slow client policy",
          "Server mode: what happens to a player that cannot keep up",
          GST_TYPE_RTMP_SLOW_CLIENT_POLICY, DEFAULT_SLOW_CLIENT_POLICY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
              | GST_PARAM_MUTABLE_READY));
  /**
   * GstRtmpSink:gop-cache-bytes:
   *
   * Server mode: the current GOP (from the last video keyframe) is kept up
   * to this size, so that a player joining mid-stream starts at once, at
   * that keyframe, after the metadata and sequence headers. A longer GOP
   * is not kept: joining players then wait for the next keyframe. 0 = no
   * cache.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_GOP_CACHE_BYTES,
      g_param_spec_uint64 ("gop-cache-bytes", "GOP cache bytes",
          "Server mode: bytes of the current GOP kept for joining players "
          "(0 = none)",
          0, G_MAXUINT32, DEFAULT_GOP_CACHE_BYTES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
              | GST_PARAM_MUTABLE_READY));

  gst_rtmp_element_install_properties (gobject_class, PROP_FIRST_SHARED, TRUE);
  gst_type_mark_as_plugin_api (GST_TYPE_RTMP_SLOW_CLIENT_POLICY, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_RTMP_ELEMENT_STOP_COMMANDS, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_RTMP_SINK_PUBLISH_TYPE, 0);
}
