/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Keeps an element's client connection up: builds each connection from the
 * element's settings, follows authentication requests, reconnects with
 * bounded back-off after an established connection drops, and reports its
 * state.
 *
 * Callbacks come from the connection's I/O thread or the retry timer, under
 * callback_lock; free () takes it too, so no callback runs after it. Lock
 * order: callback_lock, then lock. */

#include "config.h"
#include "gstrtmpclient.h"

#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtmp_client_debug);
#define GST_CAT_DEFAULT gst_rtmp_client_debug

#define MAX_RECONNECT_DELAY_MS 30000

struct _GstRtmpClient
{
  GMutex lock;
  GRecMutex callback_lock;

  /* settings, copied */
  GstRtmpClientSettings settings; /* pointers below */
  RtmpUrl *url;
  gchar *flash_ver, *swf_url, *page_url, *secure_token;
  gchar *tls_ca_file, *tls_certificate_file, *tls_key_file;
  RtmpAmfValue *extra_connect_args;
  GStrv fourcc_list;
  gchar *display_url;

  RtmpAuthState *auth;
  gchar *tc_url; /* connect's tcUrl (a ReconnectRequest may
                                 * change it) */

  GstRtmpIoLoop *loop; /* for the retry timer */
  GSource *retry_source;
  GstRtmpConnection *connection;
  gboolean is_stopped;
  gboolean is_established; /* reached publishing/playing once */
  gboolean auth_retry;
  guint attempt; /* of the current outage; 0 = none */
  guint reconnects;
  gint64 connected_time;

  GstRtmpClientCallbacks callbacks;
  gpointer user_data;
};

const gchar *
gst_rtmp_client_state_get_name (GstRtmpClientState state)
{
  switch (state) {
    case GST_RTMP_CLIENT_STATE_STOPPED:
      return "stopped";
    case GST_RTMP_CLIENT_STATE_CONNECTING:
      return "connecting";
    case GST_RTMP_CLIENT_STATE_HANDSHAKING:
      return "handshaking";
    case GST_RTMP_CLIENT_STATE_CONNECTED:
      return "connected";
    case GST_RTMP_CLIENT_STATE_PUBLISHING:
      return "publishing";
    case GST_RTMP_CLIENT_STATE_PLAYING:
      return "playing";
    case GST_RTMP_CLIENT_STATE_RECONNECTING:
      return "reconnecting";
  }
  return "unknown";
}

GstRtmpClient *
gst_rtmp_client_new (const GstRtmpClientSettings *settings,
    const GstRtmpClientCallbacks *callbacks, gpointer user_data)
{
  static gsize debug_done = 0;
  GstRtmpClient *self = g_new0 (GstRtmpClient, 1);

  if (g_once_init_enter (&debug_done)) {
    GST_DEBUG_CATEGORY_INIT (gst_rtmp_client_debug, "rtmpclient", 0,
        "RTMP client connections: authentication and reconnects");
    g_once_init_leave (&debug_done, 1);
  }

  g_mutex_init (&self->lock);
  g_rec_mutex_init (&self->callback_lock);
  self->settings = *settings;
  self->url = rtmp_url_copy (settings->url);
  self->flash_ver = g_strdup (settings->flash_ver);
  self->swf_url = g_strdup (settings->swf_url);
  self->page_url = g_strdup (settings->page_url);
  self->secure_token = g_strdup (settings->secure_token);
  self->tls_ca_file = g_strdup (settings->tls_ca_file);
  self->tls_certificate_file = g_strdup (settings->tls_certificate_file);
  self->tls_key_file = g_strdup (settings->tls_key_file);
  if (settings->extra_connect_args)
    self->extra_connect_args
        = rtmp_amf_value_copy (settings->extra_connect_args);
  self->fourcc_list = g_strdupv ((gchar **) settings->fourcc_list);
  self->settings.url = self->url;
  self->settings.flash_ver = self->flash_ver;
  self->settings.swf_url = self->swf_url;
  self->settings.page_url = self->page_url;
  self->settings.secure_token = self->secure_token;
  self->settings.tls_ca_file = self->tls_ca_file;
  self->settings.tls_certificate_file = self->tls_certificate_file;
  self->settings.tls_key_file = self->tls_key_file;
  self->settings.extra_connect_args = self->extra_connect_args;
  self->settings.fourcc_list = (const gchar *const *) self->fourcc_list;
  self->display_url = rtmp_url_to_string (self->url, FALSE);
  self->tc_url = rtmp_url_get_tc_url (self->url);
  self->auth = rtmp_auth_state_new (settings->authmod, self->url->user,
      self->url->password);
  self->callbacks = *callbacks;
  self->user_data = user_data;
  self->loop = gst_rtmp_io_loop_acquire ();
  return self;
}

/* --- reporting --- */

