/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmpsrc's client mode: plays a stream from a server through
 * gstrtmpclient.c, turning the session's events into the output (media,
 * ends, errors, live or recorded), and seeks and pauses recorded streams
 * on the server. */

#include "config.h"
#include "gstrtmpsrcprivate.h"
#include "rtmpflv.h"

#define GST_CAT_DEFAULT gst_rtmp_src_debug

/* play-type any: how long after NetStream.Play.Start a server may take to
 * say the stream is recorded before it is taken as live */
#define DECISION_WAIT_MS 2000

/* --- talking to the session (never with self->lock) --- */

typedef enum
{
  SESSION_SEEK,
  SESSION_PAUSE,
  SESSION_UNPAUSE,
  SESSION_STOP,
} SessionCall;

static void
call_session (GstRtmpConnection *connection, SessionCall call,
    gint64 position_ms)
{
  RtmpSession *session;

  gst_rtmp_connection_lock (connection);
  session = gst_rtmp_connection_get_session_locked (connection);
  if (session != NULL
      && gst_rtmp_connection_get_phase_locked (connection)
          != GST_RTMP_CONNECTION_PHASE_CLOSED
      && rtmp_session_get_stream_id (session) != 0) {
    switch (call) {
      case SESSION_SEEK:
        rtmp_session_seek (session, position_ms);
        break;
      case SESSION_PAUSE:
      case SESSION_UNPAUSE:
        rtmp_session_pause (session, call == SESSION_PAUSE, position_ms);
        break;
      case SESSION_STOP:
        rtmp_session_stop (session,
            RTMP_STOP_COMMANDS_CLOSE_STREAM | RTMP_STOP_COMMANDS_DELETE_STREAM);
        break;
    }
    gst_rtmp_connection_flush_locked (connection);
  }
  gst_rtmp_connection_unlock (connection);
}

/* --- client callbacks (I/O threads) --- */

static void
on_client_state (GstRtmpClient *client, GstRtmpClientState state,
    const gchar *reason, guint attempt, gpointer user_data)
{
  GstRtmpSrc *self = user_data;

  g_mutex_lock (&self->lock);
  if (state == GST_RTMP_CLIENT_STATE_RECONNECTING
      || state == GST_RTMP_CLIENT_STATE_STOPPED) {
    g_clear_pointer (&self->connection, gst_rtmp_connection_unref);
    self->is_reading_paused = FALSE;
    gst_rtmp_src_wake_waiters_locked (self);
  }
  g_mutex_unlock (&self->lock);

  gst_rtmp_element_post_state (GST_ELEMENT (self), state,
      gst_rtmp_client_get_display_url (client), reason, attempt);
}

static void
on_client_error (GstRtmpClient *client, const GError *error, gpointer user_data)
{
  GstRtmpSrc *self = user_data;
  gboolean established, as_eos, post = FALSE;

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->connection, gst_rtmp_connection_unref);
  if (self->is_ended) {
    /* the stream had ended: only a seek would need the connection */
    GST_DEBUG_OBJECT (self, "connection failed after the end: %s",
        error->message);
    g_clear_error (&self->late_error);
    self->late_error = g_error_copy (error);
    gst_rtmp_src_wake_waiters_locked (self);
    g_mutex_unlock (&self->lock);
    return;
  }
  established = self->connection_serial > 0;
  GST_OBJECT_LOCK (self);
  as_eos = established && !self->no_eof_is_error;
  GST_OBJECT_UNLOCK (self);
  if (as_eos) {
    /* rtmp2src's behaviour */
    GST_INFO_OBJECT (self, "connection lost, EOS (no-eof-is-error=false): %s",
        error->message);
    gst_rtmp_src_queue_eos_locked (self);
  } else {
    post = !gst_rtmp_flv_out_has_buffers_locked (self->out);
    gst_rtmp_src_queue_error_locked (self, error, post);
  }
  g_mutex_unlock (&self->lock);

  if (post)
    gst_rtmp_src_post_error (self, error, established);
}

/* A clean end: EOS after everything received before it */
static void
end_stream (GstRtmpSrc *self, GstRtmpConnection *connection, const gchar *why)
{
  gboolean stop_session;

  g_mutex_lock (&self->lock);
  if (self->is_ended || self->seeks_pending) {
    g_mutex_unlock (&self->lock);
    return;
  }
  GST_INFO_OBJECT (self, "the stream ended (%s)", why);
  gst_rtmp_src_queue_eos_locked (self);
  /* a live stream is over: close, so that the server's close is no reason
   * to reconnect; a recorded one stays open for seeks back */
  stop_session = self->kind != STREAM_RECORDED;
  g_mutex_unlock (&self->lock);

  if (stop_session)
    call_session (connection, SESSION_STOP, 0);
}

