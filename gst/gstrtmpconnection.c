/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One RTMP connection's I/O: the socket (and TLS), the session, its timers,
 * on one of the shared I/O threads.
 *
 * Threading (see docs/design.md): the connection's lock guards the session
 * and the socket, and whoever holds it owns both (asserted). The I/O thread
 * reads, answers the peer and writes what is left; a streaming thread that
 * queues media writes it itself, without a thread hop, as far as the socket
 * takes it. Callbacks run on the I/O thread without the lock, under
 * callback_lock, so close () can wait for a running callback to finish.
 *
 * Lock order: callback_lock, then the element's lock, then lock. */

#include "config.h"

#include "config.h"
#include "gstrtmpconnection.h"

#include <gst/gst.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtmp_connection_debug);
#define GST_CAT_DEFAULT gst_rtmp_connection_debug
GST_DEBUG_CATEGORY_STATIC (gst_rtmp_protocol_debug);

/* Bytes read per recv, and reads per dispatch before other connections on
 * the same I/O thread get their turn */
#define READ_SIZE (64 * 1024)
#define MAX_READS_PER_DISPATCH 8
#define MAX_OUTPUT_VECTORS 64

struct _GstRtmpConnection
{
  gint ref_count;

  GMutex lock;
  GCond cond; /* broadcast only when n_waiters: see wake_waiters_locked () */
  guint n_waiters;
  GThread *owner; /* holder of lock, for the ownership assert */
  GRecMutex callback_lock;

  GstRtmpIoLoop *loop;
  GSource *source; /* fd watch + session deadline */
  gpointer fd_tag;
  GIOCondition fd_events;

  GSocketClient *socket_client;
  GCancellable *cancellable; /* resolving + TCP connect */
  GSocketConnection *socket_connection;
  GSocket *socket;
#if HAVE_TLS
  GstRtmpTls *tls;
  gboolean is_tls_shut;
  gchar *tls_host, *tls_ca_file, *tls_certificate_file, *tls_key_file;
  GTlsCertificateFlags tls_validation_flags;
#endif
  gboolean use_tls;

  RtmpSessionConfig session_config; /* strings copied below */
  RtmpSession *session;
  gchar *host;
  guint16 port;
  guint connect_timeout_ms;
  guint64 connect_deadline_us;
  GstRtmpConnectionPhase phase;
  GError *error;

  gboolean is_closed; /* close () was called */
  gboolean is_reading;
  gboolean is_eof;
  /* our side is shut down after the last message: we read until the peer
   * closes too (or the linger deadline), so that closing never resets a
   * connection whose last bytes the peer has not read yet */
  gboolean is_write_shut;
  guint64 linger_deadline_us;
  guint8 *read_buffer;
  guint wakeups; /* wake () count, so waiters see it */
  /* a thread reads the socket in gst_rtmp_connection_read_now (): the
   * I/O thread does not while it is in there, nor until pump_lease_us
   * (PUMP_LEASE_US after it returned, or release_reading ()), so that the
   * socket stays read when that thread stops calling; wake () writes
   * wake_fd to interrupt it */
  gboolean is_pump_reading;
  guint64 pump_lease_us;
  gboolean is_io_reading; /* the I/O thread reads and delivers what it read */
  gint wake_fd;

  /* delivered on the I/O thread after the lock is dropped */
  GArray *pending_events; /* RtmpSessionEvent */
  GArray *pending_phases; /* GstRtmpConnectionPhase, in order */
  gboolean closed_pending;
  gboolean closed_delivered;

  GstRtmpConnectionCallbacks callbacks;
  gpointer user_data;
  GDestroyNotify notify;

  /* copies of the client config's strings (session_config points here) */
  gchar *app, *tc_url, *flash_ver, *swf_url, *page_url, *stream_name,
      *secure_token;
  GStrv fourcc_list;
  RtmpAmfValue *extra_connect_fields;
  GPtrArray *extra_connect_args; /* RtmpAmfValue *, owned */
};

static void
init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_rtmp_connection_debug, "rtmpconnection", 0,
        "RTMP connections: sockets, TLS, timers");
    GST_DEBUG_CATEGORY_INIT (gst_rtmp_protocol_debug, "rtmpprotocol", 0,
        "RTMP protocol layer (handshake, chunks, commands)");
    g_once_init_leave (&done, 1);
  }
}

const gchar *
gst_rtmp_connection_phase_get_name (GstRtmpConnectionPhase phase)
{
  switch (phase) {
    case GST_RTMP_CONNECTION_PHASE_CONNECTING:
      return "connecting";
    case GST_RTMP_CONNECTION_PHASE_TLS:
      return "tls";
    case GST_RTMP_CONNECTION_PHASE_HANDSHAKE:
      return "handshaking";
    case GST_RTMP_CONNECTION_PHASE_OPEN:
      return "open";
    case GST_RTMP_CONNECTION_PHASE_CLOSED:
      return "closed";
  }
  return "unknown";
}

/* The protocol layer logs through here into the rtmpprotocol category */
static void
protocol_log (GLogLevelFlags level, const gchar *message, gpointer user_data)
{
  GstDebugLevel gst_level;

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    gst_level = GST_LEVEL_ERROR;
  else if (level & G_LOG_LEVEL_WARNING)
    gst_level = GST_LEVEL_WARNING;
  else if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    gst_level = GST_LEVEL_INFO;
  else
    gst_level = GST_LEVEL_DEBUG;
  GST_CAT_LEVEL_LOG (gst_rtmp_protocol_debug, gst_level, NULL, "%s", message);
}

