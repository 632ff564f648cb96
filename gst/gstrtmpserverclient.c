/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One client accepted by a server-mode listener: its session's events
 * (connect and Adobe authentication, play and publish routed to the
 * element that serves them, media, pause, stream ends), sending to it, its
 * backlog and statistics, and its end. The listeners and routes are
 * gstrtmpserver.c's. Lock order: see there. */

#include "config.h"
#include "gstrtmpserverprivate.h"
#include "rtmpauth.h"

#include <errno.h>
#include <linux/sockios.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_acked, which
                        * glibc's netinet/tcp.h lacks */
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>

#define GST_CAT_DEFAULT gst_rtmp_server_debug

/* The per-process secret the stateless Adobe authentication derives its
 * salts and challenges from */
const guint8 *
gst_rtmp_server_auth_secret (gsize *len)
{
  static guint8 secret[32];
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    gsize got = 0;

    while (got < sizeof (secret)) {
      gssize n = getrandom (secret + got, sizeof (secret) - got, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += n;
    }
    /* getrandom () cannot fail on Linux >= 3.17 with a 32-byte request;
     * should it, a GLib random secret is still per-process */
    for (; got < sizeof (secret); got++)
      secret[got] = g_random_int_range (0, 256);
    g_once_init_leave (&done, 1);
  }
  *len = sizeof (secret);
  return secret;
}

/* --- clients --- */

GstRtmpServerClient *
gst_rtmp_server_client_ref (GstRtmpServerClient *client)
{
  g_atomic_int_inc (&client->ref_count);
  return client;
}

void
gst_rtmp_server_client_unref (GstRtmpServerClient *client)
{
  GstRtmpConnection *connection;

  if (client == NULL || !g_atomic_int_dec_and_test (&client->ref_count))
    return;
  g_assert (client->route == NULL);
  connection = g_atomic_pointer_get (&client->connection);
  if (connection) {
    /* normally closed by gst_rtmp_server_client_finish () already */
    gst_rtmp_connection_close (connection);
    gst_rtmp_connection_unref (connection);
  }
  g_clear_object (&client->socket);
  gst_rtmp_server_listener_unref (client->listener);
  g_free (client->address);
  g_free (client->app);
  g_free (client->stream);
  g_free (client->user);
  g_free (client);
}

static GstRtmpConnection *
client_peek_connection (GstRtmpServerClient *client)
{
  return g_atomic_pointer_get (&client->connection);
}

/* The connection is known either when gst_rtmp_connection_new_server ()
 * returned or when its first callback ran, whichever comes first. */
void
gst_rtmp_server_client_set_connection (GstRtmpServerClient *client,
    GstRtmpConnection *connection)
{
  if (g_atomic_pointer_get (&client->connection) == connection)
    return;
  gst_rtmp_connection_ref (connection);
  if (!g_atomic_pointer_compare_and_exchange (&client->connection, NULL,
          connection))
    gst_rtmp_connection_unref (connection);
}

const gchar *
gst_rtmp_server_client_get_address (GstRtmpServerClient *client)
{
  return client->address;
}

const gchar *
gst_rtmp_server_client_get_app (GstRtmpServerClient *client)
{
  return client->app;
}

const gchar *
gst_rtmp_server_client_get_stream (GstRtmpServerClient *client)
{
  return client->stream;
}

const gchar *
gst_rtmp_server_client_get_user (GstRtmpServerClient *client)
{
  return client->user;
}

guint32
gst_rtmp_server_client_get_stream_id (GstRtmpServerClient *client)
{
  return client->stream_id;
}

/* Runs @func on the client's session under the connection lock and
 * flushes; FALSE when the connection is gone */
typedef void (*SessionFunc) (RtmpSession *session, gpointer data);

static gboolean
with_session (GstRtmpServerClient *client, SessionFunc func, gpointer data)
{
  GstRtmpConnection *connection = client_peek_connection (client);
  RtmpSession *session;
  gboolean ok = FALSE;

  if (connection == NULL)
    return FALSE;
  gst_rtmp_connection_lock (connection);
  session = gst_rtmp_connection_get_session_locked (connection);
  if (session
      && gst_rtmp_connection_get_phase_locked (connection)
          != GST_RTMP_CONNECTION_PHASE_CLOSED
      && !rtmp_session_is_closing (session)) {
    func (session, data);
    ok = gst_rtmp_connection_flush_locked (connection);
  }
  gst_rtmp_connection_unlock (connection);
  return ok;
}