static void
fail_stream (GstRtmpSrc *self, GstRtmpClient *client, GError *error)
{
  gboolean ended;

  g_mutex_lock (&self->lock);
  ended = self->is_ended;
  g_mutex_unlock (&self->lock);
  /* a reconnect when attempts remain, else on_client_error () */
  if (!ended)
    gst_rtmp_client_reconnect (client, error, NULL);
  g_error_free (error);
}

static void
handle_status (GstRtmpSrc *self, GstRtmpClient *client,
    GstRtmpConnection *connection, const RtmpSessionEvent *event)
{
  const gchar *code = event->code ? event->code : "";
  gboolean ours, playing;

  g_mutex_lock (&self->lock);
  ours = event->stream_id == self->stream_id;
  playing = self->connection == connection;
  g_mutex_unlock (&self->lock);

  GST_INFO_OBJECT (self, "status on stream %u: %s %s %s", event->stream_id,
      GST_STR_NULL (event->level), code, GST_STR_NULL (event->description));

  if (g_str_equal (code, "NetConnection.Connect.ReconnectRequest")) {
    /* Enhanced RTMP: the server asks us to move, maybe elsewhere */
    g_autoptr (GError) error = g_error_new (RTMP_ERROR, RTMP_ERROR_CLOSED,
        "the server asked to reconnect%s%s", event->description ? ": " : "",
        event->description ? event->description : "");

    gst_rtmp_client_reconnect (client, error,
        rtmp_amf_value_lookup_string (event->info, "tcUrl"));
    return;
  }
  if (!ours || !playing)
    return; /* before playing, the session fails by itself */

  if (g_str_equal (code, "NetStream.Play.Complete")
      || g_str_equal (code, "NetStream.Play.Stop")
      || g_str_equal (code, "NetStream.Play.UnpublishNotify")) {
    end_stream (self, connection, code);
  } else if (g_str_equal (code, "NetStream.Seek.Notify")
      || g_str_equal (code, "NetStream.Seek.Failed")
      || g_str_equal (code, "NetStream.Seek.InvalidTime")) {
    g_mutex_lock (&self->lock);
    /* each seek sent gets its answer (nginx-rtmp sends Stream EOF and
     * media before each): the media is the new position's after the last */
    if (self->seeks_pending > 0 && --self->seeks_pending == 0) {
      /* the server's timeline starts over at the new position */
      gst_rtmp_flv_out_jump_locked (self->out);
    }
    g_mutex_unlock (&self->lock);
    if (!g_str_equal (code, "NetStream.Seek.Notify"))
      GST_ELEMENT_WARNING (self, RESOURCE, SEEK,
          ("The server could not seek: %s", code),
          ("%s", GST_STR_NULL (event->description)));
  } else if (g_strcmp0 (event->level, "warning") == 0) {
    /* NetStream.Play.InsufficientBW...: the stream goes on */
    GST_ELEMENT_WARNING (self, RESOURCE, READ, ("The server warns: %s", code),
        ("%s", GST_STR_NULL (event->description)));
  } else if (g_strcmp0 (event->level, "error") == 0) {
    /* an error status mid-stream (NetStream.Play.Failed...) ends it */
    fail_stream (self, client,
        g_error_new (RTMP_ERROR, RTMP_ERROR_REJECTED,
            "the server stopped the stream: %s%s%s", code,
            event->description ? ": " : "",
            event->description ? event->description : ""));
  }
}

static void
handle_stream_control (GstRtmpSrc *self, GstRtmpConnection *connection,
    const RtmpSessionEvent *event)
{
  gboolean ours, ignore_eof;

  g_mutex_lock (&self->lock);
  ours = event->stream_id == self->stream_id;
  /* nginx-rtmp sends Stream EOF before NetStream.Seek.Notify */
  ignore_eof = self->seeks_pending || self->is_server_paused
      || self->connection != connection;
  if (ours && event->control_type == RTMP_USER_CONTROL_STREAM_IS_RECORDED
      && self->kind == STREAM_UNDECIDED) {
    GST_INFO_OBJECT (self, "the server says the stream is recorded");
    self->kind = STREAM_RECORDED;
    gst_rtmp_src_wake_waiters_locked (self);
  }
  g_mutex_unlock (&self->lock);

  GST_DEBUG_OBJECT (self, "%s on stream %u",
      rtmp_user_control_type_get_name (event->control_type), event->stream_id);
  if (ours && event->control_type == RTMP_USER_CONTROL_STREAM_EOF
      && !ignore_eof)
    end_stream (self, connection, "Stream EOF");
}