static GLogLevelFlags
protocol_log_level (void)
{
  GstDebugLevel level
      = gst_debug_category_get_threshold (gst_rtmp_protocol_debug);
  GLogLevelFlags flags = G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL;

  if (level >= GST_LEVEL_WARNING)
    flags |= G_LOG_LEVEL_WARNING;
  if (level >= GST_LEVEL_INFO)
    flags |= G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO;
  if (level >= GST_LEVEL_DEBUG)
    flags |= G_LOG_LEVEL_DEBUG;
  return flags;
}

/* --- locking --- */

void
gst_rtmp_connection_lock (GstRtmpConnection *self)
{
  g_mutex_lock (&self->lock);
  g_assert (self->owner == NULL);
  self->owner = g_thread_self ();
}

void
gst_rtmp_connection_unlock (GstRtmpConnection *self)
{
  g_assert (self->owner == g_thread_self ());
  self->owner = NULL;
  g_mutex_unlock (&self->lock);
}

#define ASSERT_OWNER(self) g_assert ((self)->owner == g_thread_self ())

/* --- lifetime --- */

static void copy_config (GstRtmpConnection *self,
    const GstRtmpConnectionConfig *config);

static GstRtmpConnection *
connection_new (const GstRtmpConnectionConfig *config,
    const GstRtmpConnectionCallbacks *callbacks, gpointer user_data,
    GDestroyNotify notify)
{
  GstRtmpConnection *self = g_new0 (GstRtmpConnection, 1);

  init_debug ();
  self->ref_count = 1;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_rec_mutex_init (&self->callback_lock);
  self->callbacks = *callbacks;
  self->user_data = user_data;
  self->notify = notify;
  self->is_reading = TRUE;
  self->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  self->read_buffer = g_malloc (READ_SIZE);
  self->pending_events = g_array_new (FALSE, TRUE, sizeof (RtmpSessionEvent));
  self->pending_phases
      = g_array_new (FALSE, FALSE, sizeof (GstRtmpConnectionPhase));
  self->loop = gst_rtmp_io_loop_acquire ();
  copy_config (self, config);
  return self;
}