static void
accept_stream (RtmpSession *session, gpointer data)
{
  GstRtmpServerClient *client = data;

  if (client->requested_kind == GST_RTMP_SERVER_ROUTE_PLAY)
    rtmp_session_accept_play (session, client->stream_id, FALSE);
  else
    rtmp_session_accept_publish (session, client->stream_id);
}

void
gst_rtmp_server_client_accept (GstRtmpServerClient *client)
{
  if (client->is_accepted)
    return;
  client->is_accepted = TRUE;
  with_session (client, accept_stream, client);
}

typedef struct
{
  guint32 stream_id;
  guint8 type;
  guint32 timestamp;
  GBytes *payload;
} MediaArgs;

static void
send_media (RtmpSession *session, gpointer data)
{
  MediaArgs *args = data;

  rtmp_session_send_media (session, args->stream_id, args->type,
      args->timestamp, args->payload);
}

GstRtmpServerSendResult
gst_rtmp_server_client_send_media (GstRtmpServerClient *client, guint8 type,
    guint32 timestamp, GBytes *payload)
{
  MediaArgs args = { client->stream_id, type, timestamp, payload };

  return with_session (client, send_media, &args) ? GST_RTMP_SERVER_SEND_OK
                                                  : GST_RTMP_SERVER_SEND_CLOSED;
}

typedef struct
{
  guint32 stream_id;
  const gchar *level, *code, *description;
  gboolean stream_eof;
} StatusArgs;

static void
send_status (RtmpSession *session, gpointer data)
{
  StatusArgs *args = data;

  if (args->stream_eof) {
    RtmpUserControl eof = { RTMP_USER_CONTROL_STREAM_EOF, args->stream_id, 0 };

    rtmp_session_send_user_control (session, &eof);
  }
  rtmp_session_send_status (session, args->stream_id, args->level, args->code,
      args->description);
}

GstRtmpServerSendResult
gst_rtmp_server_client_send_status (GstRtmpServerClient *client,
    const gchar *level, const gchar *code, const gchar *description,
    gboolean stream_eof)
{
  StatusArgs args = { client->stream_id, level, code, description, stream_eof };

  return with_session (client, send_status, &args)
      ? GST_RTMP_SERVER_SEND_OK
      : GST_RTMP_SERVER_SEND_CLOSED;
}

void
gst_rtmp_server_client_set_reading (GstRtmpServerClient *client,
    gboolean reading)
{
  GstRtmpConnection *connection = client_peek_connection (client);

  if (connection == NULL)
    return;
  gst_rtmp_connection_lock (connection);
  if (gst_rtmp_connection_get_phase_locked (connection)
      != GST_RTMP_CONNECTION_PHASE_CLOSED)
    gst_rtmp_connection_set_reading_locked (connection, reading);
  gst_rtmp_connection_unlock (connection);
}

/* Called with the connection lock (the socket is open while the phase is
 * not CLOSED) */