static void
handle_playing (GstRtmpSrc *self, GstRtmpConnection *connection)
{
  gint64 seek_ms = -1;

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->connection, gst_rtmp_connection_unref);
  self->connection = gst_rtmp_connection_ref (connection);
  self->connection_serial++;
  self->is_reading_paused = FALSE;
  self->is_server_paused = FALSE;
  if (self->playing_time_us == 0)
    self->playing_time_us = g_get_monotonic_time ();
  gst_rtmp_flv_out_restart_locked (self->out, self->connection_serial > 1);
  if (self->connection_serial > 1) {
    gint64 position_ms;

    GST_INFO_OBJECT (self, "playing again after a reconnect");
    /* a recorded stream goes on from where it was */
    if (self->kind == STREAM_RECORDED
        && gst_rtmp_flv_out_get_position_locked (self->out, &position_ms)
        && !self->is_ended)
      seek_ms = position_ms;
  }
  if (self->seek_to_send_ms >= 0) {
    seek_ms = self->seek_to_send_ms;
    self->seek_to_send_ms = -1;
  }
  /* what the old connection was sent gets no answer */
  self->seeks_pending = seek_ms >= 0 ? 1 : 0;
  if (seek_ms >= 0)
    self->seek_sent_us = g_get_monotonic_time ();
  gst_rtmp_src_wake_waiters_locked (self);
  g_mutex_unlock (&self->lock);

  if (seek_ms >= 0)
    call_session (connection, SESSION_SEEK, seek_ms);
}

static void
handle_media (GstRtmpSrc *self, GstRtmpClient *client,
    GstRtmpConnection *connection, const RtmpMessage *message)
{
  GError *error = NULL;
  GstRtmpFlvOutTag tag;
  gint64 now_us;
  gboolean pause_reading, duration_changed = FALSE;
  guint timeout_s;

  g_mutex_lock (&self->lock);
  /* FFmpeg serving a stream (-f flv -listen 1) sends its media on message
   * stream 0 instead of the stream it created for our play: a connection
   * plays one stream, so stream 0 is ours too */
  if (message->stream_id == 0 && self->stream_id != 0
      && !self->warned_stream_0) {
    self->warned_stream_0 = TRUE;
    GST_WARNING_OBJECT (self,
        "media on message stream 0 instead of %u "
        "(FFmpeg -listen does this): taken as ours",
        self->stream_id);
  }
  if ((message->stream_id != self->stream_id && message->stream_id != 0)
      || self->connection != connection || self->is_ended) {
    g_mutex_unlock (&self->lock);
    GST_LOG_OBJECT (self, "dropping a %s message on stream %u",
        rtmp_message_type_get_name (message->type), message->stream_id);
    return;
  }
  g_mutex_unlock (&self->lock);

  if (!gst_rtmp_flv_out_describe (GST_OBJECT (self), message, &tag, &error)) {
    if (error != NULL)
      fail_stream (self, client, error);
    return;
  }

  g_mutex_lock (&self->lock);
  now_us = g_get_monotonic_time ();
  if (self->is_ended || self->connection != connection) {
    g_mutex_unlock (&self->lock);
    gst_rtmp_flv_out_tag_clear (&tag);
    return;
  }
  if (self->seeks_pending) {
    GST_OBJECT_LOCK (self);
    timeout_s = self->settings.timeout_s;
    GST_OBJECT_UNLOCK (self);
    if (timeout_s == 0
        || now_us - self->seek_sent_us < timeout_s * G_USEC_PER_SEC) {
      /* sent before the server seeked */
      g_mutex_unlock (&self->lock);
      gst_rtmp_flv_out_tag_clear (&tag);
      return;
    }
    GST_WARNING_OBJECT (self,
        "no NetStream.Seek.Notify after %u s: taking "
        "the media as the new position's",
        timeout_s);
    self->seeks_pending = 0;
    gst_rtmp_flv_out_jump_locked (self->out);
  }
  pause_reading = gst_rtmp_src_queue_tag_locked (self, &tag, message->timestamp,
      &duration_changed);
  g_mutex_unlock (&self->lock);

  if (pause_reading)
    gst_rtmp_src_apply_reading (self);
  if (duration_changed)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_duration_changed (GST_OBJECT (self)));
}

