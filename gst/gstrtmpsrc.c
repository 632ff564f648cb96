/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmpsrc: plays a live or recorded RTMP or RTMPS stream as FLV. */

/**
 * SECTION:element-rtmpsrc
 * @title: rtmpsrc
 *
 * Plays a stream from an RTMP or RTMPS server and outputs it as an FLV
 * byte stream (`video/x-flv`), for `flvdemux`, `decodebin3` or `playbin`
 * (which picks rtmpsrc for `rtmp://` and `rtmps://` URIs). Every property
 * of rtmp2src works here with the same meaning, so a pipeline can swap the
 * element name. On top of it rtmpsrc:
 *
 * - plays recorded streams as recorded: not live, prerolls in PAUSED,
 *   answers the duration query from onMetaData, seeks in TIME format (the
 *   RTMP seek command, then a new segment once the server sent
 *   NetStream.Seek.Notify) and pauses the server in PAUSED (once the
 *   sinks have a buffer to preroll with again). Live streams
 *   make it a live source without any buffering of its own: the latency
 *   query answers 0 as the minimum, as what the server buffers before it
 *   sends is not known to the player.
 *   #GstRtmpSrc:play-type decides, or with `any` (the default) the server's
 *   answer: StreamIsRecorded, or an onMetaData duration above 0, makes the
 *   stream recorded. That answer is awaited while the element goes from
 *   READY to PAUSED, at most 2 s after the server started playing.
 * - tells a clean end from a failure: NetStream.Play.Complete,
 *   NetStream.Play.Stop, NetStream.Play.UnpublishNotify and Stream EOF are
 *   EOS once every message received before them has been pushed; a
 *   connection that breaks, even in the middle of a message, is an error
 *   (#GstRtmpSrc:no-eof-is-error is TRUE by default, where rtmp2src ends
 *   with EOS), or a reconnect when #GstRtmpSrc:reconnect-attempts allows:
 *   a live stream then continues with a DISCONT buffer, a recorded one
 *   from where it was.
 * - never hangs: #GstRtmpSrc:timeout bounds each phase up to the server's
 *   answer to play (TCP, TLS, handshake, connect, createStream, play), and
 *   unlocking (flushing, stopping) interrupts every wait at once.
 * - reports its state on the bus (the `rtmp-state` element message, as
 *   rtmpsink does), and statistics in #GstRtmpSrc:stats.
 *
 * The output starts with an FLV header whose audio and video flags say what
 * the stream carries, taken from onMetaData (hasAudio/hasVideo, or
 * audiocodecid/videocodecid) or, without it, from the first tags (waiting
 * for both kinds at most 1 s, or 500 ms of media); the sequence headers
 * that came meanwhile are moved before the other tags, later ones update
 * the caps. Then each RTMP audio,
 * video or data message becomes one FLV tag; aggregate messages are split,
 * AMF3 data messages are converted to AMF0 script tags and a leading
 * `@setDataFrame` is dropped. Tag and buffer timestamps are the message
 * timestamps, extended past the 32-bit wrap; a live stream's start at 0.
 * The FLV header, onMetaData and the sequence headers are also in the caps'
 * `streamheader` (buffers flagged HEADER, as flvmux makes them), so that
 * late consumers behind a `tee` can start. Enhanced RTMP tags (HEVC, AV1,
 * VP9, Opus... with FourCC headers) pass through unchanged; GStreamer
 * 1.22's flvdemux cannot demux them.
 *
 * ## Server mode
 *
 * With #GstRtmpSrc:mode `server` no RTMP server is needed: rtmpsrc listens
 * on the host and port of its location (`rtmp://0.0.0.0:1935/live/key`,
 * `rtmp://[::]:1935/...`, or `rtmps://` with
 * #GstRtmpSrc:tls-certificate-file and #GstRtmpSrc:tls-key-file) and takes
 * the publisher (OBS, ffmpeg, rtmpsink, rtmp2sink) of the location's
 * application and stream key, whose stream it outputs exactly as client
 * mode would (live, timestamps from 0). A publisher with another key, or a
 * second one while one is live, gets NetStream.Publish.BadName and is
 * closed. With #GstRtmpSrc:username and #GstRtmpSrc:password publishers
 * must pass Adobe authentication (`rtmp://user:password@host/...` in
 * FFmpeg), and #GstRtmpSrc::authorize-publisher lets the application
 * decide. The element waits for its first publisher as long as it takes
 * (#GstRtmpSrc:timeout bounds each phase of a connection, not that wait);
 * #GstRtmpSrc:on-publisher-gone says whether the publisher's leaving is EOS
 * or a pause until the next one. All server-mode elements of a process
 * share one listening socket per address and port, so that
 * `rtmpsrc mode=server location=rtmp://0.0.0.0:1935/live/in ! queue !
 * rtmpsink mode=server location=rtmp://0.0.0.0:1935/live/out` takes a
 * stream and serves it on one port. #GstRtmpSrc:stats lists the publisher
 * (`clients`), and the element posts `rtmp-client-connected`,
 * `rtmp-client-refused` and `rtmp-client-disconnected` messages.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 rtmpsrc location=rtmp://127.0.0.1/live/cam1 ! \
 *     flvdemux name=d d.video ! queue ! decodebin ! autovideosink
 * ]| Plays the video of stream "cam1" of application "live".
 * |[
 * gst-launch-1.0 playbin uri=rtmp://127.0.0.1/vod/clip.flv
 * ]| Plays a recorded stream; playbin picks rtmpsrc for the URI.
 * |[
 * gst-launch-1.0 rtmpsrc location=rtmps://example.com/vod/clip.mp4 \
 *     play-type=recorded start=30000000000 ! flvdemux ! fakesink
 * ]| Plays a recorded stream over TLS from its 30th second.
 * |[
 * gst-launch-1.0 rtmpsrc mode=server \
 *     location=rtmp://0.0.0.0:1935/live/mykey ! filesink location=in.flv
 * ]| Records what OBS or `ffmpeg -re -i clip.mp4 -c copy -f flv
 * rtmp://HOST/live/mykey` publishes.
 */

