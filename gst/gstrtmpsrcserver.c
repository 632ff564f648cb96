/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmpsrc's server mode: a publish route on the shared listener takes one
 * publisher at a time and feeds its media into the same output as client
 * mode. */

/* How it works.
 *
 * start () registers a GST_RTMP_SERVER_ROUTE_PUBLISH route for the
 * location's application and stream key (gstrtmpserver.h): the listener
 * does the handshake, connect, Adobe authentication, releaseStream,
 * FCPublish and createStream, refuses unknown keys and a second publisher
 * (BadName), and calls the route's callbacks on an I/O thread:
 *  - request: the application decides through "authorize-publisher"; once
 *    the stream ended (on-publisher-gone=eos) nobody is taken any more.
 *    The accepted publisher's timeline starts; a later one continues it.
 *  - media: each message goes through the same path as a played one
 *    (gst_rtmp_flv_out_describe (), gst_rtmp_src_queue_tag_locked ()), so
 *    the output cannot be told from client mode's. A full queue stops
 *    reading the publisher's socket: TCP pushes back on it.
 *  - gone: EOS after what is queued, or nothing (wait for the next one).
 * The first publisher may come at any time: no timeout applies while the
 * element waits for it, and unlock ()/stop () end the wait at once. */

#include "config.h"
#include "gstrtmpsrcprivate.h"
#include "gstrtmpserver.h"

#include <string.h>

#define GST_CAT_DEFAULT gst_rtmp_src_debug

enum
{
  SIGNAL_AUTHORIZE_PUBLISHER,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

GType
gst_rtmp_src_on_publisher_gone_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    { GST_RTMP_SRC_ON_PUBLISHER_GONE_EOS, "End the stream (EOS)", "eos" },
    { GST_RTMP_SRC_ON_PUBLISHER_GONE_WAIT,
        "Wait for the next publisher and continue with it", "wait" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&id)) {
    GType type = g_enum_register_static ("RtmpGstOnPublisherGone", values);
    g_once_init_leave (&id, type);
  }
  return id;
}

/* Every handler must accept: the first FALSE stops the emission */
static gboolean
all_accept (GSignalInvocationHint *hint, GValue *return_accu,
    const GValue *handler_return, gpointer data)
{
  gboolean accept = g_value_get_boolean (handler_return);

  g_value_set_boolean (return_accu, accept);
  return accept;
}

/* Without a handler (or after all accepted): take the publisher */
static gboolean
authorize_publisher_default (GstRtmpSrc *self, const gchar *app,
    const gchar *stream, const gchar *query, const gchar *address)
{
  return TRUE;
}

void
gst_rtmp_src_server_class_init (GObjectClass *klass)
{
  GType types[4]
      = { G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING };

  /**
   * GstRtmpSrc::authorize-publisher:
   * @src: the rtmpsrc
   * @app: the application the publisher connected to, without its query
   * @stream: the stream key it publishes, without its query
   * @query: (nullable): the query string of the stream name (after '?'),
   *   NULL when there is none: where publishers put tokens
   * @address: the publisher's address, "host:port" ("[v6]:port")
   *
   * Server mode: a publisher asks to publish the stream. The listener has
   * already checked the application, the stream key, the credentials
   * (#GstRtmpSrc:username) and that no other publisher is live. Return
   * TRUE to take it, FALSE to refuse it (it receives
   * NetStream.Publish.BadName and is disconnected). Without a handler every
   * such publisher is taken; with several, all must return TRUE.
   *
   * Emitted from a network thread, while the publisher waits: decide
   * quickly and do not change the element's state from the handler.
   *
   * Returns: whether the publisher may publish
   *
   * Since: 0.1
   */
  signals[SIGNAL_AUTHORIZE_PUBLISHER] = g_signal_newv ("authorize-publisher",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
      g_cclosure_new (G_CALLBACK (authorize_publisher_default), NULL, NULL),
      all_accept, NULL, NULL, G_TYPE_BOOLEAN, G_N_ELEMENTS (types), types);
}

/* --- the route's callbacks (I/O threads) --- */

/* The publisher is gone, or sent something broken (@error): EOS or an
 * error after what is queued, or wait for the next one */
static void
end_publisher (GstRtmpSrc *self, GstRtmpServerClient *client,
    const GError *error, const gchar *reason)
{
  GstRtmpSrcOnPublisherGone policy;
  GstRtmpServerClient *publisher;
  gboolean post = FALSE;

  g_mutex_lock (&self->lock);
  if (self->publisher != client) {
    g_mutex_unlock (&self->lock);
    return;
  }
  publisher = g_steal_pointer (&self->publisher);
  self->is_reading_paused = FALSE;
  GST_OBJECT_LOCK (self);
  policy = self->on_publisher_gone;
  GST_OBJECT_UNLOCK (self);
  if (policy == GST_RTMP_SRC_ON_PUBLISHER_GONE_EOS && !self->is_ended) {
    if (error != NULL) {
      post = !gst_rtmp_flv_out_has_buffers_locked (self->out);
      gst_rtmp_src_queue_error_locked (self, error, post);
    } else {
      gst_rtmp_src_queue_eos_locked (self);
    }
  }
  g_mutex_unlock (&self->lock);

  GST_INFO_OBJECT (self, "publisher %s left (%s): %s",
      gst_rtmp_server_client_get_address (client), reason,
      policy == GST_RTMP_SRC_ON_PUBLISHER_GONE_EOS ? "the stream ends"
                                                   : "waiting for the next");
  if (post)
    gst_rtmp_src_post_error (self, error, TRUE);
  else if (error != NULL && policy == GST_RTMP_SRC_ON_PUBLISHER_GONE_WAIT)
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("The publisher %s sent a broken stream: dropped",
            gst_rtmp_server_client_get_address (client)),
        ("%s (%s %d)", error->message, g_quark_to_string (error->domain),
            error->code));
  /* may close its connection: without our lock */
  gst_rtmp_server_client_unref (publisher);
}