static void
report_state (GstRtmpClient *self, GstRtmpClientState state,
    const gchar *reason, guint attempt)
{
  GST_INFO ("%s: %s%s%s (attempt %u)", self->display_url,
      gst_rtmp_client_state_get_name (state), reason ? ": " : "",
      reason ? reason : "", attempt);
  if (self->callbacks.state)
    self->callbacks.state (self, state, reason, attempt, self->user_data);
}

static void
report_error (GstRtmpClient *self, const GError *error)
{
  GST_WARNING ("%s: %s", self->display_url, error->message);
  report_state (self, GST_RTMP_CLIENT_STATE_STOPPED, error->message,
      self->attempt);
  if (self->callbacks.error)
    self->callbacks.error (self, error, self->user_data);
}

/* --- connections --- */

static void on_event (GstRtmpConnection *connection, RtmpSessionEvent *event,
    gpointer user_data);
static void on_phase (GstRtmpConnection *connection,
    GstRtmpConnectionPhase phase, gpointer user_data);
static void on_closed (GstRtmpConnection *connection, const GError *error,
    gpointer user_data);

static const GstRtmpConnectionCallbacks connection_callbacks = {
  .event = on_event,
  .phase = on_phase,
  .closed = on_closed,
};

/* Starts a connection; FALSE (error set) when the settings cannot work */
static gboolean
start_connection (GstRtmpClient *self, GError **error)
{
  const GstRtmpClientSettings *s = &self->settings;
  GstRtmpConnectionConfig config = {
    0,
  };
  RtmpClientConfig *c = &config.session.client;
  GstRtmpConnection *connection;
  g_autofree const RtmpAmfValue **extra_args = NULL;

  if (!rtmp_auth_state_start (self->auth, error))
    return FALSE;

  config.host = self->url->host;
  config.port = self->url->port;
  config.connect_timeout_ms = s->timeout_s * 1000;
  config.use_tls = rtmp_scheme_is_tls (self->url->scheme);
#if HAVE_TLS
  config.tls.host = self->url->host;
  config.tls.ca_file = s->tls_ca_file;
  config.tls.certificate_file = s->tls_certificate_file;
  config.tls.key_file = s->tls_key_file;
  config.tls.validation_flags = s->tls_validation_flags;
#endif

  rtmp_session_config_init (&config.session, RTMP_SESSION_ROLE_CLIENT);
  config.session.handshake = s->handshake;
  config.session.phase_timeout_ms = s->timeout_s * 1000;
  config.session.idle_timeout_ms = s->idle_timeout_s * 1000;
  config.session.ping_interval_ms = s->ping_interval_ms;
  config.session.chunk_size = s->chunk_size;
  c->app = self->url->application;
  c->tc_url = self->tc_url;
  c->flash_ver = s->flash_ver;
  c->swf_url = s->swf_url;
  c->page_url = s->page_url;
  c->fourcc_list = s->fourcc_list;
  if (s->extra_connect_args != NULL) {
    guint i, n = rtmp_amf_value_get_n_items (s->extra_connect_args);

    extra_args = g_new (const RtmpAmfValue *, n);
    for (i = 0; i < n; i++)
      extra_args[i] = rtmp_amf_value_peek_item (s->extra_connect_args, i);
    c->extra_connect_args = extra_args;
    c->n_extra_connect_args = n;
  }
  c->intent = s->intent;
  c->stream_name = self->url->stream;
  c->publish_type = s->publish_type;
  c->play_start_ms = s->play_start_ms;
  c->play_duration_ms = s->play_duration_ms;
  c->buffer_length_ms = s->buffer_length_ms;
  c->auth = self->auth;
  c->secure_token = s->secure_token;

  self->auth_retry = FALSE;
  connection = gst_rtmp_connection_new_client (&config, &connection_callbacks,
      self, NULL);
  g_mutex_lock (&self->lock);
  self->connection = connection;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
start_or_fail (GstRtmpClient *self)
{
  GError *error = NULL;

  report_state (self, GST_RTMP_CLIENT_STATE_CONNECTING, NULL, self->attempt);
  if (!start_connection (self, &error)) {
    report_error (self, error);
    g_error_free (error);
  }
}

void
gst_rtmp_client_start (GstRtmpClient *self)
{
  g_rec_mutex_lock (&self->callback_lock);
  start_or_fail (self);
  g_rec_mutex_unlock (&self->callback_lock);
}

static gboolean
retry_timeout (gpointer data)
{
  GstRtmpClient *self = data;

  g_rec_mutex_lock (&self->callback_lock);
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->retry_source, g_source_unref);
  if (self->is_stopped) {
    g_mutex_unlock (&self->lock);
    g_rec_mutex_unlock (&self->callback_lock);
    return G_SOURCE_REMOVE;
  }
  g_mutex_unlock (&self->lock);
  start_or_fail (self);
  g_rec_mutex_unlock (&self->callback_lock);
  return G_SOURCE_REMOVE;
}