GstRtmpConnection *
gst_rtmp_connection_ref (GstRtmpConnection *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
gst_rtmp_connection_unref (GstRtmpConnection *self)
{
  guint i;

  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;

  g_assert (self->source == NULL);
  for (i = 0; i < self->pending_events->len; i++)
    rtmp_session_event_clear (
        &g_array_index (self->pending_events, RtmpSessionEvent, i));
  g_array_unref (self->pending_events);
  g_array_unref (self->pending_phases);
  g_clear_pointer (&self->session, rtmp_session_free);
#if HAVE_TLS
  g_clear_pointer (&self->tls, gst_rtmp_tls_free);
  g_free (self->tls_host);
  g_free (self->tls_ca_file);
  g_free (self->tls_certificate_file);
  g_free (self->tls_key_file);
#endif
  g_clear_object (&self->socket);
  g_clear_object (&self->socket_connection);
  g_clear_object (&self->socket_client);
  g_clear_object (&self->cancellable);
  g_clear_error (&self->error);
  g_free (self->read_buffer);
  if (self->wake_fd >= 0)
    close (self->wake_fd);
  g_free (self->host);
  g_free (self->app);
  g_free (self->tc_url);
  g_free (self->flash_ver);
  g_free (self->swf_url);
  g_free (self->page_url);
  g_free (self->stream_name);
  g_free (self->secure_token);
  g_strfreev (self->fourcc_list);
  g_clear_pointer (&self->extra_connect_fields, rtmp_amf_value_free);
  g_clear_pointer (&self->extra_connect_args, g_ptr_array_unref);
  gst_rtmp_io_loop_release (self->loop);
  if (self->notify)
    self->notify (self->user_data);
  g_rec_mutex_clear (&self->callback_lock);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static void
copy_config (GstRtmpConnection *self, const GstRtmpConnectionConfig *config)
{
  RtmpClientConfig *c = &self->session_config.client;

  self->host = g_strdup (config->host);
  self->port = config->port;
  self->use_tls = config->use_tls;
#if HAVE_TLS
  self->tls_host
      = g_strdup (config->tls.host ? config->tls.host : config->host);
  self->tls_ca_file = g_strdup (config->tls.ca_file);
  self->tls_certificate_file = g_strdup (config->tls.certificate_file);
  self->tls_key_file = g_strdup (config->tls.key_file);
  self->tls_validation_flags = config->tls.validation_flags;
#endif
  self->connect_timeout_ms = config->connect_timeout_ms;
  self->session_config = config->session;
  /* the session copies its strings when created; until then keep ours */
  self->app = g_strdup (c->app);
  self->tc_url = g_strdup (c->tc_url);
  self->flash_ver = g_strdup (c->flash_ver);
  self->swf_url = g_strdup (c->swf_url);
  self->page_url = g_strdup (c->page_url);
  self->stream_name = g_strdup (c->stream_name);
  self->secure_token = g_strdup (c->secure_token);
  self->fourcc_list = g_strdupv ((gchar **) c->fourcc_list);
  c->app = self->app;
  c->tc_url = self->tc_url;
  c->flash_ver = self->flash_ver;
  c->swf_url = self->swf_url;
  c->page_url = self->page_url;
  c->stream_name = self->stream_name;
  c->secure_token = self->secure_token;
  c->fourcc_list = (const gchar *const *) self->fourcc_list;
  if (c->extra_connect_fields) {
    self->extra_connect_fields = rtmp_amf_value_copy (c->extra_connect_fields);
    c->extra_connect_fields = self->extra_connect_fields;
  }
  self->extra_connect_args
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_amf_value_free);
  for (guint i = 0; i < c->n_extra_connect_args; i++)
    g_ptr_array_add (self->extra_connect_args,
        rtmp_amf_value_copy (c->extra_connect_args[i]));
  c->extra_connect_args
      = (const RtmpAmfValue *const *) self->extra_connect_args->pdata;
  /* the auth state is borrowed from the client, which outlives its
   * connections */
  self->session_config.log_func = protocol_log;
  self->session_config.log_user_data = NULL;
  self->session_config.log_level = protocol_log_level ();
}

/* --- state changes, delivered after the lock is dropped --- */

/* GLib's broadcast is a system call even when nobody waits, which is the
 * usual case: a thread in wait_locked () is counted */
static void
wake_waiters_locked (GstRtmpConnection *self)
{
  if (self->n_waiters > 0)
    g_cond_broadcast (&self->cond);
}

static void
set_phase_locked (GstRtmpConnection *self, GstRtmpConnectionPhase phase)
{
  if (self->phase == phase)
    return;
  GST_DEBUG ("%s:%u: %s", self->host ? self->host : "peer", self->port,
      gst_rtmp_connection_phase_get_name (phase));
  self->phase = phase;
  g_array_append_val (self->pending_phases, phase);
  wake_waiters_locked (self);
}

static void
fail_locked (GstRtmpConnection *self, GError *error)
{
  if (self->phase == GST_RTMP_CONNECTION_PHASE_CLOSED) {
    g_clear_error (&error);
    return;
  }
  GST_DEBUG ("%s:%u: failed: %s", self->host ? self->host : "peer", self->port,
      error ? error->message : "closed");
  g_clear_error (&self->error);
  self->error = error;
  self->phase = GST_RTMP_CONNECTION_PHASE_CLOSED;
  self->closed_pending = TRUE;
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  if (self->socket)
    g_socket_close (self->socket, NULL);
  wake_waiters_locked (self);
}

static void
collect_events_locked (GstRtmpConnection *self)
{
  RtmpSessionEvent event;

  if (self->session == NULL)
    return;
  while (rtmp_session_next_event (self->session, &event)) {
    if (event.type == RTMP_SESSION_EVENT_HANDSHAKE_COMPLETE)
      set_phase_locked (self, GST_RTMP_CONNECTION_PHASE_OPEN);
    g_array_append_val (self->pending_events, event);
  }
}

static gboolean
is_closed (GstRtmpConnection *self)
{
  gboolean closed;

  g_mutex_lock (&self->lock);
  closed = self->is_closed;
  g_mutex_unlock (&self->lock);
  return closed;
}

/* Runs the callbacks for what happened while the lock was held. Called on
 * the I/O thread without the lock. */
static void
deliver (GstRtmpConnection *self)
{
  GArray *events, *phases;
  gboolean closed;
  GError *error = NULL;
  guint i;

  g_rec_mutex_lock (&self->callback_lock);
  gst_rtmp_connection_lock (self);
  if (self->is_closed) {
    gst_rtmp_connection_unlock (self);
    g_rec_mutex_unlock (&self->callback_lock);
    return;
  }
  events = self->pending_events;
  self->pending_events = g_array_new (FALSE, TRUE, sizeof (RtmpSessionEvent));
  phases = self->pending_phases;
  self->pending_phases
      = g_array_new (FALSE, FALSE, sizeof (GstRtmpConnectionPhase));
  closed = self->closed_pending && !self->closed_delivered;
  if (closed) {
    self->closed_delivered = TRUE;
    error = self->error ? g_error_copy (self->error) : NULL;
  }
  gst_rtmp_connection_unlock (self);

  /* phases first: they happened before the events they led to; a callback
   * may close the connection, and no callback runs after that */
  for (i = 0; i < phases->len; i++) {
    GstRtmpConnectionPhase phase
        = g_array_index (phases, GstRtmpConnectionPhase, i);

    if (phase != GST_RTMP_CONNECTION_PHASE_CLOSED && self->callbacks.phase
        && !is_closed (self))
      self->callbacks.phase (self, phase, self->user_data);
  }
  g_array_unref (phases);
  for (i = 0; i < events->len; i++) {
    RtmpSessionEvent *event = &g_array_index (events, RtmpSessionEvent, i);

    if (self->callbacks.event && !is_closed (self))
      self->callbacks.event (self, event, self->user_data);
    rtmp_session_event_clear (event);
  }
  g_array_unref (events);

  if (closed && self->callbacks.closed && !is_closed (self))
    self->callbacks.closed (self, error, self->user_data);
  g_clear_error (&error);
  g_rec_mutex_unlock (&self->callback_lock);
}

/* --- writing --- */

static gboolean
socket_error_locked (GstRtmpConnection *self, GError *error, const gchar *what)
{
  GError *wrapped = g_error_new (error->domain, error->code, "%s %s:%u: %s",
      what, self->host ? self->host : "peer", self->port, error->message);

  g_error_free (error);
  fail_locked (self, wrapped);
  return FALSE;
}

static gboolean
send_bytes_locked (GstRtmpConnection *self, const guint8 *data, gsize len,
    gsize *sent)
{
  GError *error = NULL;
  gssize n = g_socket_send_with_blocking (self->socket, (const gchar *) data,
      len, FALSE, NULL, &error);

  if (n < 0) {
    *sent = 0;
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_error_free (error);
      return TRUE;
    }
    return socket_error_locked (self, error, "writing to");
  }
  *sent = n;
  return TRUE;
}

#if HAVE_TLS
static gboolean
flush_tls_locked (GstRtmpConnection *self)
{
  RtmpOutputVector vectors[MAX_OUTPUT_VECTORS];
  GError *error = NULL;
  guint n, i;

  /* session output -> TLS (copied once, while encrypting) */
  while ((n = rtmp_session_peek_output (self->session, vectors,
              MAX_OUTPUT_VECTORS))
      > 0) {
    gsize total = 0;

    for (i = 0; i < n; i++) {
      if (!gst_rtmp_tls_write (self->tls, vectors[i].data, vectors[i].len,
              &error)) {
        fail_locked (self, error);
        return FALSE;
      }
      total += vectors[i].len;
    }
    rtmp_session_consume_output (self->session, total);
  }

  /* TLS -> socket */
  for (;;) {
    const guint8 *data;
    gsize len = gst_rtmp_tls_peek_output (self->tls, &data), sent;

    if (len == 0)
      return TRUE;
    if (!send_bytes_locked (self, data, len, &sent))
      return FALSE;
    if (sent == 0)
      return TRUE;
    gst_rtmp_tls_consume_output (self->tls, sent);
  }
}