static gboolean
on_request (GstRtmpServerRoute *route, GstRtmpServerClient *client,
    gchar **refusal, gpointer user_data)
{
  GstRtmpSrc *self = user_data;
  const gchar *name = gst_rtmp_server_client_get_stream (client);
  const gchar *question = strchr (name, '?');
  g_autofree gchar *key
      = question ? g_strndup (name, question - name) : g_strdup (name);
  const gchar *address = gst_rtmp_server_client_get_address (client);
  GstRtmpServerClient *leaving;
  gboolean accept = TRUE, is_continuation;

  /* The listener lets the next publisher in as soon as the last one is
   * gone, which it may tell us after this: take it as gone now */
  g_mutex_lock (&self->lock);
  leaving
      = self->publisher ? gst_rtmp_server_client_ref (self->publisher) : NULL;
  g_mutex_unlock (&self->lock);
  if (leaving) {
    end_publisher (self, leaving, NULL, "the next publisher came");
    gst_rtmp_server_client_unref (leaving);
  }

  g_signal_emit (self, signals[SIGNAL_AUTHORIZE_PUBLISHER], 0,
      gst_rtmp_server_client_get_app (client), key,
      question ? question + 1 : NULL, address, &accept);

  g_mutex_lock (&self->lock);
  if (!accept) {
    self->publishers_refused++;
    g_mutex_unlock (&self->lock);
    GST_INFO_OBJECT (self, "the application refused publisher %s", address);
    *refusal = g_strdup ("refused by the application");
    return FALSE;
  }
  if (self->is_ended || self->publisher != NULL) {
    /* ended (on-publisher-gone=eos), or another request won meanwhile */
    self->publishers_refused++;
    g_mutex_unlock (&self->lock);
    *refusal = g_strdup ("the stream has ended");
    return FALSE;
  }
  self->publisher = gst_rtmp_server_client_ref (client);
  self->connection_serial++;
  is_continuation = self->connection_serial > 1;
  /* a new publisher's timestamps start over: the first one's at 0, the
   * next ones' where the stream is now */
  gst_rtmp_flv_out_restart_locked (self->out, is_continuation);
  /* it is read until the queue is full again */
  self->is_reading_paused = FALSE;
  gst_rtmp_src_wake_waiters_locked (self);
  g_mutex_unlock (&self->lock);

  GST_INFO_OBJECT (self, "publisher %s%s", address,
      is_continuation ? " continues the stream" : "");
  return TRUE;
}

static void
on_media (GstRtmpServerRoute *route, GstRtmpServerClient *client,
    const RtmpMessage *message, gpointer user_data)
{
  GstRtmpSrc *self = user_data;
  g_autoptr (GError) error = NULL;
  GstRtmpFlvOutTag tag;
  gboolean pause_reading, duration_changed = FALSE;

  if (!gst_rtmp_flv_out_describe (GST_OBJECT (self), message, &tag, &error)) {
    if (error != NULL) {
      /* as in client mode, broken data ends this peer's stream */
      end_publisher (self, client, error, error->message);
      gst_rtmp_server_client_disconnect (client, error->message);
    }
    return;
  }

  g_mutex_lock (&self->lock);
  if (self->publisher != client || self->is_ended) {
    g_mutex_unlock (&self->lock);
    gst_rtmp_flv_out_tag_clear (&tag);
    return;
  }
  pause_reading = gst_rtmp_src_queue_tag_locked (self, &tag, message->timestamp,
      &duration_changed);
  g_mutex_unlock (&self->lock);

  if (pause_reading)
    gst_rtmp_src_apply_reading (self);
}

static void
on_gone (GstRtmpServerRoute *route, GstRtmpServerClient *client,
    const gchar *reason, gpointer user_data)
{
  end_publisher (user_data, client, NULL, reason);
}

static const GstRtmpServerRouteCallbacks route_callbacks = {
  .request = on_request,
  .media = on_media,
  .gone = on_gone,
};

/* --- starting and stopping --- */