static gboolean
attempts_left (GstRtmpClient *self)
{
  return self->settings.reconnect_attempts < 0
      || self->attempt < (guint) self->settings.reconnect_attempts;
}

/* Called with callback_lock held and no connection */
static void
schedule_reconnect (GstRtmpClient *self, const GError *error)
{
  guint delay_ms;
  guint shift;

  self->attempt++;
  self->reconnects++;
  shift = MIN (self->attempt - 1, 15);
  delay_ms = MIN ((guint64) self->settings.reconnect_delay_ms << shift,
      MAX_RECONNECT_DELAY_MS);
  report_state (self, GST_RTMP_CLIENT_STATE_RECONNECTING, error->message,
      self->attempt);

  g_mutex_lock (&self->lock);
  if (!self->is_stopped) {
    self->retry_source = g_timeout_source_new (delay_ms);
    g_source_set_callback (self->retry_source, retry_timeout, self, NULL);
    g_source_attach (self->retry_source,
        gst_rtmp_io_loop_get_context (self->loop));
  }
  g_mutex_unlock (&self->lock);
}

/* Takes the connection away if it is still the current one */
static gboolean
detach_connection (GstRtmpClient *self, GstRtmpConnection *connection)
{
  gboolean current;

  g_mutex_lock (&self->lock);
  current = self->connection == connection;
  if (current) {
    self->connection = NULL;
    self->connected_time = 0;
  }
  g_mutex_unlock (&self->lock);
  return current;
}

static gboolean
is_stopped (GstRtmpClient *self)
{
  gboolean stopped;

  g_mutex_lock (&self->lock);
  stopped = self->is_stopped;
  g_mutex_unlock (&self->lock);
  return stopped;
}

/* The connection is gone: decide between a new connection, a reconnect
 * after a delay, and giving up. Called with callback_lock held. */
static void
decide_after_connection (GstRtmpClient *self, const GError *error)
{
  if (is_stopped (self))
    return;

  if (error == NULL && self->auth_retry) {
    /* authentication continues on a new connection */
    start_or_fail (self);
    return;
  }
  if (error == NULL) {
    /* a clean close: our session had sent its last message */
    report_state (self, GST_RTMP_CLIENT_STATE_STOPPED, NULL, self->attempt);
    return;
  }
  if (self->is_established && attempts_left (self)) {
    schedule_reconnect (self, error);
    return;
  }
  if (self->is_established && self->attempt > 0) {
    GError *final = g_error_new (error->domain, error->code,
        "%s (gave up after %u reconnect attempts)", error->message,
        self->attempt);

    report_error (self, final);
    g_error_free (final);
    return;
  }
  report_error (self, error);
}

static void
on_closed (GstRtmpConnection *connection, const GError *error,
    gpointer user_data)
{
  GstRtmpClient *self = user_data;

  g_rec_mutex_lock (&self->callback_lock);
  if (detach_connection (self, connection)) {
    /* from its own callback: close () does not wait for itself */
    gst_rtmp_connection_close (connection);
    gst_rtmp_connection_unref (connection);
    decide_after_connection (self, error);
  }
  g_rec_mutex_unlock (&self->callback_lock);
}

static void
on_phase (GstRtmpConnection *connection, GstRtmpConnectionPhase phase,
    gpointer user_data)
{
  GstRtmpClient *self = user_data;

  g_rec_mutex_lock (&self->callback_lock);
  if (phase == GST_RTMP_CONNECTION_PHASE_TLS)
    report_state (self, GST_RTMP_CLIENT_STATE_HANDSHAKING, "TLS handshake",
        self->attempt);
  else if (phase == GST_RTMP_CONNECTION_PHASE_HANDSHAKE)
    report_state (self, GST_RTMP_CLIENT_STATE_HANDSHAKING, "RTMP handshake",
        self->attempt);
  g_rec_mutex_unlock (&self->callback_lock);
}

static void
on_event (GstRtmpConnection *connection, RtmpSessionEvent *event,
    gpointer user_data)
{
  GstRtmpClient *self = user_data;

  g_rec_mutex_lock (&self->callback_lock);
  switch (event->type) {
    case RTMP_SESSION_EVENT_CONNECTED:
      report_state (self, GST_RTMP_CLIENT_STATE_CONNECTED, NULL, self->attempt);
      break;
    case RTMP_SESSION_EVENT_PUBLISHING:
    case RTMP_SESSION_EVENT_PLAYING:
      self->is_established = TRUE;
      g_mutex_lock (&self->lock);
      self->connected_time = g_get_monotonic_time ();
      g_mutex_unlock (&self->lock);
      report_state (self,
          event->type == RTMP_SESSION_EVENT_PUBLISHING
              ? GST_RTMP_CLIENT_STATE_PUBLISHING
              : GST_RTMP_CLIENT_STATE_PLAYING,
          NULL, self->attempt);
      /* the outage is over: the next one gets every attempt again */
      self->attempt = 0;
      break;
    case RTMP_SESSION_EVENT_AUTH_RETRY:
      self->auth_retry = TRUE;
      break;
    default:
      break;
  }
  if (self->callbacks.event)
    self->callbacks.event (self, connection, event, self->user_data);
  g_rec_mutex_unlock (&self->callback_lock);
}