static gboolean
tls_has_output (GstRtmpConnection *self)
{
  const guint8 *data;

  return self->tls != NULL && gst_rtmp_tls_peek_output (self->tls, &data) > 0;
}
#endif

static gboolean
flush_plain_locked (GstRtmpConnection *self)
{
  RtmpOutputVector vectors[MAX_OUTPUT_VECTORS];
  GOutputVector out[MAX_OUTPUT_VECTORS];
  guint n, i;

  while ((n = rtmp_session_peek_output (self->session, vectors,
              MAX_OUTPUT_VECTORS))
      > 0) {
    GError *error = NULL;
    gsize total = 0;
    gssize sent;

    for (i = 0; i < n; i++) {
      out[i].buffer = vectors[i].data;
      out[i].size = vectors[i].len;
      total += vectors[i].len;
    }
    sent = g_socket_send_message (self->socket, NULL, out, n, NULL, 0, 0, NULL,
        &error);
    if (sent < 0) {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_error_free (error);
        return TRUE;
      }
      return socket_error_locked (self, error, "writing to");
    }
    rtmp_session_consume_output (self->session, sent);
    if ((gsize) sent < total)
      return TRUE;
  }
  return TRUE;
}

static gboolean
has_output_locked (GstRtmpConnection *self)
{
#if HAVE_TLS
  if (tls_has_output (self))
    return TRUE;
#endif
  return self->session != NULL
      && rtmp_session_get_output_size (self->session) > 0;
}

static void update_source_locked (GstRtmpConnection *self);

/* How long a closing connection waits for the peer to close too */
#define LINGER_MS 2000

static void
shut_down_writing_locked (GstRtmpConnection *self)
{
  GError *error = NULL;

#if HAVE_TLS
  if (self->tls && !self->is_tls_shut) {
    /* close_notify first, written like any output */
    self->is_tls_shut = TRUE;
    gst_rtmp_tls_shutdown (self->tls);
    if (!flush_tls_locked (self) || has_output_locked (self))
      return;
  }
#endif
  GST_DEBUG ("%s:%u: session closed and output written: shutting down",
      self->host ? self->host : "peer", self->port);
  self->is_write_shut = TRUE;
  self->linger_deadline_us = g_get_monotonic_time () + LINGER_MS * 1000;
  if (!g_socket_shutdown (self->socket, FALSE, TRUE, &error)) {
    /* the peer is gone already */
    g_clear_error (&error);
    fail_locked (self, NULL);
  }
}

static gboolean
flush_locked (GstRtmpConnection *self)
{
  gboolean ok;

  if (self->phase == GST_RTMP_CONNECTION_PHASE_CLOSED)
    return FALSE;
  if (self->socket == NULL || self->session == NULL)
    return TRUE;
#if HAVE_TLS
  if (self->tls)
    ok = flush_tls_locked (self);
  else
#endif
    ok = flush_plain_locked (self);

  /* a session that sent its last message shuts our side down once it is
   * written, and closes when the peer did (see is_write_shut) */
  if (ok && rtmp_session_is_closing (self->session) && !has_output_locked (self)
      && !self->is_write_shut)
    shut_down_writing_locked (self);
  return ok;
}

gboolean
gst_rtmp_connection_flush_locked (GstRtmpConnection *self)
{
  gboolean ok;

  ASSERT_OWNER (self);
  ok = flush_locked (self);
  if (ok)
    update_source_locked (self);
  return ok && self->phase != GST_RTMP_CONNECTION_PHASE_CLOSED;
}

/* --- reading --- */

static void
set_quick_ack_locked (GstRtmpConnection *self)
{
  gint one = 1;

  if (g_socket_get_family (self->socket) == G_SOCKET_FAMILY_UNIX)
    return;
  setsockopt (g_socket_get_fd (self->socket), IPPROTO_TCP, TCP_QUICKACK, &one,
      sizeof (one));
}

static gboolean
receive_plaintext_locked (GstRtmpConnection *self, const guint8 *data,
    gsize len, guint64 now_us)
{
  GError *error = NULL;

  if (!rtmp_session_receive (self->session, data, len, now_us, &error)) {
    fail_locked (self, error);
    return FALSE;
  }
  return TRUE;
}

static gboolean
receive_locked (GstRtmpConnection *self, const guint8 *data, gsize len,
    guint64 now_us)
{
#if HAVE_TLS
  if (self->tls) {
    GError *error = NULL;
    gboolean was_complete = gst_rtmp_tls_is_handshake_complete (self->tls);
    guint8 plain[16384];
    gssize n;

    if (!gst_rtmp_tls_receive (self->tls, data, len, &error)) {
      fail_locked (self, error);
      return FALSE;
    }
    if (!was_complete && gst_rtmp_tls_is_handshake_complete (self->tls))
      set_phase_locked (self, GST_RTMP_CONNECTION_PHASE_HANDSHAKE);
    while ((n = gst_rtmp_tls_read (self->tls, plain, sizeof (plain), &error))
        > 0) {
      if (!receive_plaintext_locked (self, plain, n, now_us))
        return FALSE;
    }
    if (n < 0) {
      fail_locked (self, error);
      return FALSE;
    }
    return TRUE;
  }
#endif
  return receive_plaintext_locked (self, data, len, now_us);
}