gboolean
gst_rtmp_src_server_start (GstRtmpSrc *self)
{
  GstRtmpElementSettings *s = &self->settings;
  GstRtmpServerRouteConfig config = {
    0,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpUrl) url = g_new0 (RtmpUrl, 1);
  g_autofree gchar *user = NULL, *password = NULL, *cert = NULL, *key = NULL;
  GstRtmpServerRoute *route;

  if (!gst_rtmp_element_check_settings (GST_ELEMENT (self), s, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message),
        (NULL));
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  url->scheme = s->scheme;
  url->host = g_strdup (s->host ? s->host : "");
  url->port = s->port;
  url->application = g_strdup (s->application ? s->application : "");
  url->stream = g_strdup (s->stream ? s->stream : "");
  user = g_strdup (s->username);
  password = g_strdup (s->password);
  cert = g_strdup (s->tls_certificate_file);
  key = g_strdup (s->tls_key_file);
  config.use_tls = rtmp_scheme_is_tls (s->scheme);
  config.timeout_s = s->timeout_s;
  config.idle_timeout_s = s->idle_timeout_s;
  GST_OBJECT_UNLOCK (self);

  config.element = GST_ELEMENT (self);
  config.host = url->host;
  config.port = url->port;
  config.tls_certificate_file = cert;
  config.tls_key_file = key;
  config.application = url->application;
  config.stream = url->stream;
  config.kind = GST_RTMP_SERVER_ROUTE_PUBLISH;
  config.username = user;
  config.password = password;

  g_mutex_lock (&self->lock);
  g_free (self->display_url);
  self->display_url = rtmp_url_to_string (url, FALSE);
  self->is_server = TRUE;
  self->kind = STREAM_LIVE;
  self->publishers_refused = 0;
  g_mutex_unlock (&self->lock);

  route = gst_rtmp_server_route_new (&config, &route_callbacks, self, NULL,
      &error);
  if (route == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not listen for a publisher on %s: %s", self->display_url,
            error->message),
        ("%s (%s %d)", error->message, g_quark_to_string (error->domain),
            error->code));
    g_mutex_lock (&self->lock);
    self->is_server = FALSE;
    g_mutex_unlock (&self->lock);
    return FALSE;
  }
  GST_INFO_OBJECT (self, "waiting for a publisher on %s (port %u)",
      self->display_url, gst_rtmp_server_route_get_port (route));
  g_mutex_lock (&self->lock);
  self->route = route;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

void
gst_rtmp_src_server_stop (GstRtmpSrc *self)
{
  GstRtmpServerRoute *route;
  GstRtmpServerClient *publisher;

  g_mutex_lock (&self->lock);
  route = g_steal_pointer (&self->route);
  g_mutex_unlock (&self->lock);
  /* without self->lock: it waits for running callbacks, which take it;
   * none runs after it returned */
  gst_rtmp_server_route_free (route);

  g_mutex_lock (&self->lock);
  publisher = g_steal_pointer (&self->publisher);
  self->is_server = FALSE;
  g_mutex_unlock (&self->lock);
  if (publisher)
    gst_rtmp_server_client_unref (publisher);
}

/* --- stats --- */

GstStructure *
gst_rtmp_src_server_get_stats (GstRtmpSrc *self)
{
  GstStructure *s = gst_structure_new_empty ("GstRtmpConnectionStats");
  GstRtmpServerClient *publisher;
  GValue clients = G_VALUE_INIT;
  guint64 bitrate, refused, in_bytes = 0, out_bytes = 0, rtt_us = 0;
  guint64 connected_time = 0;
  guint port = 0, accepted;

  g_mutex_lock (&self->lock);
  publisher
      = self->publisher ? gst_rtmp_server_client_ref (self->publisher) : NULL;
  if (self->route)
    port = gst_rtmp_server_route_get_port (self->route);
  accepted = self->connection_serial;
  refused = self->publishers_refused;
  bitrate = gst_rtmp_src_update_bitrate_locked (self);
  g_mutex_unlock (&self->lock);

  g_value_init (&clients, GST_TYPE_ARRAY);
  if (publisher) {
    GstStructure *client = gst_rtmp_server_client_dup_stats (publisher);
    GValue value = G_VALUE_INIT;

    gst_structure_get_uint64 (client, "in-bytes-total", &in_bytes);
    gst_structure_get_uint64 (client, "out-bytes-total", &out_bytes);
    gst_structure_get_uint64 (client, "rtt-us", &rtt_us);
    gst_structure_get_uint64 (client, "active-time", &connected_time);
    g_value_init (&value, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&value, client);
    gst_value_array_append_and_take_value (&clients, &value);
    gst_rtmp_server_client_unref (publisher);
  }
  gst_structure_set (s, "server-port", G_TYPE_UINT, port, "n-clients",
      G_TYPE_UINT, publisher ? 1 : 0, "clients-total", G_TYPE_UINT64,
      (guint64) accepted, "clients-refused", G_TYPE_UINT64, refused, "bitrate",
      G_TYPE_UINT64, bitrate, "in-bytes-total", G_TYPE_UINT64, in_bytes,
      "out-bytes-total", G_TYPE_UINT64, out_bytes, "rtt-us", G_TYPE_UINT64,
      rtt_us, "connected-time", G_TYPE_UINT64, connected_time, NULL);
  gst_structure_take_value (s, "clients", &clients);
  return s;
}