void
gst_rtmp_client_reconnect (GstRtmpClient *self, const GError *error,
    const gchar *tc_url)
{
  GstRtmpConnection *connection;

  /* closed before callback_lock is taken: close () waits for the
   * connection's running callback, which may take callback_lock */
  connection = gst_rtmp_client_dup_connection (self);
  if (connection == NULL)
    return;
  if (!detach_connection (self, connection)) {
    gst_rtmp_connection_unref (connection);
    return;
  }
  gst_rtmp_connection_close (connection);
  gst_rtmp_connection_unref (connection); /* ours */
  gst_rtmp_connection_unref (connection); /* the client's */

  g_rec_mutex_lock (&self->callback_lock);
  if (tc_url != NULL) {
    g_autoptr (GError) parse_error = NULL;
    /* a tcUrl names the application only: the stream stays ours */
    g_autofree gchar *location = g_strconcat (tc_url,
        g_str_has_suffix (tc_url, "/") ? "" : "/", self->url->stream, NULL);
    g_autoptr (RtmpUrl) url = rtmp_url_parse (location, &parse_error);

    if (url != NULL) {
      /* Enhanced RTMP ReconnectRequest: the new server and application;
       * the stream and the credentials stay */
      g_free (url->user);
      url->user = g_strdup (self->url->user);
      g_free (url->password);
      url->password = g_strdup (self->url->password);
      rtmp_url_free (self->url);
      self->url = g_steal_pointer (&url);
      self->settings.url = self->url;
      g_free (self->tc_url);
      self->tc_url = g_strdup (tc_url);
    } else {
      GST_WARNING ("%s: ignoring unusable reconnect tcUrl %s: %s",
          self->display_url, tc_url, parse_error->message);
    }
  }
  decide_after_connection (self, error);
  g_rec_mutex_unlock (&self->callback_lock);
}

void
gst_rtmp_client_free (GstRtmpClient *self)
{
  GstRtmpConnection *connection;
  GSource *retry;

  if (self == NULL)
    return;

  g_mutex_lock (&self->lock);
  self->is_stopped = TRUE;
  connection = g_steal_pointer (&self->connection);
  retry = g_steal_pointer (&self->retry_source);
  g_mutex_unlock (&self->lock);

  /* closing waits for a running connection callback; taking callback_lock
   * then waits for a running timer callback */
  if (connection) {
    gst_rtmp_connection_close (connection);
    gst_rtmp_connection_unref (connection);
  }
  g_rec_mutex_lock (&self->callback_lock);
  if (retry) {
    g_source_destroy (retry);
    g_source_unref (retry);
  }
  g_rec_mutex_unlock (&self->callback_lock);

  gst_rtmp_io_loop_release (self->loop);
  rtmp_auth_state_free (self->auth);
  rtmp_url_free (self->url);
  g_free (self->flash_ver);
  g_free (self->swf_url);
  g_free (self->page_url);
  g_free (self->secure_token);
  g_free (self->tls_ca_file);
  g_free (self->tls_certificate_file);
  g_free (self->tls_key_file);
  g_clear_pointer (&self->extra_connect_args, rtmp_amf_value_free);
  g_strfreev (self->fourcc_list);
  g_free (self->display_url);
  g_free (self->tc_url);
  g_rec_mutex_clear (&self->callback_lock);
  g_mutex_clear (&self->lock);
  g_free (self);
}

GstRtmpConnection *
gst_rtmp_client_dup_connection (GstRtmpClient *self)
{
  GstRtmpConnection *connection;

  g_mutex_lock (&self->lock);
  connection
      = self->connection ? gst_rtmp_connection_ref (self->connection) : NULL;
  g_mutex_unlock (&self->lock);
  return connection;
}

guint
gst_rtmp_client_get_reconnects (GstRtmpClient *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->reconnects;
  g_mutex_unlock (&self->lock);
  return n;
}

gint64
gst_rtmp_client_get_connected_time (GstRtmpClient *self)
{
  gint64 t;

  g_mutex_lock (&self->lock);
  t = self->connected_time;
  g_mutex_unlock (&self->lock);
  return t;
}

const gchar *
gst_rtmp_client_get_display_url (GstRtmpClient *self)
{
  return self->display_url;
}