static void
read_locked (GstRtmpConnection *self, guint64 now_us)
{
  guint i;

  for (i = 0; i < MAX_READS_PER_DISPATCH && self->is_reading; i++) {
    GError *error = NULL;
    gssize n = g_socket_receive_with_blocking (self->socket,
        (gchar *) self->read_buffer, READ_SIZE, FALSE, NULL, &error);

    if (n < 0) {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_error_free (error);
        return;
      }
      socket_error_locked (self, error, "reading from");
      return;
    }
    if (n == 0) {
      self->is_eof = TRUE;
      if (!rtmp_session_receive_eof (self->session, &error)) {
        GError *wrapped = g_error_new (error->domain, error->code, "%s:%u: %s",
            self->host ? self->host : "peer", self->port, error->message);

        g_error_free (error);
        fail_locked (self, wrapped);
      } else {
        fail_locked (self, NULL);
      }
      return;
    }
    /* Linux leaves quick-ack mode by itself: ask for it again after every
     * read, so that the peer's answers (handshake, connect) and its media
     * are acknowledged at once instead of after the 40 ms delayed-ACK
     * timer, which added tens of ms to connecting to nginx-rtmp */
    set_quick_ack_locked (self);
    if (!receive_locked (self, self->read_buffer, n, now_us))
      return;
    if (n < READ_SIZE)
      return; /* drained */
  }
}

/* --- the I/O source --- */

typedef struct
{
  GSource source;
  GstRtmpConnection *connection; /* strong */
} ConnectionSource;

static gboolean dispatch (GSource *source, GSourceFunc callback,
    gpointer user_data);

static void
source_finalize (GSource *source)
{
  gst_rtmp_connection_unref (((ConnectionSource *) source)->connection);
}

static GSourceFuncs source_funcs = {
  .dispatch = dispatch,
  .finalize = source_finalize,
};

/* How long after read_now () returned the I/O thread leaves the socket to
 * it: the streaming thread comes back within a frame's time, and the I/O
 * thread checks only this often while it does */
#define PUMP_LEASE_US (250 * G_TIME_SPAN_MILLISECOND)

static gboolean
is_pumped_locked (GstRtmpConnection *self, guint64 now_us)
{
  return self->is_pump_reading || now_us < self->pump_lease_us;
}

static void
update_source_locked (GstRtmpConnection *self)
{
  GIOCondition events = 0;
  guint64 deadline = G_MAXUINT64;
  gint64 ready_time, current;

  if (self->source == NULL)
    return;

  if (self->phase == GST_RTMP_CONNECTION_PHASE_CLOSED) {
    if (self->fd_tag) {
      g_source_remove_unix_fd (self->source, self->fd_tag);
      self->fd_tag = NULL;
    }
    /* come back once to deliver the close */
    g_source_set_ready_time (self->source, self->closed_delivered ? -1 : 0);
    return;
  }

  if (self->socket != NULL) {
    if (self->is_reading && !self->is_eof) {
      guint64 now_us = g_get_monotonic_time ();

      if (!is_pumped_locked (self, now_us))
        events |= G_IO_IN;
      else /* come back to read when the lease ends */
        deadline = MAX (self->pump_lease_us, now_us + PUMP_LEASE_US / 2);
    }
    if (has_output_locked (self))
      events |= G_IO_OUT;
    if (self->fd_tag == NULL)
      self->fd_tag = g_source_add_unix_fd (self->source,
          g_socket_get_fd (self->socket), events);
    else if (events != self->fd_events)
      g_source_modify_unix_fd (self->source, self->fd_tag, events);
    self->fd_events = events;
  }

  if (self->phase < GST_RTMP_CONNECTION_PHASE_HANDSHAKE)
    deadline = MIN (deadline, self->connect_deadline_us);
  if (self->is_write_shut)
    deadline = MIN (deadline, self->linger_deadline_us);
  if (self->session != NULL)
    deadline = MIN (deadline, rtmp_session_next_deadline (self->session));
  if (self->pending_events->len > 0 || self->pending_phases->len > 0)
    deadline = 0;
  ready_time
      = deadline == G_MAXUINT64 ? -1 : (gint64) MIN (deadline, G_MAXINT64);
  /* a later ready time set from another thread (read_now () moves the idle
   * deadline on every read) would wake the I/O thread only for it to sleep
   * again: it wakes at the earlier time instead and sets the later one */
  current = g_source_get_ready_time (self->source);
  if (current != -1 && (ready_time == -1 || ready_time > current)
      && !g_main_context_is_owner (g_source_get_context (self->source)))
    return;
  g_source_set_ready_time (self->source, ready_time);
}

void
gst_rtmp_connection_update_locked (GstRtmpConnection *self)
{
  ASSERT_OWNER (self);
  collect_events_locked (self);
  update_source_locked (self);
}

/* After reading: writes what the session produced, wakes waiters, drops
 * the lock and delivers the events */
static void
flush_and_deliver_unlock (GstRtmpConnection *self)
{
  if (self->phase != GST_RTMP_CONNECTION_PHASE_CLOSED)
    flush_locked (self);
  collect_events_locked (self);
  wake_waiters_locked (self);
  gst_rtmp_connection_unlock (self);
  deliver (self);
}

