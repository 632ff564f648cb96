/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Server mode's process-wide listeners: one listening socket per address and
 * port for every server-mode element of the process; accepted connections
 * run as server sessions on the shared I/O threads and are routed to the
 * element that serves their application, stream key and direction.
 *
 * Threading: a listener accepts on one of the shared I/O threads
 * (gstrtmpioloop.c); each connection runs on the I/O thread the connection
 * layer picks; nothing here starts a thread. Connection callbacks (events,
 * close) arrive on the connection's I/O thread; route callbacks are called
 * from them under the route's callback_lock.
 *
 * Lock order: connection callback_lock, route callback_lock, element locks,
 * listener lock, connection lock. registry_lock is taken before a
 * listener's lock, never after. The listener's lock is never held while
 * calling out (callbacks, posting messages, closing connections). */

#include "config.h"
#include "gstrtmpserver.h"
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

GST_DEBUG_CATEGORY_STATIC (gst_rtmp_server_debug);
#define GST_CAT_DEFAULT gst_rtmp_server_debug

#define DEFAULT_TIMEOUT_S 5
#define DEFAULT_IDLE_TIMEOUT_S 30
#define DEFAULT_CHUNK_SIZE 4096
/* Pings keep the idle timeout from dropping players that only read: they
 * answer with PingResponse */
#define PING_INTERVAL_MS 5000
/* Connections accepted per dispatch before other sources get a turn */
#define MAX_ACCEPTS_PER_DISPATCH 32
#define LISTEN_BACKLOG 512
/* How often queued-but-unread bytes are checked */
#define SWEEP_INTERVAL_MS 1000
/* A connection that is not playing or publishing only receives answers to
 * its commands: this much unread means it floods and does not read */
#define PENDING_MAX_BACKLOG (1024 * 1024)
/* How long a TCP_INFO reading of a client's backlog is reused */
#define BACKLOG_READING_INTERVAL_US (50 * 1000)

/* Limits for every server session: players send only commands; a
 * publisher's largest message is a keyframe. The defaults (16 MiB
 * messages, 64 MiB buffered) are far above what an unauthenticated peer
 * should make us hold, times GST_RTMP_SERVER_MAX_PENDING. */
#define GST_RTMP_SERVER_MAX_MESSAGE_BYTES (8 * 1024 * 1024)
#define GST_RTMP_SERVER_MAX_BUFFERED_BYTES (12 * 1024 * 1024)
#define GST_RTMP_SERVER_MAX_CHUNK_STREAMS 16
#define GST_RTMP_SERVER_AMF_MAX_ELEMENTS 8192
#define GST_RTMP_SERVER_AMF_MAX_BYTES (1024 * 1024)

typedef struct _Listener Listener;

struct _GstRtmpServerRoute
{
  gint ref_count;
  Listener *listener;  /* strong */
  GstElement *element; /* borrowed: the element outlives its route */
  gchar *application;
  gchar *stream_key;
  GstRtmpServerRouteKind kind;
  gchar *username, *password;
  guint timeout_s, idle_timeout_s;
  guint32 chunk_size;
  gsize max_backlog_bytes;

  GstRtmpServerRouteCallbacks callbacks;
  gpointer user_data;
  GDestroyNotify notify;

  /* held while a callback runs; gst_rtmp_server_route_free () takes it
   * after setting is_removed, so no callback runs once it returned */
  GRecMutex callback_lock;
  gint is_removed; /* atomic */

  /* under the listener's lock */
  GstRtmpServerClient *publisher; /* borrowed: in listener->clients */
};

struct _GstRtmpServerClient
{
  gint ref_count;
  Listener *listener;            /* strong */
  GSocket *socket;               /* strong, for TCP_INFO */
  GstRtmpConnection *connection; /* strong, set once (atomic) */
  gchar *address;
  gint64 accepted_us;

  /* under the connection's lock: the last TCP_INFO reading */
  gint64 backlog_at_us;
  gsize backlog;
  guint64 backlog_queued; /* the session's queued total then */

  /* under the listener's lock */
  gchar *app;        /* without query */
  gchar *stream;     /* as requested */
  gchar *user;       /* authenticated as */
  guint32 stream_id; /* of the play/publish request */
  GstRtmpServerRouteKind requested_kind;
  gboolean is_accepted;      /* acceptance sent */
  GstRtmpServerRoute *route; /* strong while playing/publishing */
  gint64 active_us;          /* when it started playing/publishing */
  gboolean is_finished;
};

