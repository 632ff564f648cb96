/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One RTMP connection's I/O: the socket (and TLS), the session, its timers,
 * on one of the shared I/O threads. Moves bytes and timers; never
 * interprets a message. */

#ifndef __GST_RTMP_CONNECTION_H__
#define __GST_RTMP_CONNECTION_H__

#include <gio/gio.h>
#include "rtmpsession.h"
#include "gstrtmpioloop.h"
#include "config.h"
#if HAVE_TLS
#include "gstrtmptls.h"
#endif

G_BEGIN_DECLS

typedef enum
{
  GST_RTMP_CONNECTION_PHASE_CONNECTING, /* resolving, TCP connect */
  GST_RTMP_CONNECTION_PHASE_TLS,        /* TLS handshake */
  GST_RTMP_CONNECTION_PHASE_HANDSHAKE,  /* RTMP handshake */
  GST_RTMP_CONNECTION_PHASE_OPEN,       /* the session runs the rest */
  GST_RTMP_CONNECTION_PHASE_CLOSED,
} GstRtmpConnectionPhase;

const gchar *gst_rtmp_connection_phase_get_name (GstRtmpConnectionPhase phase);

typedef struct _GstRtmpConnection GstRtmpConnection;

/* Called on the I/O thread without the connection lock held (they may
 * lock it, and take their element's lock first). Never called again once
 * gst_rtmp_connection_close () has returned. */
typedef struct
{
  /* a session event; the callee may steal event->message and
   * event->command (set them to NULL) */
  void (*event) (GstRtmpConnection *connection, RtmpSessionEvent *event,
      gpointer user_data);
  /* the phase changed (not to CLOSED: see closed) */
  void (*phase) (GstRtmpConnection *connection, GstRtmpConnectionPhase phase,
      gpointer user_data);
  /* the connection ended, once: @error is NULL for a clean close (the
   * session was closing and its output was written) */
  void (*closed) (GstRtmpConnection *connection, const GError *error,
      gpointer user_data);
} GstRtmpConnectionCallbacks;

typedef struct
{
  /* client: where to connect */
  const gchar *host;
  guint16 port;
  /* bounds resolving + TCP connect + TLS; 0 = none */
  guint connect_timeout_ms;
  gboolean use_tls;
#if HAVE_TLS
  GstRtmpTlsConfig tls;
#endif
  /* the session to run once connected; random and now_us are filled in */
  RtmpSessionConfig session;
} GstRtmpConnectionConfig;

/* Starts connecting at once, on an I/O thread. */
GstRtmpConnection *gst_rtmp_connection_new_client (
    const GstRtmpConnectionConfig *config,
    const GstRtmpConnectionCallbacks *callbacks, gpointer user_data,
    GDestroyNotify notify);

/* Runs a server session on an accepted socket (transfer none). */
GstRtmpConnection *gst_rtmp_connection_new_server (GSocket *socket,
    const GstRtmpConnectionConfig *config,
    const GstRtmpConnectionCallbacks *callbacks, gpointer user_data,
    GDestroyNotify notify, GError **error);

GstRtmpConnection *gst_rtmp_connection_ref (GstRtmpConnection *connection);
void gst_rtmp_connection_unref (GstRtmpConnection *connection);

/* Stops at once: no callback runs after it returns. Sends a TLS
 * close_notify and what can be written without waiting. Call it without
 * holding the element lock a callback takes. */
void gst_rtmp_connection_close (GstRtmpConnection *connection);

/* The lock protects the session and the socket: whoever holds it owns
 * them. */
void gst_rtmp_connection_lock (GstRtmpConnection *connection);
void gst_rtmp_connection_unlock (GstRtmpConnection *connection);

/* (transfer none, nullable): NULL until the TCP (and TLS) connection is up */
RtmpSession *gst_rtmp_connection_get_session_locked (
    GstRtmpConnection *connection);
GstRtmpConnectionPhase gst_rtmp_connection_get_phase_locked (
    GstRtmpConnection *connection);
/* The error that closed the connection, if any (borrowed) */
const GError *gst_rtmp_connection_get_error_locked (
    GstRtmpConnection *connection);

/* Writes the session's output now, from the calling thread, as far as the
 * socket takes it without blocking; the I/O thread writes the rest when the
 * socket is writable. FALSE when the connection has failed. */
gboolean gst_rtmp_connection_flush_locked (GstRtmpConnection *connection);

/* Waits until the I/O thread made progress (bytes written, events, a state
 * change), gst_rtmp_connection_wake () was called or @end_time
 * (g_get_monotonic_time) passed: FALSE on timeout. Callers loop over their
 * own condition. */
gboolean gst_rtmp_connection_wait_locked (GstRtmpConnection *connection,
    gint64 end_time);
/* Wakes every waiter (for unlock/stop) */
void gst_rtmp_connection_wake (GstRtmpConnection *connection);

typedef enum
{
  GST_RTMP_CONNECTION_READ_DELIVERED, /* bytes were read, events delivered */
  GST_RTMP_CONNECTION_READ_TIMEOUT,   /* @end_time passed */
  GST_RTMP_CONNECTION_READ_WOKEN,     /* gst_rtmp_connection_wake () */
  /* another thread reads, reading is paused, or the connection is not
   * open: wait for the I/O thread as usual */
  GST_RTMP_CONNECTION_READ_UNAVAILABLE,
} GstRtmpConnectionReadResult;

/* The calling thread (a source's streaming thread waiting for media) reads
 * the socket itself until something arrives, @end_time (monotonic) or a
 * wake-up, instead of waiting for the I/O thread to read and hand over:
 * one thread wake-up per arrival instead of two. While it runs and for a
 * short lease after it returned (or until
 * gst_rtmp_connection_release_reading ()) the I/O thread does not read; it
 * keeps writing and handling timers, and reads again once the caller stops
 * calling. One calling thread only; callbacks run in it, so call it
 * without any lock a callback takes. */
GstRtmpConnectionReadResult gst_rtmp_connection_read_now (
    GstRtmpConnection *connection, gint64 end_time);

/* Gives reading back to the I/O thread at once, without waiting for the
 * lease to end (the caller of read_now () stops waiting for media:
 * flushing, EOS, an error) */
void gst_rtmp_connection_release_reading (GstRtmpConnection *connection);

/* Stops (or resumes) reading from the socket, for back-pressure */
void gst_rtmp_connection_set_reading_locked (GstRtmpConnection *connection,
    gboolean reading);

/* Lets the I/O thread re-evaluate the session's deadline after the caller
 * changed the session (a new phase started) */
void gst_rtmp_connection_update_locked (GstRtmpConnection *connection);

/* TCP round trip time from TCP_INFO, 0 when unknown */
guint64 gst_rtmp_connection_get_tcp_rtt_us_locked (
    GstRtmpConnection *connection);
/* The session's counters (zero before there is a session) and, when
 * @tcp_rtt_us is not NULL, the TCP round trip time; takes the lock */
void gst_rtmp_connection_get_stats (GstRtmpConnection *connection,
    RtmpSessionStats *stats, guint64 *tcp_rtt_us);
/* The peer's address "host:port" (transfer full, nullable) */
gchar *gst_rtmp_connection_dup_peer_address (GstRtmpConnection *connection);

/* The connect timeout's error message names the address; the socket
 * layer's errors are G_IO_ERROR, TLS's G_TLS_ERROR, the session's
 * RTMP_ERROR. */

G_END_DECLS

#endif /* __GST_RTMP_CONNECTION_H__ */