/* How it works.
 *
 * Client mode (gstrtmpsrcclient.c): the client (gstrtmpclient.c) runs
 * the connection on a shared I/O thread and calls on_client_event () there
 * for every session event. Server mode (gstrtmpsrcserver.c): the listener
 * (gstrtmpserver.h) calls the publish route's callbacks on an I/O thread
 * for the publisher's messages. Either turns each media message into a
 * complete FLV tag buffer (an
 * 11-byte tag header, the message payload wrapped without a copy, the
 * 4-byte PreviousTagSize) with its final timestamps, and appends it to a
 * queue (gstrtmpflvout.c: the tags, their timeline, the queue, the FLV
 * header and the caps); statuses and stream controls become queue items
 * too (EOS, errors) or change the state (seek done, live or recorded).
 * create () pops the queue on the streaming thread and waits on self->cond
 * when it is empty; unlock () wakes it at once. The queue is bounded in
 * bytes and in media time: when it is full the callback stops reading from
 * the socket, so TCP pushes back on the server, and create () resumes
 * reading once it drained half of it.
 *
 * Whether the stream is live must be known before GstBaseSrc reads it in
 * the READY to PAUSED change (to return NO_PREROLL), so change_state ()
 * starts the client and, with play-type any, waits for the server's answer
 * there, before chaining up; start () itself never blocks. Errors are
 * posted once: by the callback when nothing is queued before them (so an
 * error before any media shows up at once, also in READY to PAUSED), or by
 * create () once the buffers before them were pushed. create () then
 * returns FLUSHING rather than ERROR, which would make GstBaseSrc post a
 * second, generic error message.
 *
 * Idle timeouts follow rtmp2src: no media message for idle-timeout seconds
 * while create () waits is EOS. The session's own idle timer is not used,
 * as a paused recorded stream is silent by design. */

#include "config.h"
#include "gstrtmpsrcprivate.h"
#include "gstrtmpelements.h"
#include "rtmpflv.h"

/* shared with gstrtmpflvout.c, gstrtmpsrcclient.c and gstrtmpsrcserver.c */
GST_DEBUG_CATEGORY (gst_rtmp_src_debug);
#define GST_CAT_DEFAULT gst_rtmp_src_debug

#define DEFAULT_NO_EOF_IS_ERROR TRUE
#define DEFAULT_PLAY_TYPE GST_RTMP_SRC_PLAY_TYPE_ANY
#define DEFAULT_START (-1)
#define DEFAULT_DURATION (-1)
#define DEFAULT_BUFFER_LENGTH 1000
#define DEFAULT_ON_PUBLISHER_GONE GST_RTMP_SRC_ON_PUBLISHER_GONE_EOS

enum
{
  PROP_0,
  PROP_STATS,
  PROP_NO_EOF_IS_ERROR,
  PROP_PLAY_TYPE,
  PROP_START,
  PROP_DURATION,
  PROP_BUFFER_LENGTH,
  PROP_ON_PUBLISHER_GONE,
  PROP_FIRST_SHARED,
};

GType
gst_rtmp_src_play_type_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    { GST_RTMP_SRC_PLAY_TYPE_LIVE, "Live streams only", "live" },
    { GST_RTMP_SRC_PLAY_TYPE_RECORDED, "Recorded streams only", "recorded" },
    { GST_RTMP_SRC_PLAY_TYPE_ANY,
        "Live, or recorded when the server says it is", "any" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&id)) {
    GType type = g_enum_register_static ("RtmpGstPlayType", values);
    g_once_init_leave (&id, type);
  }
  return id;
}

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-flv"));

static void gst_rtmp_src_uri_handler_init (gpointer g_iface,
    gpointer iface_data);