static void
on_client_event (GstRtmpClient *client, GstRtmpConnection *connection,
    RtmpSessionEvent *event, gpointer user_data)
{
  GstRtmpSrc *self = user_data;

  switch (event->type) {
    case RTMP_SESSION_EVENT_STREAM_CREATED:
      g_mutex_lock (&self->lock);
      self->stream_id = event->stream_id;
      g_mutex_unlock (&self->lock);
      break;
    case RTMP_SESSION_EVENT_PLAYING:
      handle_playing (self, connection);
      break;
    case RTMP_SESSION_EVENT_STATUS:
      handle_status (self, client, connection, event);
      break;
    case RTMP_SESSION_EVENT_STREAM_CONTROL:
      handle_stream_control (self, connection, event);
      break;
    case RTMP_SESSION_EVENT_MEDIA:
      handle_media (self, client, connection, event->message);
      break;
    case RTMP_SESSION_EVENT_COMMAND:
      GST_DEBUG_OBJECT (self, "command %s on stream %u ignored",
          GST_STR_NULL (event->name), event->stream_id);
      break;
    default:
      break;
  }
}

static const GstRtmpClientCallbacks client_callbacks = {
  .state = on_client_state,
  .event = on_client_event,
  .error = on_client_error,
};

/* --- starting and stopping --- */

void
gst_rtmp_src_client_stop (GstRtmpSrc *self)
{
  GstRtmpClient *client;
  GstRtmpConnection *connection;

  g_mutex_lock (&self->lock);
  client = g_steal_pointer (&self->client);
  connection = g_steal_pointer (&self->connection);
  g_mutex_unlock (&self->lock);

  /* closeStream and deleteStream, as far as the socket takes them now */
  if (connection) {
    call_session (connection, SESSION_STOP, 0);
    gst_rtmp_connection_unref (connection);
  }
  /* without self->lock: it waits for running callbacks, which take it */
  if (client)
    gst_rtmp_client_free (client);
}

void
gst_rtmp_src_client_connect (GstRtmpSrc *self)
{
  GstRtmpClient *client;

  g_mutex_lock (&self->lock);
  client = self->is_client_started ? NULL : self->client;
  self->is_client_started = TRUE;
  g_mutex_unlock (&self->lock);
  if (client)
    gst_rtmp_client_start (client);
}

/* Waits until the server said whether the stream is live: FALSE when the
 * connection failed (the error was posted) */
static gboolean
wait_for_kind (GstRtmpSrc *self)
{
  gboolean ok = TRUE;

  g_mutex_lock (&self->lock);
  while (self->kind == STREAM_UNDECIDED) {
    gint64 deadline = G_MAXINT64;
    GstRtmpFlvOutItem *head = gst_rtmp_flv_out_peek_head_locked (self->out);

    if (head != NULL && head->type == GST_RTMP_FLV_OUT_ITEM_ERROR) {
      if (!head->posted) {
        /* cannot happen: nothing is queued before it */
        head->posted = TRUE;
        g_mutex_unlock (&self->lock);
        gst_rtmp_src_post_error (self, head->error, head->established);
        g_mutex_lock (&self->lock);
      }
      ok = FALSE;
      break;
    }
    if (self->is_ended) {
      /* ended before saying anything: nothing to seek in */
      self->kind = STREAM_LIVE;
      break;
    }
    if (self->playing_time_us != 0) {
      deadline
          = self->playing_time_us + DECISION_WAIT_MS * G_TIME_SPAN_MILLISECOND;
      if (g_get_monotonic_time () >= deadline) {
        GST_INFO_OBJECT (self,
            "no sign of a recording %u ms after "
            "NetStream.Play.Start: the stream is live",
            DECISION_WAIT_MS);
        self->kind = STREAM_LIVE;
        break;
      }
    }
    gst_rtmp_src_wait_locked (self, deadline);
  }
  g_mutex_unlock (&self->lock);
  return ok;
}

/* READY to PAUSED: builds the client, starts it unless async-connect is
 * FALSE, and decides whether the source is live */
