/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What rtmpsrc's parts share: the element's structure and the steps of the
 * output both modes use. gstrtmpsrc.c is the element (properties, states,
 * the streaming thread, queries); gstrtmpsrcclient.c its client mode (it
 * plays from a server), gstrtmpsrcserver.c its server mode (a publisher
 * comes to us); gstrtmpflvout.c makes the output. */

#ifndef __GST_RTMP_SRC_PRIVATE_H__
#define __GST_RTMP_SRC_PRIVATE_H__

#include "gstrtmpsrc.h"
#include "gstrtmpelement.h"
#include "gstrtmpflvout.h"
#include "gstrtmpserver.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_rtmp_src_debug);

typedef enum
{
  GST_RTMP_SRC_PLAY_TYPE_LIVE,
  GST_RTMP_SRC_PLAY_TYPE_RECORDED,
  GST_RTMP_SRC_PLAY_TYPE_ANY,
} GstRtmpSrcPlayType;

/* Server mode: what the departure of the publisher means */
typedef enum
{
  GST_RTMP_SRC_ON_PUBLISHER_GONE_EOS,
  GST_RTMP_SRC_ON_PUBLISHER_GONE_WAIT,
} GstRtmpSrcOnPublisherGone;

typedef enum
{
  STREAM_UNDECIDED,
  STREAM_LIVE,
  STREAM_RECORDED,
} StreamKind;

struct _GstRtmpSrc
{
  GstPushSrc parent;

  /* properties, under the object lock */
  GstRtmpElementSettings settings;
  gboolean no_eof_is_error;
  GstRtmpSrcPlayType play_type;
  gint64 start;
  gint64 duration;
  guint buffer_length_ms;
  GstRtmpSrcOnPublisherGone on_publisher_gone;

  /* Shared with the client's and the server route's callbacks (I/O
   * threads). Lock order: the client's, the connection's and the route's
   * callback locks, then self->lock, then the object lock; nobody holds
   * self->lock while calling into the client, a connection or the route
   * (gst_rtmp_server_client_set_reading () and _disconnect () excepted:
   * they take only a connection's lock). */
  GMutex lock;
  GCond cond; /* through wait_locked () and wake_waiters_locked () */
  guint n_waiters;
  GstRtmpClient *client; /* created in READY to PAUSED */
  gboolean is_client_started;
  GstRtmpConnection *connection; /* ref; the playing one, or NULL */
  /* +1 per connection reaching PLAYING, or per publisher accepted */
  guint connection_serial;
  guint32 stream_id; /* createStream's answer */
  gchar *display_url;
  gboolean is_flushing;
  gboolean is_ended;        /* EOS or an error is queued: drop the rest */
  gboolean warned_stream_0; /* media came on stream 0 (FFmpeg -listen) */
  GError *late_error;       /* the connection failed after the end */
  StreamKind kind;
  gint64 playing_time_us; /* the first NetStream.Play.Start */

  GstRtmpFlvOut *out; /* the queue and its timeline; see there */
  gboolean is_reading_paused;

  /* server mode: set in READY to PAUSED, cleared in stop () */
  gboolean is_server;
  GstRtmpServerRoute *route;
  GstRtmpServerClient *publisher; /* ref: the accepted one, or NULL */
  guint64 publishers_refused;     /* by us: the signal, the stream ended */

  /* recorded streams */
  guint seeks_pending; /* sent, without NetStream.Seek.Notify yet */
  gint64 seek_sent_us;
  gint64 seek_to_send_ms;    /* no connection yet: sent once playing; -1 */
  gboolean is_pause_pending; /* PLAYING to PAUSED: pause after a buffer */
  gboolean is_server_paused;
  GstClockTime duration_ns; /* onMetaData's */

  /* stats */
  guint64 media_bytes;
  guint64 media_bytes_at_mark;
  gint64 stats_mark_us;
  guint64 bitrate;

  /* streaming thread only */
  gboolean is_initial_seek_done;
  gboolean is_create_started;
};

/* --- gstrtmpsrc.c: the output, for both modes --- */