#define gst_rtmp_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstRtmpSrc, gst_rtmp_src, GST_TYPE_PUSH_SRC,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
        gst_rtmp_src_uri_handler_init));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtmpsrc, "rtmpsrc",
    GST_RTMP_ELEMENT_RANK, GST_TYPE_RTMP_SRC,
    GST_DEBUG_CATEGORY_INIT (gst_rtmp_src_debug, "rtmpsrc", 0, "RTMP player"));

static void
gst_rtmp_src_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  gst_rtmp_element_uri_handler_init (g_iface, GST_URI_SRC);
}

/* --- the queue --- */

/* Makes the connection's reading follow is_reading_paused. Called without
 * self->lock by whoever changed the flag; each caller checks afterwards
 * that the flag did not change under it, so the last writer wins. */
void
gst_rtmp_src_apply_reading (GstRtmpSrc *self)
{
  for (;;) {
    GstRtmpConnection *connection;
    GstRtmpServerClient *publisher;
    gboolean reading, same;

    g_mutex_lock (&self->lock);
    reading = !self->is_reading_paused;
    connection
        = self->connection ? gst_rtmp_connection_ref (self->connection) : NULL;
    publisher
        = self->publisher ? gst_rtmp_server_client_ref (self->publisher) : NULL;
    g_mutex_unlock (&self->lock);
    if (connection == NULL && publisher == NULL)
      return;

    if (connection) {
      gst_rtmp_connection_lock (connection);
      gst_rtmp_connection_set_reading_locked (connection, reading);
      gst_rtmp_connection_unlock (connection);
      gst_rtmp_connection_unref (connection);
    }
    if (publisher) {
      gst_rtmp_server_client_set_reading (publisher, reading);
      gst_rtmp_server_client_unref (publisher);
    }

    g_mutex_lock (&self->lock);
    same = reading == !self->is_reading_paused;
    g_mutex_unlock (&self->lock);
    if (same)
      return;
  }
}

void
gst_rtmp_src_wait_locked (GstRtmpSrc *self, gint64 end_time)
{
  self->n_waiters++;
  g_cond_wait_until (&self->cond, &self->lock, end_time);
  self->n_waiters--;
}

/* GLib's broadcast is a system call even when nobody waits, and the
 * streaming thread queues what it read itself: no one to wake then */
void
gst_rtmp_src_wake_waiters_locked (GstRtmpSrc *self)
{
  if (self->n_waiters > 0)
    g_cond_broadcast (&self->cond);
}

/* Queues an error after what is queued: @posted when the caller posts it
 * now (nothing queued before it), else create () posts it once the
 * buffers before it were pushed. */
void
gst_rtmp_src_queue_error_locked (GstRtmpSrc *self, const GError *error,
    gboolean posted)
{
  gst_rtmp_flv_out_push_error_locked (self->out, error,
      self->connection_serial > 0, posted);
  self->is_ended = TRUE;
  gst_rtmp_src_wake_waiters_locked (self);
}

void
gst_rtmp_src_queue_eos_locked (GstRtmpSrc *self)
{
  gst_rtmp_flv_out_push_eos_locked (self->out);
  self->is_ended = TRUE;
  gst_rtmp_src_wake_waiters_locked (self);
}

void
gst_rtmp_src_post_error (GstRtmpSrc *self, const GError *error,
    gboolean established)
{
  if (self->is_server) {
    /* a publisher's broken stream: what was taken from it went out */
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Receiving the published stream on %s failed: %s", self->display_url,
            error->message),
        ("%s (%s %d)", error->message, g_quark_to_string (error->domain),
            error->code));
    return;
  }
  gst_rtmp_element_post_error (GST_ELEMENT (self), error, self->display_url,
      FALSE, established);
}

/* What both modes do with a tag of the stream: decide live or recorded
 * (play-type any), queue it, and stop reading when the queue is full */
gboolean
gst_rtmp_src_queue_tag_locked (GstRtmpSrc *self, GstRtmpFlvOutTag *tag,
    guint32 raw_ms, gboolean *duration_changed)
{
  /* play-type any: the first media decides when nothing did before */
  if (self->kind == STREAM_UNDECIDED) {
    /* onMetaData with a duration is a recording; without one, or audio or
     * video before anything said "recorded", live; other data says
     * nothing */
    if (tag->is_metadata)
      self->kind = tag->duration_s > 0 ? STREAM_RECORDED : STREAM_LIVE;
    else if (tag->tag_type != RTMP_FLV_TAG_SCRIPT)
      self->kind = STREAM_LIVE;
    if (self->kind != STREAM_UNDECIDED)
      GST_INFO_OBJECT (self, "the stream is %s",
          self->kind == STREAM_LIVE ? "live" : "recorded");
  }
  if (tag->is_metadata && tag->duration_s > 0
      && self->kind == STREAM_RECORDED) {
    GstClockTime duration = (GstClockTime) (tag->duration_s * GST_SECOND);

    *duration_changed = duration != self->duration_ns;
    self->duration_ns = duration;
  }

  self->media_bytes += g_bytes_get_size (tag->body);
  gst_rtmp_flv_out_push_tag_locked (self->out, tag, raw_ms,
      self->kind == STREAM_RECORDED);
  gst_rtmp_src_wake_waiters_locked (self);

  if (!self->is_reading_paused && gst_rtmp_flv_out_is_full_locked (self->out)) {
    GST_DEBUG_OBJECT (self, "queue full: pausing reading");
    self->is_reading_paused = TRUE;
    return TRUE;
  }
  return FALSE;
}