struct _Listener
{
  gint ref_count; /* atomic */
  gchar *key;     /* "address|port" in the registry */
  GSocket *socket;
  gchar *display; /* "address:port" for messages */
  guint16 port;
  GstRtmpIoLoop *loop;
  GSource *accept_source;
  GSource *sweep_source;
  gboolean use_tls;
  gchar *tls_certificate_file, *tls_key_file;

  GMutex lock;
  gboolean is_closed;
  GPtrArray *routes;  /* GstRtmpServerRoute *, borrowed */
  GPtrArray *clients; /* GstRtmpServerClient *, strong */
  guint n_pending;    /* clients neither playing nor publishing */
  /* connections closed at once over the cap, not reported yet, and when
   * the last report was posted */
  guint n_over_cap;
  gint64 over_cap_posted_us;
};

static GMutex registry_lock;
static GHashTable *registry; /* key -> Listener *, borrowed: open ones */

static void client_finish (GstRtmpServerClient *client, const gchar *reason);

static void
init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_rtmp_server_debug, "rtmpserver", 0,
        "RTMP server mode: listeners and routing");
    g_once_init_leave (&done, 1);
  }
}

/* The per-process secret the stateless Adobe authentication derives its
 * salts and challenges from */
static const guint8 *
auth_secret (gsize *len)
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

/* --- names --- */

static const gchar *
kind_name (GstRtmpServerRouteKind kind)
{
  return kind == GST_RTMP_SERVER_ROUTE_PLAY ? "play" : "publish";
}

/* "live?x=1" or "live/" -> "live" */
static gchar *
base_app (const gchar *app)
{
  gchar *base = g_strndup (app, strcspn (app, "?"));
  gsize len = strlen (base);

  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  return base;
}

/* "key?token=1" -> "key" */
static gchar *
stream_key (const gchar *stream)
{
  return g_strndup (stream, strcspn (stream, "?"));
}

/* --- listeners --- */