static gboolean
dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  GstRtmpConnection *self = ((ConnectionSource *) source)->connection;
  GIOCondition revents = 0;
  guint64 now_us;

  gst_rtmp_connection_lock (self);
  if (self->is_closed) {
    gst_rtmp_connection_unlock (self);
    return G_SOURCE_REMOVE;
  }

  now_us = g_get_monotonic_time ();
  if (self->fd_tag)
    revents = g_source_query_unix_fd (source, self->fd_tag);

  if (self->phase != GST_RTMP_CONNECTION_PHASE_CLOSED && self->is_write_shut
      && now_us >= self->linger_deadline_us) {
    GST_DEBUG ("%s:%u: the peer did not close in %u ms: closing",
        self->host ? self->host : "peer", self->port, LINGER_MS);
    fail_locked (self, NULL);
  }

  if (self->phase != GST_RTMP_CONNECTION_PHASE_CLOSED) {
    if (self->phase < GST_RTMP_CONNECTION_PHASE_HANDSHAKE
        && now_us >= self->connect_deadline_us) {
      fail_locked (self,
          g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
              "timed out after %u ms %s %s:%u", self->connect_timeout_ms,
              self->phase == GST_RTMP_CONNECTION_PHASE_TLS
                  ? "in the TLS handshake with"
                  : "connecting to",
              self->host, self->port));
    }
  }

  /* one reader at a time: what both read would be delivered out of order */
  if (self->phase != GST_RTMP_CONNECTION_PHASE_CLOSED && self->socket
      && !is_pumped_locked (self, now_us)
      && (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR))) {
    self->is_io_reading = TRUE;
    read_locked (self, now_us);
  }

  if (self->phase != GST_RTMP_CONNECTION_PHASE_CLOSED && self->session
      && now_us >= rtmp_session_next_deadline (self->session)) {
    GError *error = NULL;

    if (!rtmp_session_handle_deadline (self->session, now_us, &error)) {
      GError *wrapped = g_error_new (error->domain, error->code, "%s:%u: %s",
          self->host ? self->host : "peer", self->port, error->message);

      g_error_free (error);
      fail_locked (self, wrapped);
    }
  }

  flush_and_deliver_unlock (self);

  /* a callback may have made the session produce more (a server accepting
   * connect handles what the client sent meanwhile): come back for it */
  gst_rtmp_connection_lock (self);
  self->is_io_reading = FALSE;
  collect_events_locked (self);
  update_source_locked (self);
  gst_rtmp_connection_unlock (self);
  return G_SOURCE_CONTINUE;
}

static void
attach_source_locked (GstRtmpConnection *self)
{
  ConnectionSource *source = (ConnectionSource *) g_source_new (&source_funcs,
      sizeof (ConnectionSource));

  source->connection = gst_rtmp_connection_ref (self);
  g_source_set_name ((GSource *) source, "rtmp-connection");
  /* GLib blocks a dispatched source by taking its fds out of the poll set
   * and putting them back afterwards, and each change wakes the loop: two
   * wakeups and a spurious iteration per read. Our dispatch never iterates
   * the context, so it needs no blocking. */
  g_source_set_can_recurse ((GSource *) source, TRUE);
  self->source = (GSource *) source;
  g_source_attach (self->source, gst_rtmp_io_loop_get_context (self->loop));
  update_source_locked (self);
}

/* --- starting --- */

static void
fill_random (guint8 *data, gsize len)
{
  gsize i;

  for (i = 0; i < len; i++)
    data[i] = g_random_int_range (0, 256);
}

static gboolean
start_session_locked (GstRtmpConnection *self, GError **error)
{
  guint8 random[RTMP_SESSION_RANDOM_SIZE];
  guint64 now_us = g_get_monotonic_time ();

  fill_random (random, sizeof (random));
  self->session_config.random = random;
  self->session_config.now_us = now_us;
  self->session_config.epoch_ms = 0;
  self->session = rtmp_session_new (&self->session_config);
  self->session_config.random = NULL;
  if (self->session == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "invalid session configuration");
    return FALSE;
  }

#if HAVE_TLS
  if (self->use_tls) {
    GstRtmpTlsConfig tls = {
      .is_server = self->session_config.role == RTMP_SESSION_ROLE_SERVER,
      .host = self->tls_host,
      .ca_file = self->tls_ca_file,
      .certificate_file = self->tls_certificate_file,
      .key_file = self->tls_key_file,
      .validation_flags = self->tls_validation_flags,
    };

    self->tls = gst_rtmp_tls_new (&tls, error);
    if (self->tls == NULL)
      return FALSE;
    set_phase_locked (self, GST_RTMP_CONNECTION_PHASE_TLS);
    return TRUE;
  }
#else
  if (self->use_tls) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "RTMPS needs TLS support, which this build does not have");
    return FALSE;
  }
#endif
  set_phase_locked (self, GST_RTMP_CONNECTION_PHASE_HANDSHAKE);
  return TRUE;
}

static void
setup_socket_locked (GstRtmpConnection *self)
{
  GError *error = NULL;

  g_socket_set_blocking (self->socket, FALSE);
  /* media goes out as soon as it is queued: no Nagle delay */
  if (g_socket_get_family (self->socket) != G_SOCKET_FAMILY_UNIX
      && !g_socket_set_option (self->socket, IPPROTO_TCP, TCP_NODELAY, 1,
          &error)) {
    GST_WARNING ("TCP_NODELAY: %s", error->message);
    g_clear_error (&error);
  }
}

static void
connect_done (GObject *source_object, GAsyncResult *result, gpointer user_data)
{
  GstRtmpConnection *self = user_data;
  GError *error = NULL;
  GSocketConnection *connection = g_socket_client_connect_to_host_finish (
      G_SOCKET_CLIENT (source_object), result, &error);

  gst_rtmp_connection_lock (self);
  if (self->is_closed || self->phase == GST_RTMP_CONNECTION_PHASE_CLOSED) {
    g_clear_object (&connection);
    g_clear_error (&error);
  } else if (connection == NULL) {
    GError *wrapped = g_error_new (error->domain, error->code,
        "could not connect to %s:%u: %s", self->host, self->port,
        error->message);

    g_error_free (error);
    fail_locked (self, wrapped);
  } else {
    self->socket_connection = connection;
    self->socket = g_object_ref (g_socket_connection_get_socket (connection));
    setup_socket_locked (self);
    if (!start_session_locked (self, &error))
      fail_locked (self, error);
    else
      flush_locked (self);
    collect_events_locked (self);
  }
  update_source_locked (self);
  gst_rtmp_connection_unlock (self);
  gst_rtmp_connection_unref (self);
}