static gsize
backlog_locked (GstRtmpServerClient *client, RtmpSession *session)
{
  guint64 queued = rtmp_session_get_output_queued_total (session);
  struct tcp_info info;
  socklen_t len = sizeof (info);
  gint fd = g_socket_get_fd (client->socket);
  int unsent = 0;

  /* Everything we queued minus what the peer's TCP acknowledged: our
   * queue, TLS's and the kernel's. With TLS the acknowledged bytes include
   * TLS's own (a few KiB of handshake, ~0.2% per record), so the backlog
   * reads that much low. */
  memset (&info, 0, sizeof (info));
  if (getsockopt (fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0
      && len >= offsetof (struct tcp_info, tcpi_bytes_acked)
              + sizeof (info.tcpi_bytes_acked))
    return queued > info.tcpi_bytes_acked ? queued - info.tcpi_bytes_acked : 0;
  /* kernels before 4.1: the session's queue and the socket's */
  if (ioctl (fd, SIOCOUTQ, &unsent) != 0)
    unsent = 0;
  return rtmp_session_get_output_size (session) + MAX (unsent, 0);
}

gsize
gst_rtmp_server_client_get_backlog (GstRtmpServerClient *client)
{
  GstRtmpConnection *connection = client_peek_connection (client);
  RtmpSession *session;
  gsize backlog = 0;

  if (connection == NULL)
    return 0;
  gst_rtmp_connection_lock (connection);
  session = gst_rtmp_connection_get_session_locked (connection);
  if (session
      && gst_rtmp_connection_get_phase_locked (connection)
          != GST_RTMP_CONNECTION_PHASE_CLOSED) {
    gint64 now = g_get_monotonic_time ();
    guint64 queued = rtmp_session_get_output_queued_total (session);

    /* TCP_INFO costs a system call: between readings, the last one plus
     * what was queued since (acknowledgements since are not counted, so
     * this never reads low) */
    if (client->backlog_at_us != 0
        && now - client->backlog_at_us < BACKLOG_READING_INTERVAL_US) {
      backlog = client->backlog + (queued - client->backlog_queued);
    } else {
      backlog = backlog_locked (client, session);
      client->backlog = backlog;
      client->backlog_queued = queued;
      client->backlog_at_us = now;
    }
  }
  gst_rtmp_connection_unlock (connection);
  return backlog;
}

GstStructure *
gst_rtmp_server_client_dup_stats (GstRtmpServerClient *client)
{
  GstRtmpConnection *connection = client_peek_connection (client);
  RtmpSessionStats stats = {
    0,
  };
  gsize backlog = 0;
  guint64 tcp_rtt_us = 0;
  gint64 active_us;
  g_autofree gchar *app = NULL;
  g_autofree gchar *stream = NULL;
  const gchar *kind = NULL;

  if (connection) {
    RtmpSession *session;

    gst_rtmp_connection_lock (connection);
    session = gst_rtmp_connection_get_session_locked (connection);
    if (session) {
      rtmp_session_get_stats (session, &stats);
      if (gst_rtmp_connection_get_phase_locked (connection)
          != GST_RTMP_CONNECTION_PHASE_CLOSED)
        backlog = backlog_locked (client, session);
    }
    tcp_rtt_us = gst_rtmp_connection_get_tcp_rtt_us_locked (connection);
    gst_rtmp_connection_unlock (connection);
  }

  g_mutex_lock (&client->listener->lock);
  app = g_strdup (client->app);
  stream = g_strdup (client->stream);
  if (client->stream)
    kind = gst_rtmp_server_kind_name (client->requested_kind);
  active_us = client->active_us;
  g_mutex_unlock (&client->listener->lock);

  return gst_structure_new ("client", "address", G_TYPE_STRING, client->address,
      "app", G_TYPE_STRING, app, "stream", G_TYPE_STRING, stream, "kind",
      G_TYPE_STRING, kind, "in-bytes-total", G_TYPE_UINT64, stats.in_bytes,
      "out-bytes-total", G_TYPE_UINT64, stats.out_bytes, "out-bytes-video",
      G_TYPE_UINT64, stats.out_bytes_video, "out-bytes-audio", G_TYPE_UINT64,
      stats.out_bytes_audio, "in-bytes-video", G_TYPE_UINT64,
      stats.in_bytes_video, "in-bytes-audio", G_TYPE_UINT64,
      stats.in_bytes_audio, "backlog-bytes", G_TYPE_UINT64, (guint64) backlog,
      "rtt-us", G_TYPE_UINT64, stats.rtt_us ? stats.rtt_us : tcp_rtt_us,
      "connected-time", G_TYPE_UINT64,
      (guint64) (g_get_monotonic_time () - client->accepted_us) * 1000,
      "active-time", G_TYPE_UINT64,
      active_us ? (guint64) (g_get_monotonic_time () - active_us) * 1000 : 0,
      NULL);
}

/* --- ending clients --- */

/* Ends the client once: closes its connection (no connection callback runs
 * after this), and when it was playing or publishing tells the route and
 * posts rtmp-client-disconnected. From any thread holding no lock; on the
 * connection's own callbacks too. */
void
gst_rtmp_server_client_finish (GstRtmpServerClient *client, const gchar *reason)
{
  GstRtmpServerListener *listener = client->listener;
  GstRtmpServerRoute *route;
  GstRtmpConnection *connection;
  g_autofree gchar *app = NULL;
  g_autofree gchar *stream = NULL;

  g_mutex_lock (&listener->lock);
  if (client->is_finished) {
    g_mutex_unlock (&listener->lock);
    return;
  }
  client->is_finished = TRUE;
  route = g_steal_pointer (&client->route);
  if (route == NULL)
    listener->n_pending--;
  else if (route->publisher == client)
    route->publisher = NULL;
  app = g_strdup (client->app);
  stream = g_strdup (client->stream);
  /* the list's reference is ours now, dropped at the end */
  g_ptr_array_remove_fast (listener->clients, client);
  g_mutex_unlock (&listener->lock);

  GST_DEBUG ("%s: finished: %s", client->address, reason);
  connection = client_peek_connection (client);
  if (connection)
    gst_rtmp_connection_close (connection);

  if (route) {
    if (gst_rtmp_server_route_enter (route)) {
      if (route->callbacks.gone)
        route->callbacks.gone (route, client, reason, route->user_data);
      gst_rtmp_server_post_client_message (route->element,
          "rtmp-client-disconnected", client->address, app, stream,
          gst_rtmp_server_kind_name (route->kind), reason, NULL);
      gst_rtmp_server_route_leave (route);
    }
    gst_rtmp_server_route_unref (route);
  }
  gst_rtmp_server_client_unref (client);
}

typedef struct
{
  GstRtmpServerClient *client;
  gchar *reason;
} Disconnect;

static gboolean
disconnect_idle (gpointer data)
{
  Disconnect *d = data;

  gst_rtmp_server_client_finish (d->client, d->reason);
  return G_SOURCE_REMOVE;
}

static void
disconnect_free (gpointer data)
{
  Disconnect *d = data;

  gst_rtmp_server_client_unref (d->client);
  g_free (d->reason);
  g_free (d);
}

void
gst_rtmp_server_client_disconnect (GstRtmpServerClient *client,
    const gchar *reason)
{
  Disconnect *d = g_new0 (Disconnect, 1);

  d->client = gst_rtmp_server_client_ref (client);
  d->reason = g_strdup (reason);
  gst_rtmp_io_loop_invoke (client->listener->loop, disconnect_idle, d,
      disconnect_free);
}

static gboolean
linger_expired (gpointer data)
{
  gst_rtmp_server_client_finish (data, "its stream ended and it stayed");
  return G_SOURCE_REMOVE;
}

/* The client stopped playing or publishing (closeStream, deleteStream,
 * FCUnpublish). A connection serves one stream: it counts as pending again
 * and is closed unless it closes by itself within STREAM_END_LINGER_MS (it
 * may still send the rest of its stop commands). */
static void
client_deactivate (GstRtmpServerClient *client, const gchar *reason)
{
  GstRtmpServerListener *listener = client->listener;
  GstRtmpServerRoute *route;
  g_autofree gchar *app = NULL;
  g_autofree gchar *stream = NULL;
  GSource *linger;

  g_mutex_lock (&listener->lock);
  route = g_steal_pointer (&client->route);
  if (route) {
    if (route->publisher == client)
      route->publisher = NULL;
    listener->n_pending++;
  }
  app = g_strdup (client->app);
  stream = g_strdup (client->stream);
  g_mutex_unlock (&listener->lock);
  if (route == NULL)
    return;

  if (gst_rtmp_server_route_enter (route)) {
    if (route->callbacks.gone)
      route->callbacks.gone (route, client, reason, route->user_data);
    gst_rtmp_server_post_client_message (route->element,
        "rtmp-client-disconnected", client->address, app, stream,
        gst_rtmp_server_kind_name (route->kind), reason, NULL);
    gst_rtmp_server_route_leave (route);
  }
  gst_rtmp_server_route_unref (route);

  linger = g_timeout_source_new (STREAM_END_LINGER_MS);
  g_source_set_callback (linger, linger_expired,
      gst_rtmp_server_client_ref (client),
      (GDestroyNotify) gst_rtmp_server_client_unref);
  g_source_attach (linger, gst_rtmp_io_loop_get_context (listener->loop));
  g_source_unref (linger);
}

/* --- session events --- */

typedef struct
{
  const RtmpAmfValue *extra;
  const gchar *description;
  const gchar *code;
  gboolean close;
  guint32 stream_id;
} AnswerArgs;

static void
answer_accept_connect (RtmpSession *session, gpointer data)
{
  rtmp_session_accept_connect (session, NULL, g_get_monotonic_time ());
}

static void
answer_reject_connect (RtmpSession *session, gpointer data)
{
  AnswerArgs *args = data;

  rtmp_session_reject_connect (session, args->description);
}

static void
answer_reject_stream (RtmpSession *session, gpointer data)
{
  AnswerArgs *args = data;

  rtmp_session_reject_stream (session, args->stream_id, args->code,
      args->description, args->close);
}

/* The user name an Adobe authentication attempt names in the app's query */
static gchar *
auth_user (const gchar *app_with_query)
{
  const gchar *q = strchr (app_with_query, '?');
  g_autoptr (GHashTable) params = NULL;

  if (q == NULL)
    return NULL;
  params = g_uri_parse_params (q + 1, -1, "&", G_URI_PARAMS_NONE, NULL);
  if (params == NULL)
    return NULL;
  return g_strdup (g_hash_table_lookup (params, "user"));
}

static void
handle_connect (GstRtmpServerClient *client, const gchar *requested_app)
{
  GstRtmpServerListener *listener = client->listener;
  g_autofree gchar *app = gst_rtmp_server_base_app (requested_app);
  g_autofree gchar *user = auth_user (requested_app);
  g_autofree gchar *password = NULL;
  gboolean have_app = FALSE, need_auth = FALSE, user_known = FALSE;
  AnswerArgs args = {
    0,
  };
  guint i;

  g_mutex_lock (&listener->lock);
  for (i = 0; i < listener->routes->len; i++) {
    GstRtmpServerRoute *route = listener->routes->pdata[i];

    if (!g_str_equal (route->application, app))
      continue;
    have_app = TRUE;
    if (route->username != NULL) {
      need_auth = TRUE;
      if (user != NULL && g_str_equal (route->username, user) && !user_known) {
        user_known = TRUE;
        password = g_strdup (route->password);
      }
    }
  }
  g_free (client->app);
  client->app = g_strdup (app);
  g_mutex_unlock (&listener->lock);

  if (!have_app) {
    g_autofree gchar *reason
        = g_strdup_printf ("no application \"%s\" is served here", app);

    /* posted first: the element knows before the client does */
    gst_rtmp_server_post_refused_to_all (listener, client, app, NULL, NULL,
        reason, "NetConnection.Connect.Rejected");
    args.description = reason;
    with_session (client, answer_reject_connect, &args);
    return;
  }

  if (need_auth) {
    gsize secret_len;
    const guint8 *secret = gst_rtmp_server_auth_secret (&secret_len);
    g_autofree gchar *description = NULL;
    RtmpAuthVerdict verdict = rtmp_auth_server_check_adobe (requested_app,
        user_known ? user : NULL, password, secret, secret_len,
        g_get_monotonic_time () / G_USEC_PER_SEC, &description, NULL);

    if (verdict != RTMP_AUTH_VERDICT_ACCEPT) {
      /* a challenge is a step of the exchange; a refusal is news */
      if (verdict == RTMP_AUTH_VERDICT_REFUSE)
        gst_rtmp_server_post_refused_to_all (listener, client, app, NULL, NULL,
            "authentication failed", "NetConnection.Connect.Rejected");
      else
        GST_DEBUG ("%s: authentication challenge: %s", client->address,
            description);
      args.description = description;
      with_session (client, answer_reject_connect, &args);
      return;
    }
    g_mutex_lock (&listener->lock);
    g_free (client->user);
    client->user = g_strdup (user);
    g_mutex_unlock (&listener->lock);
  }

  with_session (client, answer_accept_connect, NULL);
}

static void
refuse_stream (GstRtmpServerClient *client, guint32 stream_id,
    GstRtmpServerRoute *route, const gchar *app, const gchar *name,
    GstRtmpServerRouteKind kind, const gchar *code, const gchar *reason)
{
  AnswerArgs args = {
    .description = reason,
    .code = code,
    .close = TRUE,
    .stream_id = stream_id,
  };

  if (route != NULL) {
    if (gst_rtmp_server_route_enter (route)) {
      GST_INFO ("%s: refused %s %s: %s", client->address,
          gst_rtmp_server_kind_name (kind), name, reason);
      gst_rtmp_server_post_client_message (route->element,
          "rtmp-client-refused", client->address, app, name,
          gst_rtmp_server_kind_name (kind), reason, code);
      gst_rtmp_server_route_leave (route);
    }
  } else {
    gst_rtmp_server_post_refused_to_all (client->listener, client, app, name,
        gst_rtmp_server_kind_name (kind), reason, code);
  }
  with_session (client, answer_reject_stream, &args);
}

static void
handle_stream_request (GstRtmpServerClient *client, GstRtmpServerRouteKind kind,
    guint32 stream_id, const gchar *name)
{
  GstRtmpServerListener *listener = client->listener;
  const gchar *code = kind == GST_RTMP_SERVER_ROUTE_PLAY
      ? "NetStream.Play.StreamNotFound"
      : "NetStream.Publish.BadName";
  g_autofree gchar *key = gst_rtmp_server_stream_key (name);
  g_autofree gchar *app = NULL;
  g_autofree gchar *refusal = NULL;
  GstRtmpServerRoute *route = NULL;
  const gchar *problem = NULL;
  gboolean accepted = FALSE, finished_meanwhile = FALSE;

  g_mutex_lock (&listener->lock);
  app = g_strdup (client->app);
  if (client->route != NULL || client->stream != NULL) {
    problem = "this connection already plays or publishes a stream";
  } else {
    route = gst_rtmp_server_find_route_locked (listener, app, key, kind);
    if (route == NULL)
      problem = kind == GST_RTMP_SERVER_ROUTE_PLAY ? "no such stream"
                                                   : "no such stream key";
    else if (route->username != NULL
        && g_strcmp0 (route->username, client->user) != 0)
      problem = "not authorized for this stream";
    else if (kind == GST_RTMP_SERVER_ROUTE_PUBLISH && route->publisher != NULL)
      problem = "the stream already has a publisher";
  }
  if (problem == NULL) {
    gst_rtmp_server_route_ref (route);
    if (kind == GST_RTMP_SERVER_ROUTE_PUBLISH)
      route->publisher = client; /* reserved while the element decides */
    client->stream = g_strdup (name);
    client->stream_id = stream_id;
    client->requested_kind = kind;
  } else if (route != NULL) {
    gst_rtmp_server_route_ref (route);
  }
  g_mutex_unlock (&listener->lock);

  if (problem != NULL) {
    refuse_stream (client, stream_id, route, app, name, kind, code, problem);
    if (route)
      gst_rtmp_server_route_unref (route);
    return;
  }

  if (gst_rtmp_server_route_enter (route)) {
    accepted = route->callbacks.request == NULL
        || route->callbacks.request (route, client, &refusal, route->user_data);
    if (accepted)
      gst_rtmp_server_client_accept (client);
    gst_rtmp_server_route_leave (route);
  } else {
    refusal = g_strdup ("the stream is going away");
  }

  g_mutex_lock (&listener->lock);
  if (!accepted) {
    if (route->publisher == client)
      route->publisher = NULL;
    g_clear_pointer (&client->stream, g_free);
  } else if (client->is_finished) {
    /* disconnected from another thread while the element decided */
    if (route->publisher == client)
      route->publisher = NULL;
    finished_meanwhile = TRUE;
  } else {
    client->route = gst_rtmp_server_route_ref (route);
    client->active_us = g_get_monotonic_time ();
    listener->n_pending--;
  }
  g_mutex_unlock (&listener->lock);

  if (!accepted) {
    refuse_stream (client, stream_id, route, app, name, kind,
        kind == GST_RTMP_SERVER_ROUTE_PLAY ? "NetStream.Play.Failed" : code,
        refusal ? refusal : "refused");
  } else if (gst_rtmp_server_route_enter (route)) {
    if (finished_meanwhile) {
      if (route->callbacks.gone)
        route->callbacks.gone (route, client, "disconnected", route->user_data);
    } else {
      GST_INFO ("%s: %s %s/%s", client->address,
          gst_rtmp_server_kind_name (kind), app, name);
      gst_rtmp_server_post_client_message (route->element,
          "rtmp-client-connected", client->address, app, name,
          gst_rtmp_server_kind_name (kind), NULL, NULL);
    }
    gst_rtmp_server_route_leave (route);
  }
  gst_rtmp_server_route_unref (route);
}

/* (transfer full, nullable) the route the client plays or publishes
 * @stream_id of */
static GstRtmpServerRoute *
dup_active_route (GstRtmpServerClient *client, guint32 stream_id)
{
  GstRtmpServerRoute *route = NULL;

  g_mutex_lock (&client->listener->lock);
  if (client->route && client->stream_id == stream_id)
    route = gst_rtmp_server_route_ref (client->route);
  g_mutex_unlock (&client->listener->lock);
  return route;
}

static void
seek_answer (RtmpSession *session, gpointer data)
{
  guint32 *stream_id = data;

  /* a live stream cannot seek: say so and play on */
  rtmp_session_send_status (session, *stream_id, "status",
      "NetStream.Seek.Notify", "Live stream: playing on.");
}

static void
on_connection_event (GstRtmpConnection *connection, RtmpSessionEvent *event,
    gpointer user_data)
{
  GstRtmpServerClient *client = user_data;
  GstRtmpServerRoute *route;

  gst_rtmp_server_client_set_connection (client, connection);
  switch (event->type) {
    case RTMP_SESSION_EVENT_CONNECT_REQUEST:
      handle_connect (client, event->name);
      break;
    case RTMP_SESSION_EVENT_PUBLISH_REQUEST:
      handle_stream_request (client, GST_RTMP_SERVER_ROUTE_PUBLISH,
          event->stream_id, event->name);
      break;
    case RTMP_SESSION_EVENT_PLAY_REQUEST:
      handle_stream_request (client, GST_RTMP_SERVER_ROUTE_PLAY,
          event->stream_id, event->name);
      break;
    case RTMP_SESSION_EVENT_MEDIA:
      route = dup_active_route (client, event->message->stream_id);
      if (route == NULL)
        break; /* media on a stream nobody took: dropped */
      if (route->kind == GST_RTMP_SERVER_ROUTE_PUBLISH
          && gst_rtmp_server_route_enter (route)) {
        if (route->callbacks.media)
          route->callbacks.media (route, client, event->message,
              route->user_data);
        gst_rtmp_server_route_leave (route);
      }
      gst_rtmp_server_route_unref (route);
      break;
    case RTMP_SESSION_EVENT_PAUSE_REQUEST:
      route = dup_active_route (client, event->stream_id);
      if (route == NULL)
        break;
      if (route->kind == GST_RTMP_SERVER_ROUTE_PLAY
          && gst_rtmp_server_route_enter (route)) {
        if (route->callbacks.pause)
          route->callbacks.pause (route, client, event->pause,
              route->user_data);
        gst_rtmp_server_route_leave (route);
      }
      gst_rtmp_server_route_unref (route);
      break;
    case RTMP_SESSION_EVENT_SEEK_REQUEST:
      with_session (client, seek_answer, &event->stream_id);
      break;
    case RTMP_SESSION_EVENT_STREAM_CLOSED:
      /* FCUnpublish comes on stream 0 and names the stream instead */
      if (event->stream_id == 0 && g_strcmp0 (event->name, "FCUnpublish") == 0)
        event->stream_id = client->stream_id;
      route = dup_active_route (client, event->stream_id);
      if (route) {
        client_deactivate (client, event->name);
        gst_rtmp_server_route_unref (route);
      }
      break;
    default:
      /* statuses, RTT, user controls, application commands: nothing a
       * server needs from them */
      break;
  }
}

static void
on_connection_closed (GstRtmpConnection *connection, const GError *error,
    gpointer user_data)
{
  GstRtmpServerClient *client = user_data;

  gst_rtmp_server_client_set_connection (client, connection);
  gst_rtmp_server_client_finish (client,
      error ? error->message : "the connection closed cleanly");
}

const GstRtmpConnectionCallbacks gst_rtmp_server_connection_callbacks = {
  .event = on_connection_event,
  .closed = on_connection_closed,
};