static Listener *
listener_ref (Listener *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

static void
listener_unref (Listener *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_assert (self->accept_source == NULL && self->sweep_source == NULL);
  g_assert (self->clients->len == 0 && self->routes->len == 0);
  g_ptr_array_unref (self->routes);
  g_ptr_array_unref (self->clients);
  g_clear_object (&self->socket);
  g_free (self->key);
  g_free (self->display);
  g_free (self->tls_certificate_file);
  g_free (self->tls_key_file);
  g_mutex_clear (&self->lock);
  gst_rtmp_io_loop_release (self->loop);
  g_free (self);
}

static void
unref_element (gpointer element)
{
  gst_object_unref (element);
}

/* (transfer full) the elements of the listener's routes, of @app only when
 * @app is set and some route has it */
static GPtrArray *
dup_elements_locked (Listener *self, const gchar *app)
{
  GPtrArray *elements = g_ptr_array_new_with_free_func (unref_element);
  gboolean any_app = TRUE;
  guint i;

  for (i = 0; app != NULL && i < self->routes->len; i++) {
    GstRtmpServerRoute *route = self->routes->pdata[i];

    if (g_strcmp0 (route->application, app) == 0)
      any_app = FALSE;
  }
  for (i = 0; i < self->routes->len; i++) {
    GstRtmpServerRoute *route = self->routes->pdata[i];

    if (!any_app && g_strcmp0 (route->application, app) != 0)
      continue;
    if (!g_ptr_array_find (elements, route->element, NULL))
      g_ptr_array_add (elements, gst_object_ref (route->element));
  }
  return elements;
}

static void
post_client_message (GstElement *element, const gchar *name,
    const gchar *address, const gchar *app, const gchar *stream,
    const gchar *kind, const gchar *reason, const gchar *code)
{
  GstStructure *s = gst_structure_new (name, "address", G_TYPE_STRING, address,
      "app", G_TYPE_STRING, app, "stream", G_TYPE_STRING, stream, "kind",
      G_TYPE_STRING, kind, NULL);

  if (reason)
    gst_structure_set (s, "reason", G_TYPE_STRING, reason, NULL);
  if (code)
    gst_structure_set (s, "code", G_TYPE_STRING, code, NULL);
  gst_element_post_message (element,
      gst_message_new_element (GST_OBJECT (element), s));
}

/* "rtmp-client-refused" on every element concerned (see
 * dup_elements_locked) */
static void
post_refused_to_all (Listener *self, GstRtmpServerClient *client,
    const gchar *app, const gchar *stream, const gchar *kind,
    const gchar *reason, const gchar *code)
{
  g_autoptr (GPtrArray) elements = NULL;
  guint i;

  g_mutex_lock (&self->lock);
  elements = dup_elements_locked (self, app);
  g_mutex_unlock (&self->lock);
  GST_INFO ("%s: refused %s: %s", client ? client->address : "peer",
      stream ? stream : (app ? app : ""), reason);
  for (i = 0; i < elements->len; i++)
    post_client_message (elements->pdata[i], "rtmp-client-refused",
        client ? client->address : NULL, app, stream, kind, reason, code);
}

/* "rtmp-client-refused" for @count connections closed over the pending
 * cap, the last from @address */
static void
post_refused_count (Listener *self, const gchar *address, guint count)
{
  g_autoptr (GPtrArray) elements = NULL;
  g_autofree gchar *reason = g_strdup_printf ("too many connections that "
                                              "neither play nor publish (%u)",
      GST_RTMP_SERVER_MAX_PENDING);
  guint i;

  g_mutex_lock (&self->lock);
  elements = dup_elements_locked (self, NULL);
  g_mutex_unlock (&self->lock);
  GST_INFO ("%s: %u connection(s) closed at once: %s", self->display, count,
      reason);
  for (i = 0; i < elements->len; i++) {
    GstStructure *s = gst_structure_new ("rtmp-client-refused", "address",
        G_TYPE_STRING, address, "reason", G_TYPE_STRING, reason, "count",
        G_TYPE_UINT, count, NULL);
    GstElement *element = elements->pdata[i];

    gst_element_post_message (element,
        gst_message_new_element (GST_OBJECT (element), s));
  }
}

/* --- routes --- */

static GstRtmpServerRoute *
route_ref (GstRtmpServerRoute *route)
{
  g_atomic_int_inc (&route->ref_count);
  return route;
}

static void
route_unref (GstRtmpServerRoute *route)
{
  if (!g_atomic_int_dec_and_test (&route->ref_count))
    return;
  listener_unref (route->listener);
  g_free (route->application);
  g_free (route->stream_key);
  g_free (route->username);
  g_free (route->password);
  g_rec_mutex_clear (&route->callback_lock);
  g_free (route);
}

/* TRUE with the callback lock held when the route still takes callbacks */
static gboolean
route_enter (GstRtmpServerRoute *route)
{
  g_rec_mutex_lock (&route->callback_lock);
  if (g_atomic_int_get (&route->is_removed)) {
    g_rec_mutex_unlock (&route->callback_lock);
    return FALSE;
  }
  return TRUE;
}

static void
route_leave (GstRtmpServerRoute *route)
{
  g_rec_mutex_unlock (&route->callback_lock);
}

/* under the listener's lock */
static GstRtmpServerRoute *
find_route_locked (Listener *self, const gchar *app, const gchar *key,
    GstRtmpServerRouteKind kind)
{
  guint i;

  for (i = 0; i < self->routes->len; i++) {
    GstRtmpServerRoute *route = self->routes->pdata[i];

    if (route->kind == kind && g_str_equal (route->application, app)
        && g_str_equal (route->stream_key, key))
      return route;
  }
  return NULL;
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
    /* normally closed by client_finish () already */
    gst_rtmp_connection_close (connection);
    gst_rtmp_connection_unref (connection);
  }
  g_clear_object (&client->socket);
  listener_unref (client->listener);
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
static void
client_set_connection (GstRtmpServerClient *client,
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
    kind = kind_name (client->requested_kind);
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
static void
client_finish (GstRtmpServerClient *client, const gchar *reason)
{
  Listener *listener = client->listener;
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
    if (route_enter (route)) {
      if (route->callbacks.gone)
        route->callbacks.gone (route, client, reason, route->user_data);
      post_client_message (route->element, "rtmp-client-disconnected",
          client->address, app, stream, kind_name (route->kind), reason, NULL);
      route_leave (route);
    }
    route_unref (route);
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

  client_finish (d->client, d->reason);
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

/* The client stopped playing or publishing (closeStream, deleteStream,
 * FCUnpublish) but keeps its connection: it counts as pending again. */
static void
client_deactivate (GstRtmpServerClient *client, const gchar *reason)
{
  Listener *listener = client->listener;
  GstRtmpServerRoute *route;
  g_autofree gchar *app = NULL;
  g_autofree gchar *stream = NULL;

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

  if (route_enter (route)) {
    if (route->callbacks.gone)
      route->callbacks.gone (route, client, reason, route->user_data);
    post_client_message (route->element, "rtmp-client-disconnected",
        client->address, app, stream, kind_name (route->kind), reason, NULL);
    route_leave (route);
  }
  route_unref (route);
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
  Listener *listener = client->listener;
  g_autofree gchar *app = base_app (requested_app);
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
    post_refused_to_all (listener, client, app, NULL, NULL, reason,
        "NetConnection.Connect.Rejected");
    args.description = reason;
    with_session (client, answer_reject_connect, &args);
    return;
  }

  if (need_auth) {
    gsize secret_len;
    const guint8 *secret = auth_secret (&secret_len);
    g_autofree gchar *description = NULL;
    RtmpAuthVerdict verdict
        = rtmp_auth_server_check_adobe (requested_app, user_known ? user : NULL,
            password, secret, secret_len, &description, NULL);

    if (verdict != RTMP_AUTH_VERDICT_ACCEPT) {
      /* a challenge is a step of the exchange; a refusal is news */
      if (verdict == RTMP_AUTH_VERDICT_REFUSE)
        post_refused_to_all (listener, client, app, NULL, NULL,
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
    if (route_enter (route)) {
      GST_INFO ("%s: refused %s %s: %s", client->address, kind_name (kind),
          name, reason);
      post_client_message (route->element, "rtmp-client-refused",
          client->address, app, name, kind_name (kind), reason, code);
      route_leave (route);
    }
  } else {
    post_refused_to_all (client->listener, client, app, name, kind_name (kind),
        reason, code);
  }
  with_session (client, answer_reject_stream, &args);
}

static void
handle_stream_request (GstRtmpServerClient *client, GstRtmpServerRouteKind kind,
    guint32 stream_id, const gchar *name)
{
  Listener *listener = client->listener;
  const gchar *code = kind == GST_RTMP_SERVER_ROUTE_PLAY
      ? "NetStream.Play.StreamNotFound"
      : "NetStream.Publish.BadName";
  g_autofree gchar *key = stream_key (name);
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
    route = find_route_locked (listener, app, key, kind);
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
    route_ref (route);
    if (kind == GST_RTMP_SERVER_ROUTE_PUBLISH)
      route->publisher = client; /* reserved while the element decides */
    client->stream = g_strdup (name);
    client->stream_id = stream_id;
    client->requested_kind = kind;
  } else if (route != NULL) {
    route_ref (route);
  }
  g_mutex_unlock (&listener->lock);

  if (problem != NULL) {
    refuse_stream (client, stream_id, route, app, name, kind, code, problem);
    if (route)
      route_unref (route);
    return;
  }

  if (route_enter (route)) {
    accepted = route->callbacks.request == NULL
        || route->callbacks.request (route, client, &refusal, route->user_data);
    if (accepted)
      gst_rtmp_server_client_accept (client);
    route_leave (route);
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
    client->route = route_ref (route);
    client->active_us = g_get_monotonic_time ();
    listener->n_pending--;
  }
  g_mutex_unlock (&listener->lock);

  if (!accepted) {
    refuse_stream (client, stream_id, route, app, name, kind,
        kind == GST_RTMP_SERVER_ROUTE_PLAY ? "NetStream.Play.Failed" : code,
        refusal ? refusal : "refused");
  } else if (route_enter (route)) {
    if (finished_meanwhile) {
      if (route->callbacks.gone)
        route->callbacks.gone (route, client, "disconnected", route->user_data);
    } else {
      GST_INFO ("%s: %s %s/%s", client->address, kind_name (kind), app, name);
      post_client_message (route->element, "rtmp-client-connected",
          client->address, app, name, kind_name (kind), NULL, NULL);
    }
    route_leave (route);
  }
  route_unref (route);
}

/* (transfer full, nullable) the route the client plays or publishes
 * @stream_id of */
static GstRtmpServerRoute *
dup_active_route (GstRtmpServerClient *client, guint32 stream_id)
{
  GstRtmpServerRoute *route = NULL;

  g_mutex_lock (&client->listener->lock);
  if (client->route && client->stream_id == stream_id)
    route = route_ref (client->route);
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

  client_set_connection (client, connection);
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
      if (route->kind == GST_RTMP_SERVER_ROUTE_PUBLISH && route_enter (route)) {
        if (route->callbacks.media)
          route->callbacks.media (route, client, event->message,
              route->user_data);
        route_leave (route);
      }
      route_unref (route);
      break;
    case RTMP_SESSION_EVENT_PAUSE_REQUEST:
      route = dup_active_route (client, event->stream_id);
      if (route == NULL)
        break;
      if (route->kind == GST_RTMP_SERVER_ROUTE_PLAY && route_enter (route)) {
        if (route->callbacks.pause)
          route->callbacks.pause (route, client, event->pause,
              route->user_data);
        route_leave (route);
      }
      route_unref (route);
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
        route_unref (route);
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

  client_set_connection (client, connection);
  client_finish (client,
      error ? error->message : "the connection closed cleanly");
}

static const GstRtmpConnectionCallbacks connection_callbacks = {
  .event = on_connection_event,
  .closed = on_connection_closed,
};

/* --- accepting --- */

static gchar *
socket_peer_address (GSocket *socket)
{
  g_autoptr (GSocketAddress) address
      = g_socket_get_remote_address (socket, NULL);
  g_autofree gchar *host = NULL;
  guint16 port;

  if (address == NULL || !G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("unknown");
  host = g_inet_address_to_string (
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  return g_strdup_printf (strchr (host, ':') ? "[%s]:%u" : "%s:%u", host, port);
}

/* The session settings of the listener's routes: the smallest timeouts */
static void
connection_config_locked (Listener *self, GstRtmpConnectionConfig *config)
{
  guint timeout_s = 0, idle_s = 0, i;
  guint32 chunk_size = 0;
  RtmpSessionConfig *session = &config->session;

  for (i = 0; i < self->routes->len; i++) {
    GstRtmpServerRoute *route = self->routes->pdata[i];

    if (route->timeout_s > 0
        && (timeout_s == 0 || route->timeout_s < timeout_s))
      timeout_s = route->timeout_s;
    if (route->idle_timeout_s > 0
        && (idle_s == 0 || route->idle_timeout_s < idle_s))
      idle_s = route->idle_timeout_s;
    if (chunk_size == 0)
      chunk_size = route->chunk_size;
  }

  memset (config, 0, sizeof (*config));
  rtmp_session_config_init (session, RTMP_SESSION_ROLE_SERVER);
  session->phase_timeout_ms
      = (timeout_s ? timeout_s : DEFAULT_TIMEOUT_S) * 1000;
  session->idle_timeout_ms = (idle_s ? idle_s : DEFAULT_IDLE_TIMEOUT_S) * 1000;
  session->ping_interval_ms = PING_INTERVAL_MS;
  session->chunk_size = chunk_size ? chunk_size : DEFAULT_CHUNK_SIZE;
  session->limits.max_message_bytes = GST_RTMP_SERVER_MAX_MESSAGE_BYTES;
  session->limits.max_buffered_bytes = GST_RTMP_SERVER_MAX_BUFFERED_BYTES;
  session->limits.max_chunk_streams = GST_RTMP_SERVER_MAX_CHUNK_STREAMS;
  session->limits.amf_max_elements = GST_RTMP_SERVER_AMF_MAX_ELEMENTS;
  session->limits.amf_max_bytes = GST_RTMP_SERVER_AMF_MAX_BYTES;
  config->use_tls = self->use_tls;
#if HAVE_TLS
  config->tls.is_server = TRUE;
  config->tls.certificate_file = self->tls_certificate_file;
  config->tls.key_file = self->tls_key_file;
#endif
}

static void
start_client (Listener *self, GSocket *socket)
{
  g_autofree gchar *address = socket_peer_address (socket);
  GstRtmpConnectionConfig config;
  GstRtmpServerClient *client;
  GstRtmpConnection *connection;
  GError *error = NULL;
  gboolean finished;
  guint n_pending;

  g_mutex_lock (&self->lock);
  if (self->is_closed || self->n_pending >= GST_RTMP_SERVER_MAX_PENDING) {
    gint64 now = g_get_monotonic_time ();
    guint count = 0;

    /* a flood of connects must not flood the bus: one message a second
     * says how many were closed since the last one */
    if (!self->is_closed) {
      self->n_over_cap++;
      if (now - self->over_cap_posted_us >= G_USEC_PER_SEC) {
        count = self->n_over_cap;
        self->n_over_cap = 0;
        self->over_cap_posted_us = now;
      }
    }
    g_mutex_unlock (&self->lock);
    g_socket_close (socket, NULL);
    if (count > 0)
      post_refused_count (self, address, count);
    return;
  }
  connection_config_locked (self, &config);
  client = g_new0 (GstRtmpServerClient, 1);
  client->ref_count = 1;
  client->listener = listener_ref (self);
  client->socket = g_object_ref (socket);
  client->address = g_steal_pointer (&address);
  client->accepted_us = g_get_monotonic_time ();
  g_ptr_array_add (self->clients, client);
  /* ours until the end: the connection may run, fail and finish the
   * client on another I/O thread before new_server () returns */
  gst_rtmp_server_client_ref (client);
  n_pending = ++self->n_pending;
  g_mutex_unlock (&self->lock);

  GST_DEBUG ("%s: accepted on %s (%u pending)", client->address, self->display,
      n_pending);
  /* the connection borrows the client: client_finish () closes the
   * connection (no callback after that) before the client can go */
  connection = gst_rtmp_connection_new_server (socket, &config,
      &connection_callbacks, client, NULL, &error);
  if (connection == NULL) {
    GST_WARNING ("%s: %s", client->address, error->message);
    client_finish (client, error->message);
    g_error_free (error);
    gst_rtmp_server_client_unref (client);
    return;
  }
  client_set_connection (client, connection);

  /* finished before the connection was known: close it now */
  g_mutex_lock (&self->lock);
  finished = client->is_finished;
  g_mutex_unlock (&self->lock);
  if (finished)
    gst_rtmp_connection_close (connection);
  gst_rtmp_connection_unref (connection);
  gst_rtmp_server_client_unref (client);
}

static gboolean
on_incoming (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Listener *self = user_data;
  guint i;

  for (i = 0; i < MAX_ACCEPTS_PER_DISPATCH; i++) {
    GError *error = NULL;
    GSocket *accepted = g_socket_accept (self->socket, NULL, &error);

    if (accepted == NULL) {
      /* EMFILE and friends: try again on the next wakeup */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        GST_WARNING ("accepting on %s: %s", self->display, error->message);
      g_error_free (error);
      break;
    }
    start_client (self, accepted);
    g_object_unref (accepted);
  }
  return G_SOURCE_CONTINUE;
}

/* Drops clients that queue more than they read: floods of commands whose
 * answers are never read, players over their route's hard bound */
static gboolean
on_sweep (gpointer user_data)
{
  Listener *self = user_data;
  g_autoptr (GPtrArray) clients = NULL;
  guint i, n_over_cap;

  clients = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_rtmp_server_client_unref);
  g_mutex_lock (&self->lock);
  /* report what the rate limit of start_client () held back */
  n_over_cap = self->n_over_cap;
  self->n_over_cap = 0;
  if (n_over_cap > 0)
    self->over_cap_posted_us = g_get_monotonic_time ();
  for (i = 0; i < self->clients->len; i++)
    g_ptr_array_add (clients,
        gst_rtmp_server_client_ref (self->clients->pdata[i]));
  g_mutex_unlock (&self->lock);
  if (n_over_cap > 0)
    post_refused_count (self, NULL, n_over_cap);

  for (i = 0; i < clients->len; i++) {
    GstRtmpServerClient *client = clients->pdata[i];
    gsize backlog = gst_rtmp_server_client_get_backlog (client);
    gsize limit;

    g_mutex_lock (&self->lock);
    limit = client->route ? client->route->max_backlog_bytes
                          : PENDING_MAX_BACKLOG;
    g_mutex_unlock (&self->lock);
    if (limit > 0 && backlog > limit) {
      g_autofree gchar *reason = g_strdup_printf (
          "%" G_GSIZE_FORMAT " bytes queued that the client does not read "
          "(limit %" G_GSIZE_FORMAT ")",
          backlog, limit);

      client_finish (client, reason);
    }
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
attach_sources (gpointer user_data)
{
  Listener *self = user_data;

  g_mutex_lock (&self->lock);
  if (!self->is_closed) {
    GMainContext *context = gst_rtmp_io_loop_get_context (self->loop);

    self->accept_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
    g_source_set_callback (self->accept_source, G_SOURCE_FUNC (on_incoming),
        listener_ref (self), (GDestroyNotify) listener_unref);
    g_source_attach (self->accept_source, context);
    self->sweep_source = g_timeout_source_new (SWEEP_INTERVAL_MS);
    g_source_set_callback (self->sweep_source, on_sweep, listener_ref (self),
        (GDestroyNotify) listener_unref);
    g_source_attach (self->sweep_source, context);
  }
  g_mutex_unlock (&self->lock);
  return G_SOURCE_REMOVE;
}

static GInetAddress *
resolve (const gchar *host, GError **error)
{
  GInetAddress *address = g_inet_address_new_from_string (host);
  g_autoptr (GResolver) resolver = NULL;
  GList *list;

  if (address)
    return address;
  resolver = g_resolver_get_default ();
  list = g_resolver_lookup_by_name (resolver, host, NULL, error);
  if (list == NULL)
    return NULL;
  address = g_object_ref (list->data);
  g_resolver_free_addresses (list);
  return address;
}

/* A listening socket on @host:@port, non-blocking (with SO_REUSEADDR: a
 * restarted pipeline gets its port back while old connections linger in
 * TIME_WAIT) */
static GSocket *
listen_on (const gchar *host, guint16 port, guint16 *bound_port,
    gchar **key_out, GError **error)
{
  g_autoptr (GInetAddress) address = resolve (host, error);
  g_autoptr (GSocketAddress) socket_address = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autofree gchar *text = NULL;

  if (address == NULL)
    return NULL;
  socket = g_socket_new (g_inet_address_get_family (address),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  socket_address = g_inet_socket_address_new (address, port);
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, socket_address, TRUE, error)
      || !g_socket_listen (socket, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  local = g_socket_get_local_address (socket, error);
  if (local == NULL)
    return NULL;
  *bound_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  text = g_inet_address_to_string (address);
  *key_out = g_strdup_printf ("%s|%u", text, *bound_port);
  return g_steal_pointer (&socket);
}

/* The registry key of @host:@port without binding: NULL when @host does
 * not resolve or @port is 0 (never shared) */
static gchar *
lookup_key (const gchar *host, guint16 port)
{
  g_autoptr (GInetAddress) address = NULL;
  g_autofree gchar *text = NULL;

  if (port == 0)
    return NULL;
  address = resolve (host, NULL);
  if (address == NULL)
    return NULL;
  text = g_inet_address_to_string (address);
  return g_strdup_printf ("%s|%u", text, port);
}

/* (transfer full) the open listener of the address, or a new one; called
 * with registry_lock */
static Listener *
acquire_listener_locked (const GstRtmpServerRouteConfig *config, GError **error)
{
  g_autofree gchar *key = lookup_key (config->host, config->port);
  Listener *self;
  GSocket *socket;
  guint16 port = 0;
  gchar *bound_key = NULL;

  if (registry == NULL)
    registry = g_hash_table_new (g_str_hash, g_str_equal);
  if (key != NULL && (self = g_hash_table_lookup (registry, key)) != NULL) {
    if (self->use_tls != config->use_tls
        || (config->use_tls
            && (g_strcmp0 (self->tls_certificate_file,
                    config->tls_certificate_file)
                    != 0
                || g_strcmp0 (self->tls_key_file, config->tls_key_file)
                    != 0))) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "%s is already served %s", self->display,
          self->use_tls ? "with other TLS settings"
                        : "without TLS (rtmp://, not rtmps://)");
      return NULL;
    }
    return listener_ref (self);
  }

  socket = listen_on (config->host, config->port, &port, &bound_key, error);
  if (socket == NULL)
    return NULL;
  self = g_new0 (Listener, 1);
  self->ref_count = 1;
  self->key = bound_key;
  self->socket = socket;
  self->port = port;
  self->display = g_strdup_printf (
      strchr (config->host, ':') ? "[%s]:%u" : "%s:%u", config->host, port);
  self->use_tls = config->use_tls;
  self->tls_certificate_file = g_strdup (config->tls_certificate_file);
  self->tls_key_file = g_strdup (config->tls_key_file);
  g_mutex_init (&self->lock);
  self->routes = g_ptr_array_new ();
  self->clients = g_ptr_array_new ();
  self->loop = gst_rtmp_io_loop_acquire ();
  g_hash_table_insert (registry, self->key, self);
  gst_rtmp_io_loop_invoke (self->loop, attach_sources, listener_ref (self),
      (GDestroyNotify) listener_unref);
  GST_INFO ("listening on %s%s", self->display, self->use_tls ? " (TLS)" : "");
  return self;
}

GstRtmpServerRoute *
gst_rtmp_server_route_new (const GstRtmpServerRouteConfig *config,
    const GstRtmpServerRouteCallbacks *callbacks, gpointer user_data,
    GDestroyNotify notify, GError **error)
{
  GstRtmpServerRoute *route, *other;
  g_autofree gchar *app = NULL;
  g_autofree gchar *key = NULL;
  Listener *listener;

  g_return_val_if_fail (GST_IS_ELEMENT (config->element), NULL);
  g_return_val_if_fail (config->host != NULL, NULL);
  g_return_val_if_fail (config->application != NULL, NULL);
  g_return_val_if_fail (config->stream != NULL, NULL);

  init_debug ();
  app = base_app (config->application);
  key = stream_key (config->stream);
  if (app[0] == '\0' || key[0] == '\0') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "a server needs an application and a stream key to serve "
        "(rtmp://host:port/application/stream)");
    return NULL;
  }
#if !HAVE_TLS
  if (config->use_tls) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "rtmps needs TLS support, which this build does not have");
    return NULL;
  }
#endif
  if (config->use_tls && config->tls_certificate_file == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "an rtmps:// server needs tls-certificate-file (and tls-key-file "
        "unless the key is in the certificate file)");
    return NULL;
  }

  g_mutex_lock (&registry_lock);
  listener = acquire_listener_locked (config, error);
  if (listener == NULL) {
    g_mutex_unlock (&registry_lock);
    return NULL;
  }

  g_mutex_lock (&listener->lock);
  other = find_route_locked (listener, app, key, config->kind);
  if (other != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
        "%s already serves %s of %s/%s (element %s)", listener->display,
        kind_name (config->kind), app, key, GST_OBJECT_NAME (other->element));
    g_mutex_unlock (&listener->lock);
    g_mutex_unlock (&registry_lock);
    listener_unref (listener);
    return NULL;
  }

  route = g_new0 (GstRtmpServerRoute, 1);
  route->ref_count = 1;
  route->listener = listener; /* the reference acquired above */
  route->element = config->element;
  route->application = g_steal_pointer (&app);
  route->stream_key = g_steal_pointer (&key);
  route->kind = config->kind;
  if (config->username && config->username[0]) {
    route->username = g_strdup (config->username);
    route->password = g_strdup (config->password ? config->password : "");
  }
  route->timeout_s = config->timeout_s;
  route->idle_timeout_s = config->idle_timeout_s;
  route->chunk_size = config->chunk_size;
  route->max_backlog_bytes = config->max_backlog_bytes;
  route->callbacks = *callbacks;
  route->user_data = user_data;
  route->notify = notify;
  g_rec_mutex_init (&route->callback_lock);
  g_ptr_array_add (listener->routes, route);
  g_mutex_unlock (&listener->lock);
  g_mutex_unlock (&registry_lock);

  GST_INFO ("%s: serving %s of %s/%s for %s", listener->display,
      kind_name (route->kind), route->application, route->stream_key,
      GST_OBJECT_NAME (route->element));
  return route;
}