static gboolean
start_connect (gpointer data)
{
  GstRtmpConnection *self = data;

  gst_rtmp_connection_lock (self);
  if (!self->is_closed) {
    self->socket_client = g_socket_client_new ();
    g_socket_client_set_enable_proxy (self->socket_client, FALSE);
    /* the source is attached from here so its first dispatch sees the
     * connect deadline */
    attach_source_locked (self);
    g_main_context_push_thread_default (
        gst_rtmp_io_loop_get_context (self->loop));
    g_socket_client_connect_to_host_async (self->socket_client, self->host,
        self->port, self->cancellable, connect_done,
        gst_rtmp_connection_ref (self));
    g_main_context_pop_thread_default (
        gst_rtmp_io_loop_get_context (self->loop));
  }
  gst_rtmp_connection_unlock (self);
  return G_SOURCE_REMOVE;
}

GstRtmpConnection *
gst_rtmp_connection_new_client (const GstRtmpConnectionConfig *config,
    const GstRtmpConnectionCallbacks *callbacks, gpointer user_data,
    GDestroyNotify notify)
{
  GstRtmpConnection *self;

  g_return_val_if_fail (config->host != NULL, NULL);
  g_return_val_if_fail (config->session.role == RTMP_SESSION_ROLE_CLIENT, NULL);

  self = connection_new (config, callbacks, user_data, notify);
  self->cancellable = g_cancellable_new ();
  self->phase = GST_RTMP_CONNECTION_PHASE_CONNECTING;
  self->connect_deadline_us = G_MAXUINT64;
  if (config->connect_timeout_ms > 0)
    self->connect_deadline_us
        = g_get_monotonic_time () + config->connect_timeout_ms * (guint64) 1000;
  gst_rtmp_io_loop_invoke (self->loop, start_connect,
      gst_rtmp_connection_ref (self),
      (GDestroyNotify) gst_rtmp_connection_unref);
  return self;
}

static gboolean
start_server (gpointer data)
{
  GstRtmpConnection *self = data;

  gst_rtmp_connection_lock (self);
  if (!self->is_closed) {
    attach_source_locked (self);
    flush_locked (self);
    update_source_locked (self);
  }
  gst_rtmp_connection_unlock (self);
  return G_SOURCE_REMOVE;
}

GstRtmpConnection *
gst_rtmp_connection_new_server (GSocket *socket,
    const GstRtmpConnectionConfig *config,
    const GstRtmpConnectionCallbacks *callbacks, gpointer user_data,
    GDestroyNotify notify, GError **error)
{
  GstRtmpConnection *self;
  GInetSocketAddress *address;

  g_return_val_if_fail (config->session.role == RTMP_SESSION_ROLE_SERVER, NULL);

  self = connection_new (config, callbacks, user_data, notify);
  self->socket = g_object_ref (socket);
  address = G_INET_SOCKET_ADDRESS (g_socket_get_remote_address (socket, NULL));
  if (address) {
    g_free (self->host);
    self->host = g_inet_address_to_string (
        g_inet_socket_address_get_address (address));
    self->port = g_inet_socket_address_get_port (address);
    g_object_unref (address);
  }
  self->connect_deadline_us = G_MAXUINT64;

  gst_rtmp_connection_lock (self);
  setup_socket_locked (self);
  if (!start_session_locked (self, error)) {
    self->is_closed = TRUE;
    gst_rtmp_connection_unlock (self);
    gst_rtmp_connection_unref (self);
    return NULL;
  }
  gst_rtmp_connection_unlock (self);

  gst_rtmp_io_loop_invoke (self->loop, start_server,
      gst_rtmp_connection_ref (self),
      (GDestroyNotify) gst_rtmp_connection_unref);
  return self;
}

/* --- closing --- */

void
gst_rtmp_connection_close (GstRtmpConnection *self)
{
  GSource *source;

  g_rec_mutex_lock (&self->callback_lock);
  gst_rtmp_connection_lock (self);
  if (self->is_closed) {
    gst_rtmp_connection_unlock (self);
    g_rec_mutex_unlock (&self->callback_lock);
    return;
  }
  self->is_closed = TRUE;

  if (self->phase != GST_RTMP_CONNECTION_PHASE_CLOSED && self->socket) {
#if HAVE_TLS
    if (self->tls)
      gst_rtmp_tls_shutdown (self->tls);
#endif
    /* what the socket takes now; a peer that stopped reading cannot make
     * us wait */
    flush_locked (self);
  }
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  if (self->socket)
    g_socket_close (self->socket, NULL);
  if (self->phase != GST_RTMP_CONNECTION_PHASE_CLOSED)
    self->phase = GST_RTMP_CONNECTION_PHASE_CLOSED;
  source = g_steal_pointer (&self->source);
  self->fd_tag = NULL;
  wake_waiters_locked (self);
  gst_rtmp_connection_unlock (self);
  g_rec_mutex_unlock (&self->callback_lock);

  if (source) {
    g_source_destroy (source);
    g_source_unref (source);
  }
}

/* --- waiting --- */

gboolean
gst_rtmp_connection_wait_locked (GstRtmpConnection *self, gint64 end_time)
{
  gboolean signalled;

  ASSERT_OWNER (self);
  self->owner = NULL;
  self->n_waiters++;
  signalled = g_cond_wait_until (&self->cond, &self->lock, end_time);
  self->n_waiters--;
  g_assert (self->owner == NULL);
  self->owner = g_thread_self ();
  return signalled;
}

