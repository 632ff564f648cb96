/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Server mode's process-wide listeners: one listening socket per address and
 * port shared by every server-mode element of the process, each accepted
 * connection run as a server session on the shared I/O threads and routed
 * by application, stream key and publish-or-play to the element that
 * serves it. */

#ifndef __GST_RTMP_SERVER_H__
#define __GST_RTMP_SERVER_H__

#include <gst/gst.h>
#include "gstrtmpconnection.h"

G_BEGIN_DECLS

/* How an element uses this (rtmpsink serves players, rtmpsrc takes one
 * publisher):
 *
 *   start ():  route = gst_rtmp_server_route_new (&config, &callbacks, self,
 *                  NULL, &error);
 *   request:   (I/O thread) decide, optionally gst_rtmp_server_client_accept
 *              () to send media at once, return TRUE; or FALSE and a reason
 *   media:     (I/O thread, publish routes) the publisher's audio, video and
 *              data messages, in order
 *   gone:      (I/O thread) an accepted client left: closed its stream,
 *              disconnected, failed, or was disconnected
 *   stop ():   gst_rtmp_server_route_free (route): its clients are closed; no
 *              callback runs after it returns
 *
 * The first route of an address and port opens the listening socket
 * (SO_REUSEADDR; "0.0.0.0", "::", "127.0.0.1", "::1", any IP literal or a
 * name that resolves); the last one to go closes it. Every route of one
 * listener must agree on TLS (the same certificate and key files).
 *
 * What the listener does by itself, before any callback:
 *  - caps the connections that are not (yet) playing or publishing at
 *    GST_RTMP_SERVER_MAX_PENDING: one more is closed at once;
 *  - runs every connection as an RtmpSession in the server role on the shared
 *    I/O threads, with the phase timeout of its routes (handshake, connect,
 *    publish-or-play), an idle timeout, pings, and tight RtmpLimits (see
 *    gstrtmpserverprivate.h: GST_RTMP_SERVER_MAX_MESSAGE_BYTES...);
 *  - answers connect only when some route has that application (the
 *    query string and a trailing '/' are ignored), else
 *    NetConnection.Connect.Rejected and a close;
 *  - authenticates connect (Adobe challenge/response, as FFmpeg and OBS
 *    answer it) when a route of that application has a username: the
 *    client must authenticate as one of those users, and a route with a
 *    username takes only clients authenticated as that user;
 *  - routes publish and play by stream key (the name without its query
 *    string): no route → NetStream.Publish.BadName /
 *    NetStream.Play.StreamNotFound and a close; a publish route already
 *    having a live publisher refuses a second one (BadName);
 *  - closes connections that queue more than they read (command floods
 *    whose answers are never read; a route's max_backlog_bytes);
 *  - serves one stream per connection: a second play or publish on it is
 *    refused, and once its stream ended (closeStream, deleteStream,
 *    FCUnpublish: "gone" follows) the connection is closed unless the
 *    client closes it within 2 s;
 *  - posts the element messages "rtmp-client-connected",
 *    "rtmp-client-refused" and "rtmp-client-disconnected" on the route's
 *    element, with fields address, app, stream, kind ("play"/"publish"),
 *    reason (refused/disconnected) and code (refused: the status code sent).
 *    Refusals that concern no route in particular (the pending cap, an
 *    unknown application) go to every element of the listener; those of
 *    the pending cap come at most once a second, with a "count" of the
 *    connections closed since the last one. */

/* Connections not playing or publishing, per listener */
#define GST_RTMP_SERVER_MAX_PENDING 256

typedef struct _GstRtmpServerRoute GstRtmpServerRoute;
typedef struct _GstRtmpServerClient GstRtmpServerClient;

typedef enum
{
  GST_RTMP_SERVER_ROUTE_PLAY,    /* serves players of a stream (rtmpsink) */
  GST_RTMP_SERVER_ROUTE_PUBLISH, /* takes the publisher of a stream
                                  * (rtmpsrc) */
} GstRtmpServerRouteKind;

typedef struct
{
  /* posts the client messages; must outlive the route (borrowed) */
  GstElement *element;
  /* where to listen: an IP literal (IPv6 without brackets) or a name */
  const gchar *host;
  guint16 port;
  gboolean use_tls;
  const gchar *tls_certificate_file; /* PEM, with use_tls */
  const gchar *tls_key_file;         /* nullable: in the certificate file */
  /* what the route serves: application (without query), stream key (a
   * query string is ignored) and publish-or-play */
  const gchar *application;
  const gchar *stream;
  GstRtmpServerRouteKind kind;
  /* nullable: Adobe authentication of the clients of this route */
  const gchar *username;
  const gchar *password;
  /* each phase of a connection (handshake, connect, publish or play) in
   * seconds; 0 = the listener's default (5). The listener uses the
   * smallest of its routes'. */
  guint timeout_s;
  /* no byte from the client for this long: dropped (0 = 30 s; the server
   * pings every few seconds so live players answer) */
  guint idle_timeout_s;
  guint32 chunk_size; /* outgoing; 0 = 4096 */
  /* a client of this route with more bytes queued and unacknowledged than
   * this is disconnected by the listener's sweep (0 = no bound); the
   * element's own, softer policy acts first */
  gsize max_backlog_bytes;
} GstRtmpServerRouteConfig;