guint16
gst_rtmp_server_route_get_port (GstRtmpServerRoute *route)
{
  return route->listener->port;
}

static void
close_listener (Listener *self)
{
  GSource *accept_source, *sweep_source;

  g_mutex_lock (&self->lock);
  self->is_closed = TRUE;
  accept_source = g_steal_pointer (&self->accept_source);
  sweep_source = g_steal_pointer (&self->sweep_source);
  g_mutex_unlock (&self->lock);
  if (accept_source) {
    g_source_destroy (accept_source);
    g_source_unref (accept_source);
  }
  if (sweep_source) {
    g_source_destroy (sweep_source);
    g_source_unref (sweep_source);
  }
  g_socket_close (self->socket, NULL);
  GST_INFO ("stopped listening on %s", self->display);
}

void
gst_rtmp_server_route_free (GstRtmpServerRoute *route)
{
  Listener *listener;
  g_autoptr (GPtrArray) clients = NULL;
  gboolean last;
  guint i;

  if (route == NULL)
    return;
  listener = route->listener;

  /* no callback starts after this, and none runs once the lock was ours */
  g_mutex_lock (&registry_lock);
  g_mutex_lock (&listener->lock);
  g_atomic_int_set (&route->is_removed, 1);
  g_ptr_array_remove (listener->routes, route);
  last = listener->routes->len == 0;
  if (last) {
    g_hash_table_remove (registry, listener->key);
    listener->is_closed = TRUE;
  }
  clients = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_rtmp_server_client_unref);
  for (i = 0; i < listener->clients->len; i++) {
    GstRtmpServerClient *client = listener->clients->pdata[i];

    /* the route's clients, and every client when the listener closes */
    if (last || client->route == route)
      g_ptr_array_add (clients, gst_rtmp_server_client_ref (client));
  }
  g_mutex_unlock (&listener->lock);
  g_mutex_unlock (&registry_lock);
  g_rec_mutex_lock (&route->callback_lock);
  g_rec_mutex_unlock (&route->callback_lock);

  if (last)
    close_listener (listener);
  for (i = 0; i < clients->len; i++) {
    GstRtmpServerClient *client = clients->pdata[i];
    gboolean was_ours;
    g_autofree gchar *app = NULL;
    g_autofree gchar *stream = NULL;

    g_mutex_lock (&listener->lock);
    was_ours = client->route == route && !client->is_finished;
    app = g_strdup (client->app);
    stream = g_strdup (client->stream);
    g_mutex_unlock (&listener->lock);
    client_finish (client, "the server stopped serving the stream");
    if (was_ours)
      post_client_message (route->element, "rtmp-client-disconnected",
          client->address, app, stream, kind_name (route->kind),
          "the server stopped serving the stream", NULL);
  }

  if (route->notify)
    route->notify (route->user_data);
  route_unref (route);
}
