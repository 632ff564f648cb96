/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the two halves of server mode share: the listener, route and client
 * structures. gstrtmpserver.c keeps the listeners (sockets, accepting, the
 * sweep) and the routes; gstrtmpserverclient.c runs one accepted client
 * (its session's events, connect and authentication, routing of play and
 * publish, sending). Elements use gstrtmpserver.h only. */

#ifndef __GST_RTMP_SERVER_PRIVATE_H__
#define __GST_RTMP_SERVER_PRIVATE_H__

#include "gstrtmpserver.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_rtmp_server_debug);

typedef struct _GstRtmpServerListener GstRtmpServerListener;

#define DEFAULT_TIMEOUT_S 5
#define DEFAULT_IDLE_TIMEOUT_S 30
#define DEFAULT_CHUNK_SIZE 4096
/* Pings keep the idle timeout from dropping players that only read: they
 * answer with PingResponse. More often when the idle timeout is short. */
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
/* A client whose stream ended has this long to close its connection */
#define STREAM_END_LINGER_MS 2000

/* Limits for every server session: players send only commands; a
 * publisher's largest message is a keyframe. The defaults (16 MiB
 * messages, 64 MiB buffered) are far above what an unauthenticated peer
 * should make us hold, times GST_RTMP_SERVER_MAX_PENDING. */
#define GST_RTMP_SERVER_MAX_MESSAGE_BYTES (8 * 1024 * 1024)
#define GST_RTMP_SERVER_MAX_BUFFERED_BYTES (12 * 1024 * 1024)
#define GST_RTMP_SERVER_MAX_CHUNK_STREAMS 16
#define GST_RTMP_SERVER_AMF_MAX_ELEMENTS 8192
#define GST_RTMP_SERVER_AMF_MAX_BYTES (1024 * 1024)

struct _GstRtmpServerRoute
{
  gint ref_count;
  GstRtmpServerListener *listener; /* strong */
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
  GstRtmpServerListener *listener; /* strong */
  GSocket *socket;                 /* strong, for TCP_INFO */
  GstRtmpConnection *connection;   /* strong, set once (atomic) */
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

struct _GstRtmpServerListener
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

/* gstrtmpserver.c */
const gchar *gst_rtmp_server_kind_name (GstRtmpServerRouteKind kind);
/* "live?x=1" or "live/" -> "live" (transfer full) */
gchar *gst_rtmp_server_base_app (const gchar *app);
/* "key?token=1" -> "key" (transfer full) */
gchar *gst_rtmp_server_stream_key (const gchar *stream);
GstRtmpServerListener *gst_rtmp_server_listener_ref (
    GstRtmpServerListener *listener);
void gst_rtmp_server_listener_unref (GstRtmpServerListener *listener);
void gst_rtmp_server_post_client_message (GstElement *element,
    const gchar *name, const gchar *address, const gchar *app,
    const gchar *stream, const gchar *kind, const gchar *reason,
    const gchar *code);
void gst_rtmp_server_post_refused_to_all (GstRtmpServerListener *listener,
    GstRtmpServerClient *client, const gchar *app, const gchar *stream,
    const gchar *kind, const gchar *reason, const gchar *code);
GstRtmpServerRoute *gst_rtmp_server_route_ref (GstRtmpServerRoute *route);
void gst_rtmp_server_route_unref (GstRtmpServerRoute *route);
/* TRUE with the route's callback lock held when it still takes
 * callbacks; then gst_rtmp_server_route_leave () */
gboolean gst_rtmp_server_route_enter (GstRtmpServerRoute *route);
void gst_rtmp_server_route_leave (GstRtmpServerRoute *route);
GstRtmpServerRoute *gst_rtmp_server_find_route_locked (
    GstRtmpServerListener *listener, const gchar *app, const gchar *key,
    GstRtmpServerRouteKind kind);

/* gstrtmpserverclient.c */
/* Ends the client once (see there); from any thread holding no lock */
void gst_rtmp_server_client_finish (GstRtmpServerClient *client,
    const gchar *reason);
void gst_rtmp_server_client_set_connection (GstRtmpServerClient *client,
    GstRtmpConnection *connection);
const guint8 *gst_rtmp_server_auth_secret (gsize *len);
/* user_data: the client (borrowed) */
extern const GstRtmpConnectionCallbacks gst_rtmp_server_connection_callbacks;

G_END_DECLS

#endif /* __GST_RTMP_SERVER_PRIVATE_H__ */