/* --- starting and stopping --- */

static void
reset_shared_state_locked (GstRtmpSrc *self)
{
  gst_rtmp_flv_out_reset_locked (self->out);
  g_clear_pointer (&self->connection, gst_rtmp_connection_unref);
  g_clear_error (&self->late_error);
  self->is_client_started = FALSE;
  self->connection_serial = 0;
  self->stream_id = 0;
  self->is_ended = FALSE;
  self->warned_stream_0 = FALSE;
  self->kind = STREAM_UNDECIDED;
  self->playing_time_us = 0;
  self->is_reading_paused = FALSE;
  self->seeks_pending = 0;
  self->seek_to_send_ms = -1;
  self->is_pause_pending = FALSE;
  self->is_server_paused = FALSE;
  self->duration_ns = GST_CLOCK_TIME_NONE;
  self->media_bytes = 0;
  self->media_bytes_at_mark = 0;
  self->stats_mark_us = 0;
  self->bitrate = 0;
}

static void
reset_streaming_state (GstRtmpSrc *self)
{
  self->is_initial_seek_done = FALSE;
  self->is_create_started = FALSE;
  gst_rtmp_flv_out_reset_stream (self->out);
}

/* READY to PAUSED, before GstBaseSrc's: starts the mode, and decides
 * whether the source is live */
static gboolean
prepare (GstRtmpSrc *self)
{
  GstRtmpElementMode mode;

  g_mutex_lock (&self->lock);
  reset_shared_state_locked (self);
  self->is_flushing = FALSE;
  g_mutex_unlock (&self->lock);
  reset_streaming_state (self);

  GST_OBJECT_LOCK (self);
  mode = self->settings.mode;
  GST_OBJECT_UNLOCK (self);
  if (mode == GST_RTMP_ELEMENT_MODE_SERVER) {
    /* a publisher comes to us: always live */
    if (!gst_rtmp_src_server_start (self))
      return FALSE;
    gst_base_src_set_live (GST_BASE_SRC (self), TRUE);
    return TRUE;
  }

  return gst_rtmp_src_client_start (self);
}

static gboolean
gst_rtmp_src_start (GstBaseSrc *src)
{
  /* prepare () did the work, before GstBaseSrc read is-live */
  return TRUE;
}

static gboolean
gst_rtmp_src_stop (GstBaseSrc *src)
{
  GstRtmpSrc *self = GST_RTMP_SRC (src);

  gst_rtmp_src_client_stop (self);
  gst_rtmp_src_server_stop (self);
  g_mutex_lock (&self->lock);
  reset_shared_state_locked (self);
  g_mutex_unlock (&self->lock);
  reset_streaming_state (self);
  return TRUE;
}

/* Gives reading back to the I/O thread (see gst_rtmp_src_create ()) */
static void
release_reading (GstRtmpSrc *self)
{
  GstRtmpConnection *connection;

  g_mutex_lock (&self->lock);
  connection
      = self->connection ? gst_rtmp_connection_ref (self->connection) : NULL;
  g_mutex_unlock (&self->lock);
  if (connection) {
    gst_rtmp_connection_release_reading (connection);
    gst_rtmp_connection_unref (connection);
  }
}

static gboolean
gst_rtmp_src_unlock (GstBaseSrc *src)
{
  GstRtmpSrc *self = GST_RTMP_SRC (src);
  GstRtmpConnection *connection;

  g_mutex_lock (&self->lock);
  self->is_flushing = TRUE;
  gst_rtmp_src_wake_waiters_locked (self);
  connection
      = self->connection ? gst_rtmp_connection_ref (self->connection) : NULL;
  g_mutex_unlock (&self->lock);
  /* create () may be reading the socket itself: it returns FLUSHING and
   * gives reading back */
  if (connection) {
    gst_rtmp_connection_wake (connection);
    gst_rtmp_connection_unref (connection);
  }
  return TRUE;
}