typedef struct
{
  /* A client asks to play or publish the route's stream (the listener
   * already checked application, key, credentials and, for publish, that
   * no publisher is live). Return TRUE to take it: the listener sends the
   * acceptance (Stream Begin, Play.Reset/Play.Start/|RtmpSampleAccess or
   * Publish.Start) when @request returns, unless @request called
   * gst_rtmp_server_client_accept () itself to send media right after it.
   * Return FALSE and set @refusal (transfer full, a description) to refuse:
   * the listener answers with NetStream.Play.Failed /
   * NetStream.Publish.BadName and closes. */
  gboolean (*request) (GstRtmpServerRoute *route, GstRtmpServerClient *client,
      gchar **refusal, gpointer user_data);
  /* Publish routes: an audio (8), video (9) or data (18) message of the
   * accepted publisher (transfer none; take the payload with g_bytes_ref).
   * Data messages arrive as sent, "@setDataFrame" included. */
  void (*media) (GstRtmpServerRoute *route, GstRtmpServerClient *client,
      const RtmpMessage *message, gpointer user_data);
  /* Play routes: the player paused (TRUE) or resumed (FALSE). */
  void (*pause) (GstRtmpServerRoute *route, GstRtmpServerClient *client,
      gboolean paused, gpointer user_data);
  /* An accepted client is gone (@reason says why). A publish route takes
   * a new publisher from now on. */
  void (*gone) (GstRtmpServerRoute *route, GstRtmpServerClient *client,
      const gchar *reason, gpointer user_data);
} GstRtmpServerRouteCallbacks;

/* Registers a route on the listener of config->host:port, opening it when
 * it is the first. Callbacks run on the I/O threads, under a lock of the
 * route that gst_rtmp_server_route_free () takes: they may take the
 * element's locks, and the element must not hold those while freeing the
 * route. NULL with an error (G_IO_ERROR: the address cannot be bound or
 * resolved, another element already serves the same route, the TLS
 * settings differ from the listener's). */
GstRtmpServerRoute *gst_rtmp_server_route_new (
    const GstRtmpServerRouteConfig *config,
    const GstRtmpServerRouteCallbacks *callbacks, gpointer user_data,
    GDestroyNotify notify, GError **error);
/* Unregisters the route, closes its clients (posting
 * "rtmp-client-disconnected"), closes the listener when it was the last
 * route, and frees it. No callback runs after it returns. NULL is
 * ignored. */
void gst_rtmp_server_route_free (GstRtmpServerRoute *route);

/* The port the listener is bound to (the one asked for, or the one the
 * system picked for port 0) */
guint16 gst_rtmp_server_route_get_port (GstRtmpServerRoute *route);

/* --- clients --- */

GstRtmpServerClient *gst_rtmp_server_client_ref (GstRtmpServerClient *client);
void gst_rtmp_server_client_unref (GstRtmpServerClient *client);

/* Only from within the request callback: sends the acceptance now (see
 * request). Idempotent. */
void gst_rtmp_server_client_accept (GstRtmpServerClient *client);

/* "host:port" of the peer ("[v6]:port") */
const gchar *gst_rtmp_server_client_get_address (GstRtmpServerClient *client);
/* The application as requested, without query; NULL before connect */
const gchar *gst_rtmp_server_client_get_app (GstRtmpServerClient *client);
/* The stream name as requested, query included; NULL before play or
 * publish */
const gchar *gst_rtmp_server_client_get_stream (GstRtmpServerClient *client);
/* The user it authenticated as, NULL when none */
const gchar *gst_rtmp_server_client_get_user (GstRtmpServerClient *client);
/* The stream id it plays or publishes on */
guint32 gst_rtmp_server_client_get_stream_id (GstRtmpServerClient *client);

typedef enum
{
  GST_RTMP_SERVER_SEND_OK,
  GST_RTMP_SERVER_SEND_CLOSED, /* the connection is gone */
} GstRtmpServerSendResult;

/* Queues a media message on the client's stream (no payload copy: the
 * same @payload may go to every client) and writes what the socket takes
 * now, from the calling thread, without blocking. Safe from any thread and
 * under any element lock (it takes only the connection's lock, briefly). */
GstRtmpServerSendResult gst_rtmp_server_client_send_media (
    GstRtmpServerClient *client, guint8 type, guint32 timestamp,
    GBytes *payload);
/* Sends onStatus @code on the client's stream, and Stream EOF before it
 * when @stream_eof (the end of a stream: NetStream.Play.Stop...) */
GstRtmpServerSendResult gst_rtmp_server_client_send_status (
    GstRtmpServerClient *client, const gchar *level, const gchar *code,
    const gchar *description, gboolean stream_eof);

/* Bytes queued for the client that its TCP has not acknowledged yet: the
 * session's queue, TLS's and the kernel's send buffer (from TCP_INFO) */
gsize gst_rtmp_server_client_get_backlog (GstRtmpServerClient *client);

/* Stops (FALSE) or resumes (TRUE) reading from the client's socket: a
 * publish route's element whose queue is full pushes back on the
 * publisher through TCP. Media already read still arrives. The idle
 * timeout keeps running: a publisher left unread that long is dropped.
 * Safe from any thread, within callbacks and under any element lock (it
 * takes only the connection's lock, briefly). */
void gst_rtmp_server_client_set_reading (GstRtmpServerClient *client,
    gboolean reading);

/* Closes the client's connection soon, on an I/O thread ("gone" and
 * "rtmp-client-disconnected" follow with @reason). Safe from any thread
 * and under any lock. */
void gst_rtmp_server_client_disconnect (GstRtmpServerClient *client,
    const gchar *reason);

/* (transfer full) a "client" structure: address, app, stream, kind,
 * in-bytes-total, out-bytes-total, backlog-bytes, connected-time (ns) and
 * the session's rtt-us; the element adds its own fields (dropped...) */
GstStructure *gst_rtmp_server_client_dup_stats (GstRtmpServerClient *client);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstRtmpServerClient,
    gst_rtmp_server_client_unref)

G_END_DECLS

#endif /* __GST_RTMP_SERVER_H__ */