gboolean
gst_rtmp_src_client_start (GstRtmpSrc *self)
{
  GstRtmpClientSettings settings;
  g_autoptr (RtmpUrl) url = NULL;
  g_autoptr (RtmpAmfValue) extra = NULL;
  g_auto (GStrv) fourccs = NULL;
  g_autoptr (GError) error = NULL;
  GstRtmpClient *client;
  GstRtmpSrcPlayType play_type;
  gint64 start, duration;
  gboolean async_connect, is_live;

  if (!gst_rtmp_element_build_client_settings (GST_ELEMENT (self),
          &self->settings, RTMP_SESSION_INTENT_PLAY, &settings, &url, &extra,
          &fourccs, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid settings: %s", error->message), (NULL));
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  play_type = self->play_type;
  start = self->start;
  duration = self->duration;
  async_connect = self->settings.async_connect;
  settings.buffer_length_ms = self->buffer_length_ms;
  GST_OBJECT_UNLOCK (self);

  switch (play_type) {
    case GST_RTMP_SRC_PLAY_TYPE_LIVE:
      settings.play_start_ms = RTMP_PLAY_START_LIVE;
      break;
    case GST_RTMP_SRC_PLAY_TYPE_RECORDED:
      settings.play_start_ms = start >= 0 ? start / GST_MSECOND : 0;
      break;
    case GST_RTMP_SRC_PLAY_TYPE_ANY:
      settings.play_start_ms
          = start >= 0 ? start / GST_MSECOND : RTMP_PLAY_START_ANY;
      break;
  }
  settings.play_duration_ms
      = duration >= 0 ? duration / GST_MSECOND : RTMP_PLAY_DURATION_ALL;
  /* idle-timeout works as in rtmp2src, in create () */
  settings.idle_timeout_s = 0;

  client = gst_rtmp_client_new (&settings, &client_callbacks, self);
  g_mutex_lock (&self->lock);
  self->client = client;
  g_free (self->display_url);
  self->display_url = g_strdup (gst_rtmp_client_get_display_url (client));
  if (play_type == GST_RTMP_SRC_PLAY_TYPE_LIVE)
    self->kind = STREAM_LIVE;
  else if (play_type == GST_RTMP_SRC_PLAY_TYPE_RECORDED)
    self->kind = STREAM_RECORDED;
  g_mutex_unlock (&self->lock);

  /* play-type any must know before the state change completes */
  if (async_connect || play_type == GST_RTMP_SRC_PLAY_TYPE_ANY)
    gst_rtmp_src_client_connect (self);
  if (play_type == GST_RTMP_SRC_PLAY_TYPE_ANY && !wait_for_kind (self)) {
    gst_rtmp_src_client_stop (self);
    return FALSE;
  }

  g_mutex_lock (&self->lock);
  is_live = self->kind == STREAM_LIVE;
  g_mutex_unlock (&self->lock);
  gst_base_src_set_live (GST_BASE_SRC (self), is_live);
  return TRUE;
}

/* --- recorded streams: pausing and seeking on the server --- */

/* Pauses or resumes a recorded stream on the server. A pause is only
 * requested here: it is sent once the next buffer went out (see create ()),
 * as the sinks need one to preroll in PAUSED and a paused server sends
 * none. */
void
gst_rtmp_src_client_pause_server (GstRtmpSrc *self, gboolean pause)
{
  GstRtmpConnection *connection = NULL;
  gint64 position_ms = 0;

  g_mutex_lock (&self->lock);
  if (pause) {
    self->is_pause_pending = self->kind == STREAM_RECORDED && !self->is_ended;
  } else {
    self->is_pause_pending = FALSE;
    if (self->is_server_paused && self->connection != NULL) {
      connection = gst_rtmp_connection_ref (self->connection);
      gst_rtmp_flv_out_get_position_locked (self->out, &position_ms);
    }
    self->is_server_paused = FALSE;
  }
  g_mutex_unlock (&self->lock);

  if (connection) {
    GST_DEBUG_OBJECT (self, "resuming the server at %" G_GINT64_FORMAT " ms",
        position_ms);
    call_session (connection, SESSION_UNPAUSE, position_ms);
    gst_rtmp_connection_unref (connection);
  }
}

/* create (): a pause was requested and a buffer goes out now. Called with
 * the lock, which it releases. */
void
gst_rtmp_src_client_send_pending_pause_unlocked (GstRtmpSrc *self)
{
  GstRtmpConnection *connection = NULL;
  gint64 position_ms = 0;

  self->is_pause_pending = FALSE;
  if (self->connection != NULL && !self->is_ended) {
    self->is_server_paused = TRUE;
    connection = gst_rtmp_connection_ref (self->connection);
    gst_rtmp_flv_out_get_position_locked (self->out, &position_ms);
  }
  g_mutex_unlock (&self->lock);

  if (connection) {
    GST_DEBUG_OBJECT (self, "pausing the server at %" G_GINT64_FORMAT " ms",
        position_ms);
    call_session (connection, SESSION_PAUSE, position_ms);
    gst_rtmp_connection_unref (connection);
  }
}

gboolean
gst_rtmp_src_client_seek (GstRtmpSrc *self, GstSegment *segment,
    gboolean initial, gint64 start_ms)
{
  GstRtmpConnection *connection = NULL;
  gboolean unpause = FALSE;
  gint64 position_ms;

  g_mutex_lock (&self->lock);
  if (self->kind != STREAM_RECORDED) {
    g_mutex_unlock (&self->lock);
    /* GstBaseSrc's segment at start: a live stream is not seekable */
    return initial;
  }
  if (initial) {
    /* the play command asked for start: the segment starts there */
    if (segment->start == 0 && start_ms > 0) {
      segment->start = segment->time = segment->position
          = start_ms * GST_MSECOND;
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
    if (segment->start == (guint64) start_ms * GST_MSECOND) {
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  }

  position_ms = segment->start / GST_MSECOND;
  GST_INFO_OBJECT (self, "seeking to %" G_GINT64_FORMAT " ms", position_ms);
  self->is_ended = gst_rtmp_flv_out_flush_locked (self->out);
  if (self->is_ended && self->late_error == NULL) {
    /* the error item stays: nothing to seek in */
    g_mutex_unlock (&self->lock);
    return TRUE;
  }
  if (self->late_error) {
    /* the connection is gone since the end */
    gst_rtmp_flv_out_push_error_locked (self->out, self->late_error, TRUE,
        FALSE);
    self->is_ended = TRUE;
    gst_rtmp_src_wake_waiters_locked (self);
    g_clear_error (&self->late_error);
    g_mutex_unlock (&self->lock);
    return TRUE;
  }
  gst_rtmp_flv_out_jump_locked (self->out);
  if (self->connection) {
    connection = gst_rtmp_connection_ref (self->connection);
    self->seeks_pending++;
    self->seek_sent_us = g_get_monotonic_time ();
    /* a seek in PAUSED needs media to preroll: pause again after it */
    unpause = self->is_server_paused;
    if (unpause)
      self->is_pause_pending = TRUE;
    self->is_server_paused = FALSE;
  } else {
    self->seek_to_send_ms = position_ms;
  }
  if (self->is_reading_paused) {
    self->is_reading_paused = FALSE;
  }
  g_mutex_unlock (&self->lock);

  if (connection) {
    call_session (connection, SESSION_SEEK, position_ms);
    if (unpause)
      call_session (connection, SESSION_UNPAUSE, position_ms);
    gst_rtmp_connection_unref (connection);
  }
  gst_rtmp_src_apply_reading (self);
  return TRUE;
}

/* --- stats --- */

GstStructure *
gst_rtmp_src_client_get_stats (GstRtmpSrc *self)
{
  GstStructure *s = gst_structure_new_empty ("GstRtmpConnectionStats");
  RtmpSessionStats stats = {
    0,
  };
  GstRtmpConnection *connection = NULL;
  guint64 tcp_rtt_us = 0, bitrate;
  gint64 connected_time = 0, now_us = g_get_monotonic_time ();
  guint reconnects = 0;

  g_mutex_lock (&self->lock);
  if (self->connection)
    connection = gst_rtmp_connection_ref (self->connection);
  if (self->client) {
    reconnects = gst_rtmp_client_get_reconnects (self->client);
    connected_time = gst_rtmp_client_get_connected_time (self->client);
  }
  bitrate = gst_rtmp_src_update_bitrate_locked (self);
  g_mutex_unlock (&self->lock);

  if (connection) {
    gst_rtmp_connection_get_stats (connection, &stats, &tcp_rtt_us);
    gst_rtmp_connection_unref (connection);
  }

  gst_rtmp_element_add_session_stats (s, &stats);
  gst_structure_set (s, "bitrate", G_TYPE_UINT64, bitrate, "reconnects",
      G_TYPE_UINT, reconnects, "rtt-us", G_TYPE_UINT64,
      stats.rtt_us ? stats.rtt_us : tcp_rtt_us, "connected-time", G_TYPE_UINT64,
      connected_time ? (guint64) (now_us - connected_time) * 1000 : 0, NULL);
  return s;
}