#define GST_TYPE_RTMP_SRC_PLAY_TYPE (gst_rtmp_src_play_type_get_type ())
GType gst_rtmp_src_play_type_get_type (void);

/* Queues a tag of the stream (its body is taken): decides live or recorded
 * with play-type any, counts it, wakes create (). With the lock; TRUE when
 * reading must stop now (then gst_rtmp_src_apply_reading () without it). */
gboolean gst_rtmp_src_queue_tag_locked (GstRtmpSrc *self, GstRtmpFlvOutTag *tag,
    guint32 raw_ms, gboolean *duration_changed);
/* Makes the peer's reading (the connection's or the publisher's) follow
 * is_reading_paused. Without the lock. */
void gst_rtmp_src_apply_reading (GstRtmpSrc *self);
/* The end of the stream after what is queued, with the lock. An error is
 * posted by create () once the buffers before it went out, unless
 * @posted (the caller posts it now with gst_rtmp_src_post_error ()). */
void gst_rtmp_src_queue_eos_locked (GstRtmpSrc *self);
void gst_rtmp_src_wait_locked (GstRtmpSrc *self, gint64 end_time);
void gst_rtmp_src_wake_waiters_locked (GstRtmpSrc *self);
void gst_rtmp_src_queue_error_locked (GstRtmpSrc *self, const GError *error,
    gboolean posted);
/* Exactly one GST_ELEMENT_ERROR for @error. Without the lock. */
void gst_rtmp_src_post_error (GstRtmpSrc *self, const GError *error,
    gboolean established);
/* Media bits per second received, over at least the last second. With the
 * lock. */
guint64 gst_rtmp_src_update_bitrate_locked (GstRtmpSrc *self);

/* --- gstrtmpsrcclient.c: client mode --- */

/* Builds the client (READY to PAUSED), connects unless async-connect is
 * FALSE, and with play-type any waits for the server to say whether the
 * stream is live. FALSE after posting the error. */
gboolean gst_rtmp_src_client_start (GstRtmpSrc *self);
/* Connects now if start () did not (the first create ()) */
void gst_rtmp_src_client_connect (GstRtmpSrc *self);
/* Stops the stream on the server and frees the client; no callback runs
 * after it. Without the lock. */
void gst_rtmp_src_client_stop (GstRtmpSrc *self);
/* Recorded streams: PLAYING to PAUSED asks for a pause (@pause), sent once
 * a buffer went out; PAUSED to PLAYING resumes. Without the lock. */
void gst_rtmp_src_client_pause_server (GstRtmpSrc *self, gboolean pause);
/* create (): a pause was asked for and a buffer goes out now. Called with
 * the lock, which it releases. */
void gst_rtmp_src_client_send_pending_pause_unlocked (GstRtmpSrc *self);
/* do_seek (): seeks a recorded stream on the server (@initial: GstBaseSrc's
 * first segment; @start_ms: where play started) */
gboolean gst_rtmp_src_client_seek (GstRtmpSrc *self, GstSegment *segment,
    gboolean initial, gint64 start_ms);
/* The stats property in client mode (transfer full) */
GstStructure *gst_rtmp_src_client_get_stats (GstRtmpSrc *self);

/* --- gstrtmpsrcserver.c: server mode --- */

#define GST_TYPE_RTMP_SRC_ON_PUBLISHER_GONE \
  (gst_rtmp_src_on_publisher_gone_get_type ())
GType gst_rtmp_src_on_publisher_gone_get_type (void);

/* Installs the server mode's signals (class_init) */
void gst_rtmp_src_server_class_init (GObjectClass *klass);
/* Listens for the publisher (READY to PAUSED): FALSE after posting the
 * error */
gboolean gst_rtmp_src_server_start (GstRtmpSrc *self);
/* Closes the route and its publisher; no callback runs after it. Without
 * the lock. */
void gst_rtmp_src_server_stop (GstRtmpSrc *self);
/* The stats property in server mode (transfer full) */
GstStructure *gst_rtmp_src_server_get_stats (GstRtmpSrc *self);

G_END_DECLS

#endif /* __GST_RTMP_SRC_PRIVATE_H__ */