void
gst_rtmp_connection_wake (GstRtmpConnection *self)
{
  guint64 one = 1;

  g_mutex_lock (&self->lock);
  self->wakeups++;
  wake_waiters_locked (self);
  g_mutex_unlock (&self->lock);
  if (self->wake_fd >= 0 && write (self->wake_fd, &one, sizeof (one)) < 0) {
    /* the counter is full: a wake-up is pending anyway */
  }
}

static void
drain_wake_fd (GstRtmpConnection *self)
{
  guint64 count;

  if (read (self->wake_fd, &count, sizeof (count)) < 0) {
    /* nothing pending */
  }
}

GstRtmpConnectionReadResult
gst_rtmp_connection_read_now (GstRtmpConnection *self, gint64 end_time)
{
  GPollFD fds[2];
  GstRtmpConnectionReadResult result;

  gst_rtmp_connection_lock (self);
  if (self->is_closed || self->phase != GST_RTMP_CONNECTION_PHASE_OPEN
      || self->socket == NULL || !self->is_reading || self->is_eof
      || self->wake_fd < 0 || self->is_io_reading) {
    gst_rtmp_connection_unlock (self);
    return GST_RTMP_CONNECTION_READ_UNAVAILABLE;
  }
  self->is_pump_reading = TRUE;
  /* changing the I/O thread's poll set wakes it: only when the lease had
   * ended */
  if ((guint64) g_get_monotonic_time () >= self->pump_lease_us)
    update_source_locked (self);
  fds[0].fd = g_socket_get_fd (self->socket);
  fds[0].events = G_IO_IN | G_IO_HUP | G_IO_ERR;
  fds[1].fd = self->wake_fd;
  fds[1].events = G_IO_IN;
  gst_rtmp_connection_unlock (self);

  for (;;) {
    gint64 now = g_get_monotonic_time ();

    if (now >= end_time) {
      result = GST_RTMP_CONNECTION_READ_TIMEOUT;
      break;
    }
    fds[0].revents = fds[1].revents = 0;
    if (g_poll (fds, 2, (gint) MIN ((end_time - now + 999) / 1000, G_MAXINT))
        <= 0)
      continue;
    if (fds[1].revents) {
      drain_wake_fd (self);
      result = GST_RTMP_CONNECTION_READ_WOKEN;
      break;
    }

    gst_rtmp_connection_lock (self);
    if (!self->is_closed && self->phase != GST_RTMP_CONNECTION_PHASE_CLOSED) {
      read_locked (self, g_get_monotonic_time ());
      flush_and_deliver_unlock (self);
    } else {
      gst_rtmp_connection_unlock (self);
    }
    result = GST_RTMP_CONNECTION_READ_DELIVERED;
    break;
  }

  gst_rtmp_connection_lock (self);
  self->is_pump_reading = FALSE;
  self->pump_lease_us = g_get_monotonic_time () + PUMP_LEASE_US;
  /* output the socket did not take goes on in the I/O thread; after
   * deliver () so that no pending event wakes it for nothing */
  collect_events_locked (self);
  update_source_locked (self);
  gst_rtmp_connection_unlock (self);
  return result;
}

void
gst_rtmp_connection_release_reading (GstRtmpConnection *self)
{
  gst_rtmp_connection_lock (self);
  if (self->pump_lease_us != 0) {
    self->pump_lease_us = 0;
    update_source_locked (self);
  }
  gst_rtmp_connection_unlock (self);
}

/* --- accessors --- */

RtmpSession *
gst_rtmp_connection_get_session_locked (GstRtmpConnection *self)
{
  ASSERT_OWNER (self);
  return self->session;
}

GstRtmpConnectionPhase
gst_rtmp_connection_get_phase_locked (GstRtmpConnection *self)
{
  ASSERT_OWNER (self);
  return self->phase;
}

const GError *
gst_rtmp_connection_get_error_locked (GstRtmpConnection *self)
{
  ASSERT_OWNER (self);
  return self->error;
}

void
gst_rtmp_connection_set_reading_locked (GstRtmpConnection *self,
    gboolean reading)
{
  ASSERT_OWNER (self);
  if (self->is_reading == reading)
    return;
  self->is_reading = reading;
  update_source_locked (self);
}

guint64
gst_rtmp_connection_get_tcp_rtt_us_locked (GstRtmpConnection *self)
{
  struct tcp_info info;
  socklen_t len = sizeof (info);

  ASSERT_OWNER (self);
  if (self->socket == NULL || self->phase == GST_RTMP_CONNECTION_PHASE_CLOSED)
    return 0;
  memset (&info, 0, sizeof (info));
  if (getsockopt (g_socket_get_fd (self->socket), IPPROTO_TCP, TCP_INFO, &info,
          &len)
      != 0)
    return 0;
  return info.tcpi_rtt;
}

void
gst_rtmp_connection_get_stats (GstRtmpConnection *self, RtmpSessionStats *stats,
    guint64 *tcp_rtt_us)
{
  memset (stats, 0, sizeof (*stats));
  gst_rtmp_connection_lock (self);
  if (self->session)
    rtmp_session_get_stats (self->session, stats);
  if (tcp_rtt_us)
    *tcp_rtt_us = gst_rtmp_connection_get_tcp_rtt_us_locked (self);
  gst_rtmp_connection_unlock (self);
}

gchar *
gst_rtmp_connection_dup_peer_address (GstRtmpConnection *self)
{
  gchar *text;

  g_mutex_lock (&self->lock);
  text = self->host
      ? g_strdup_printf (strchr (self->host, ':') ? "[%s]:%u" : "%s:%u",
          self->host, self->port)
      : NULL;
  g_mutex_unlock (&self->lock);
  return text;
}