static gboolean
gst_rtmp_src_unlock_stop (GstBaseSrc *src)
{
  GstRtmpSrc *self = GST_RTMP_SRC (src);

  g_mutex_lock (&self->lock);
  self->is_flushing = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static GstStateChangeReturn
gst_rtmp_src_change_state (GstElement *element, GstStateChange transition)
{
  GstRtmpSrc *self = GST_RTMP_SRC (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!prepare (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      gst_rtmp_src_client_pause_server (self, TRUE);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (ret == GST_STATE_CHANGE_FAILURE) {
        gst_rtmp_src_client_stop (self);
        gst_rtmp_src_server_stop (self);
      }
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      gst_rtmp_src_client_pause_server (self, FALSE);
      break;
    default:
      break;
  }
  return ret;
}

/* --- the streaming thread --- */

static GstFlowReturn
create_buffer (GstRtmpSrc *self, GstBuffer **outbuf)
{
  gint64 idle_deadline = G_MAXINT64;
  guint idle_timeout_s;
  gboolean resume = FALSE;
  GstFlowReturn ret;
  GstRtmpFlvOutItem item;
  gboolean may_read = TRUE; /* until the connection says it cannot */

  /* async-connect=false: connect on the first buffer, as rtmp2src */
  if (!self->is_create_started) {
    self->is_create_started = TRUE;
    gst_rtmp_src_client_connect (self);
  }

  if (gst_rtmp_flv_out_pop_front (self->out, outbuf))
    return GST_FLOW_OK;

  GST_OBJECT_LOCK (self);
  idle_timeout_s = self->settings.idle_timeout_s;
  GST_OBJECT_UNLOCK (self);
  if (idle_timeout_s > 0)
    idle_deadline = g_get_monotonic_time () + idle_timeout_s * G_USEC_PER_SEC;

  g_mutex_lock (&self->lock);
  for (;;) {
    gint64 now_us = g_get_monotonic_time (), deadline = G_MAXINT64;
    GstRtmpFlvOutItem *head;
    GstBuffer *header = NULL;

    if (self->is_flushing) {
      g_mutex_unlock (&self->lock);
      return GST_FLOW_FLUSHING;
    }
    head = gst_rtmp_flv_out_next_locked (self->out, now_us, &deadline, &header);
    if (header != NULL) {
      g_mutex_unlock (&self->lock);
      gst_rtmp_flv_out_update_caps (self->out);
      *outbuf = header;
      return GST_FLOW_OK;
    }
    if (head != NULL && head->type == GST_RTMP_FLV_OUT_ITEM_ERROR) {
      /* kept at the head: a seek cannot get past it */
      gboolean post = !head->posted;
      GError *error = post ? g_error_copy (head->error) : NULL;
      gboolean established = head->established;

      head->posted = TRUE;
      g_mutex_unlock (&self->lock);
      if (post) {
        gst_rtmp_src_post_error (self, error, established);
        g_error_free (error);
      }
      /* the error is posted: FLUSHING pauses the task without GstBaseSrc
       * posting a second, generic one (it does for GST_FLOW_ERROR) */
      return GST_FLOW_FLUSHING;
    }
    if (head != NULL) {
      gst_rtmp_flv_out_pop_locked (self->out, &item);
      break;
    }

    /* idle-timeout as rtmp2src: no media while waiting is EOS; a paused or
     * seeking recorded stream is silent by design. A server waits for its
     * publisher for ever; the route drops a silent one. */
    if (!self->is_server_paused && !self->seeks_pending && !self->is_server) {
      if (now_us >= idle_deadline) {
        GST_INFO_OBJECT (self, "no data for %u s (idle-timeout): EOS",
            idle_timeout_s);
        self->is_ended = TRUE;
        g_mutex_unlock (&self->lock);
        return GST_FLOW_EOS;
      }
      deadline = MIN (deadline, idle_deadline);
    }

    /* a client reads the socket itself while it waits: one thread wake-up
     * per arrival instead of the I/O thread's and then ours */
    if (may_read && !self->is_server && self->connection != NULL
        && !self->is_reading_paused) {
      GstRtmpConnection *connection
          = gst_rtmp_connection_ref (self->connection);
      GstRtmpConnectionReadResult read;

      g_mutex_unlock (&self->lock);
      read = gst_rtmp_connection_read_now (connection,
          MIN (deadline, now_us + G_USEC_PER_SEC));
      gst_rtmp_connection_unref (connection);
      g_mutex_lock (&self->lock);
      /* the I/O thread may have queued meanwhile: look again before
       * waiting for it */
      may_read = read != GST_RTMP_CONNECTION_READ_UNAVAILABLE;
      continue;
    }
    gst_rtmp_src_wait_locked (self, deadline);
    may_read = TRUE;
  }

  if (item.type == GST_RTMP_FLV_OUT_ITEM_BUFFER) {
    if (self->is_reading_paused
        && gst_rtmp_flv_out_is_drained_locked (self->out)) {
      self->is_reading_paused = FALSE;
      resume = TRUE;
    }
    if (self->is_pause_pending)
      gst_rtmp_src_client_send_pending_pause_unlocked (self);
    else
      g_mutex_unlock (&self->lock);
    if (resume)
      gst_rtmp_src_apply_reading (self);
    *outbuf = gst_rtmp_flv_out_finish (self->out, &item);
    ret = GST_FLOW_OK;
  } else {
    g_mutex_unlock (&self->lock);
    GST_INFO_OBJECT (self, "EOS");
    ret = GST_FLOW_EOS;
  }
  gst_rtmp_flv_out_item_clear (&item);
  return ret;
}

static GstFlowReturn
gst_rtmp_src_create (GstPushSrc *psrc, GstBuffer **outbuf)
{
  GstRtmpSrc *self = GST_RTMP_SRC (psrc);
  GstFlowReturn ret = create_buffer (self, outbuf);

  /* the streaming thread stops asking for media (flushing, EOS, an error):
   * the I/O thread reads again, so that nothing waits for us */
  if (ret != GST_FLOW_OK)
    release_reading (self);
  return ret;
}

/* --- seeking and queries --- */

static gboolean
gst_rtmp_src_is_seekable (GstBaseSrc *src)
{
  GstRtmpSrc *self = GST_RTMP_SRC (src);
  gboolean seekable;

  g_mutex_lock (&self->lock);
  seekable = self->kind == STREAM_RECORDED;
  g_mutex_unlock (&self->lock);
  return seekable;
}

static gboolean
gst_rtmp_src_do_seek (GstBaseSrc *src, GstSegment *segment)
{
  GstRtmpSrc *self = GST_RTMP_SRC (src);
  gboolean initial = !self->is_initial_seek_done;
  gint64 start_ms;

  self->is_initial_seek_done = TRUE;
  if (segment->format != GST_FORMAT_TIME)
    return FALSE;

  GST_OBJECT_LOCK (self);
  start_ms = self->start >= 0 ? self->start / GST_MSECOND : 0;
  GST_OBJECT_UNLOCK (self);

  return gst_rtmp_src_client_seek (self, segment, initial, start_ms);
}

static gboolean
gst_rtmp_src_query (GstBaseSrc *src, GstQuery *query)
{
  GstRtmpSrc *self = GST_RTMP_SRC (src);
  StreamKind kind;
  GstClockTime duration;
  GstFormat format;

  g_mutex_lock (&self->lock);
  kind = self->kind;
  duration = self->duration_ns;
  g_mutex_unlock (&self->lock);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:
      if (kind != STREAM_LIVE)
        break;
      /* nothing of ours delays the media; what the server holds back is
       * not known to a player */
      gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
      return TRUE;
    case GST_QUERY_DURATION:
      gst_query_parse_duration (query, &format, NULL);
      if (format != GST_FORMAT_TIME)
        break;
      if (kind != STREAM_RECORDED || !GST_CLOCK_TIME_IS_VALID (duration))
        return FALSE;
      gst_query_set_duration (query, GST_FORMAT_TIME, duration);
      return TRUE;
    case GST_QUERY_SEEKING:
      gst_query_parse_seeking (query, &format, NULL, NULL, NULL);
      if (format != GST_FORMAT_TIME) {
        gst_query_set_seeking (query, format, FALSE, -1, -1);
        return TRUE;
      }
      gst_query_set_seeking (query, GST_FORMAT_TIME, kind == STREAM_RECORDED, 0,
          GST_CLOCK_TIME_IS_VALID (duration) ? (gint64) duration : -1);
      return TRUE;
    case GST_QUERY_SCHEDULING:
      gst_query_set_scheduling (query,
          GST_SCHEDULING_FLAG_SEQUENTIAL
              | GST_SCHEDULING_FLAG_BANDWIDTH_LIMITED,
          1, -1, 0);
      gst_query_add_scheduling_mode (query, GST_PAD_MODE_PUSH);
      return TRUE;
    default:
      break;
  }
  return GST_BASE_SRC_CLASS (parent_class)->query (src, query);
}

/* The caps come with the first tags (create ()), not from negotiation */
static gboolean
gst_rtmp_src_negotiate (GstBaseSrc *src)
{
  return TRUE;
}

/* --- properties --- */

guint64
gst_rtmp_src_update_bitrate_locked (GstRtmpSrc *self)
{
  gint64 now_us = g_get_monotonic_time ();

  /* media bits per second, over at least the last second */
  if (self->stats_mark_us == 0) {
    self->stats_mark_us = now_us;
    self->media_bytes_at_mark = self->media_bytes;
  } else if (now_us - self->stats_mark_us >= G_USEC_PER_SEC) {
    self->bitrate = (self->media_bytes - self->media_bytes_at_mark) * 8
        * G_USEC_PER_SEC / (now_us - self->stats_mark_us);
    self->stats_mark_us = now_us;
    self->media_bytes_at_mark = self->media_bytes;
  }
  return self->bitrate;
}

static void
gst_rtmp_src_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  GstRtmpSrc *self = GST_RTMP_SRC (object);

  if (gst_rtmp_element_set_property (GST_ELEMENT (self), &self->settings,
          PROP_FIRST_SHARED, prop_id, value, pspec))
    return;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_NO_EOF_IS_ERROR:
      self->no_eof_is_error = g_value_get_boolean (value);
      break;
    case PROP_PLAY_TYPE:
      self->play_type = g_value_get_enum (value);
      break;
    case PROP_START:
      self->start = g_value_get_int64 (value);
      break;
    case PROP_DURATION:
      self->duration = g_value_get_int64 (value);
      break;
    case PROP_BUFFER_LENGTH:
      self->buffer_length_ms = g_value_get_uint (value);
      break;
    case PROP_ON_PUBLISHER_GONE:
      self->on_publisher_gone = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtmp_src_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstRtmpSrc *self = GST_RTMP_SRC (object);

  if (gst_rtmp_element_get_property (GST_ELEMENT (self), &self->settings,
          PROP_FIRST_SHARED, prop_id, value, pspec))
    return;

  if (prop_id == PROP_STATS) {
    gboolean is_server;

    g_mutex_lock (&self->lock);
    is_server = self->is_server;
    g_mutex_unlock (&self->lock);
    g_value_take_boxed (value,
        is_server ? gst_rtmp_src_server_get_stats (self)
                  : gst_rtmp_src_client_get_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_NO_EOF_IS_ERROR:
      g_value_set_boolean (value, self->no_eof_is_error);
      break;
    case PROP_PLAY_TYPE:
      g_value_set_enum (value, self->play_type);
      break;
    case PROP_START:
      g_value_set_int64 (value, self->start);
      break;
    case PROP_DURATION:
      g_value_set_int64 (value, self->duration);
      break;
    case PROP_BUFFER_LENGTH:
      g_value_set_uint (value, self->buffer_length_ms);
      break;
    case PROP_ON_PUBLISHER_GONE:
      g_value_set_enum (value, self->on_publisher_gone);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtmp_src_finalize (GObject *object)
{
  GstRtmpSrc *self = GST_RTMP_SRC (object);

  gst_rtmp_src_client_stop (self);
  reset_shared_state_locked (self);
  reset_streaming_state (self);
  gst_rtmp_flv_out_free (self->out);
  gst_rtmp_element_settings_clear (&self->settings);
  g_free (self->display_url);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rtmp_src_init (GstRtmpSrc *self)
{
  gst_rtmp_element_settings_init (&self->settings, FALSE);
  /* for the URI handler */
  g_object_set_data (G_OBJECT (self), "rtmp-element-settings", &self->settings);
  self->no_eof_is_error = DEFAULT_NO_EOF_IS_ERROR;
  self->play_type = DEFAULT_PLAY_TYPE;
  self->start = DEFAULT_START;
  self->duration = DEFAULT_DURATION;
  self->buffer_length_ms = DEFAULT_BUFFER_LENGTH;
  self->on_publisher_gone = DEFAULT_ON_PUBLISHER_GONE;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->out = gst_rtmp_flv_out_new (GST_BASE_SRC (self));
  self->seek_to_send_ms = -1;
  self->duration_ns = GST_CLOCK_TIME_NONE;

  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
  gst_base_src_set_automatic_eos (GST_BASE_SRC (self), FALSE);
}

static void
gst_rtmp_src_class_init (GstRtmpSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *base_src_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *push_src_class = GST_PUSH_SRC_CLASS (klass);

  gobject_class->set_property = gst_rtmp_src_set_property;
  gobject_class->get_property = gst_rtmp_src_get_property;
  gobject_class->finalize = gst_rtmp_src_finalize;

  element_class->change_state = gst_rtmp_src_change_state;

  base_src_class->start = gst_rtmp_src_start;
  base_src_class->stop = gst_rtmp_src_stop;
  base_src_class->unlock = gst_rtmp_src_unlock;
  base_src_class->unlock_stop = gst_rtmp_src_unlock_stop;
  base_src_class->is_seekable = gst_rtmp_src_is_seekable;
  base_src_class->do_seek = gst_rtmp_src_do_seek;
  base_src_class->query = gst_rtmp_src_query;
  base_src_class->negotiate = gst_rtmp_src_negotiate;

  push_src_class->create = gst_rtmp_src_create;

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "RTMP source",
      "Source/Network",
      "Plays a live or recorded stream from an RTMP or RTMPS server",
      "gst-rtmp developers");

  /**
   * GstRtmpSrc:stats:
   *
   * rtmp2src's fields (in/out-chunk-size, in/out-window-ack-size,
   * in/out-bytes-total, in/out-bytes-acked) plus messages and bytes received
   * per media type (in-bytes-video, in-messages-audio, in-bytes-data...),
   * bitrate (media bit/s received over the last second or more, measured
   * between two reads), rtt-us (round trip time), reconnects and
   * connected-time (ns). Readable at any time from any thread.
   *
   * In server mode: server-port, n-clients (1 while a publisher is live),
   * clients-total (publishers taken), clients-refused (by
   * #GstRtmpSrc::authorize-publisher, or after the end), bitrate, the live
   * publisher's in/out-bytes-total, rtt-us and connected-time (ns since it
   * started publishing), and clients: an array with the live publisher's
   * structure (address, app, stream, kind, in/out-bytes-total,
   * in-bytes-video, in-bytes-audio, backlog-bytes, rtt-us, connected-time,
   * active-time).
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Stats", "Connection statistics",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstRtmpSrc:no-eof-is-error:
   *
   * Whether a connection that closes or breaks before the stream ended
   * (NetStream.Play.Complete, NetStream.Play.Stop, UnpublishNotify or
   * Stream EOF) is an error. The default, TRUE, differs from rtmp2src's
   * FALSE, with which such a connection ends with EOS: a network failure
   * should not look like the end of the stream. Client mode only: in
   * server mode #GstRtmpSrc:on-publisher-gone decides.
   */
  g_object_class_install_property (gobject_class, PROP_NO_EOF_IS_ERROR,
      g_param_spec_boolean ("no-eof-is-error", "No EOF is error",
          "A connection that ends before the stream ended is an error "
          "(FALSE: EOS, as rtmp2src)",
          DEFAULT_NO_EOF_IS_ERROR,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
              | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstRtmpSrc:play-type:
   *
   * live asks the server for a live stream only (play start -1000) and
   * makes a live source; recorded asks for a recording (from
   * #GstRtmpSrc:start, or 0) and makes a seekable, non-live source; any
   * (play start -2000) lets the server decide: the stream is recorded when
   * the server sends StreamIsRecorded or an onMetaData duration above 0.
   * As that answer decides whether the source is live, with any the
   * element connects in READY to PAUSED and waits for it there, even with
   * #GstRtmpSrc:async-connect FALSE (which otherwise connects with the
   * first buffer, as in rtmp2src).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_PLAY_TYPE,
      g_param_spec_enum ("play-type", "Play type",
          "Play a live stream, a recorded one, or whatever the server has",
          GST_TYPE_RTMP_SRC_PLAY_TYPE, DEFAULT_PLAY_TYPE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
              | GST_PARAM_MUTABLE_READY));
  /**
   * GstRtmpSrc:start:
   *
   * Where a recorded stream starts playing, in nanoseconds (sent in
   * milliseconds); -1 plays from the beginning (or live with play-type any).
   * Ignored with play-type live.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_START,
      g_param_spec_int64 ("start", "Start",
          "Position to start a recorded stream at (ns); -1 = the beginning", -1,
          G_MAXINT64, DEFAULT_START,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
              | GST_PARAM_MUTABLE_READY));
  /**
   * GstRtmpSrc:duration:
   *
   * How much of a recorded stream to play, in nanoseconds (sent in
   * milliseconds); -1 plays to the end.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_DURATION,
      g_param_spec_int64 ("duration", "Duration",
          "How much of a recorded stream to play (ns); -1 = to the end", -1,
          G_MAXINT64, DEFAULT_DURATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
              | GST_PARAM_MUTABLE_READY));
  /**
   * GstRtmpSrc:buffer-length:
   *
   * The buffer length announced to the server (SetBufferLength) before
   * play, in milliseconds. Servers send recorded streams this far ahead of
   * real time; live streams are not delayed by it.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_BUFFER_LENGTH,
      g_param_spec_uint ("buffer-length", "Buffer length",
          "Client buffer length announced to the server (ms)", 0, G_MAXUINT32,
          DEFAULT_BUFFER_LENGTH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
              | GST_PARAM_MUTABLE_READY));

  /**
   * GstRtmpSrc:on-publisher-gone:
   *
   * Server mode: what happens when the publisher leaves (unpublishes,
   * disconnects, is dropped for silence or for a broken stream). `eos`
   * ends the stream, and later publishers are refused; `wait` keeps the
   * pipeline running until the next publisher of the stream key comes,
   * whose media continues the timeline (from the last timestamp plus the
   * time that passed) with a DISCONT buffer.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ON_PUBLISHER_GONE,
      g_param_spec_enum ("on-publisher-gone", "On publisher gone",
          "Server mode: end the stream when the publisher leaves, or wait for "
          "the next one",
          GST_TYPE_RTMP_SRC_ON_PUBLISHER_GONE, DEFAULT_ON_PUBLISHER_GONE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
              | GST_PARAM_MUTABLE_PLAYING));

  gst_rtmp_element_install_properties (gobject_class, PROP_FIRST_SHARED, FALSE);
  gst_rtmp_src_server_class_init (gobject_class);
  gst_type_mark_as_plugin_api (GST_TYPE_RTMP_SRC_PLAY_TYPE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_RTMP_SRC_ON_PUBLISHER_GONE, 0);
}
