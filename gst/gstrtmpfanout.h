/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One FLV stream served to many players: the headers and the current GOP
 * for players that join mid-stream, each player's bounded queue and what
 * happens to a player that cannot keep up. Used by rtmpsink in server
 * mode. */

#ifndef __GST_RTMP_FANOUT_H__
#define __GST_RTMP_FANOUT_H__

#include <gst/gst.h>
#include "gstrtmpserver.h"

G_BEGIN_DECLS

#define GST_TYPE_RTMP_SLOW_CLIENT_POLICY \
  (gst_rtmp_slow_client_policy_get_type ())
GType gst_rtmp_slow_client_policy_get_type (void);

typedef enum
{
  /* the player loses whole GOPs: nothing more until its next keyframe that
   * finds its queue back under the bound */
  GST_RTMP_SLOW_CLIENT_POLICY_DROP_GOP,
  GST_RTMP_SLOW_CLIENT_POLICY_DISCONNECT,
} GstRtmpSlowClientPolicy;

typedef struct
{
  guint max_clients; /* 0 = no limit */
  GstRtmpSlowClientPolicy policy;
  /* the current GOP (from the last video keyframe) is kept up to this
   * size for joining players; beyond it they wait for the next keyframe.
   * 0 = no cache. */
  gsize gop_cache_bytes;
  /* a player with more queued and unacknowledged bytes (see
   * gst_rtmp_server_client_get_backlog ()) is slow */
  gsize max_queue_bytes;
} GstRtmpFanoutSettings;

/* Everything in a fan-out is guarded by its own lock, taken after the
 * element's locks and before a connection's (see gstrtmpserver.h); it
 * calls nothing that waits for an I/O thread. */
typedef struct _GstRtmpFanout GstRtmpFanout;

GstRtmpFanout *gst_rtmp_fanout_new (const GstRtmpFanoutSettings *settings);
/* Drops the players (without disconnecting them: freeing the route does)
 * and the cache */
void gst_rtmp_fanout_free (GstRtmpFanout *fanout);

/* --- players (I/O threads, from the route's callbacks) --- */

/* Takes the player unless max_clients are playing (FALSE and @refusal):
 * accepts it, sends it the metadata, the sequence headers and the cached
 * GOP, then everything that follows. */
gboolean gst_rtmp_fanout_add_player (GstRtmpFanout *fanout,
    GstRtmpServerClient *client, gchar **refusal);
/* A paused player gets nothing; on resume it waits for a keyframe */
void gst_rtmp_fanout_set_paused (GstRtmpFanout *fanout,
    GstRtmpServerClient *client, gboolean paused);
void gst_rtmp_fanout_remove_player (GstRtmpFanout *fanout,
    GstRtmpServerClient *client);

/* --- the stream (the streaming thread) --- */

/* The stream has video (from the FLV header): players start at keyframes */
void gst_rtmp_fanout_set_has_video (GstRtmpFanout *fanout, gboolean has_video);
/* One FLV tag: @payload (transfer none) goes to every player as it is, no
 * copy. @is_header: onMetaData or a sequence header, kept for joining
 * players and sent again only when it changed; @is_keyframe: a video
 * keyframe. Never blocks on a player. */
void gst_rtmp_fanout_push (GstRtmpFanout *fanout, guint8 type,
    guint32 timestamp, GBytes *payload, gboolean is_header,
    gboolean is_keyframe);
/* A new stream follows (flush): forget headers and the GOP */
void gst_rtmp_fanout_reset (GstRtmpFanout *fanout);
/* EOS: Stream EOF, NetStream.Play.UnpublishNotify and NetStream.Play.Stop
 * to every player; once until the next tag */
void gst_rtmp_fanout_end (GstRtmpFanout *fanout);

/* --- statistics (any thread) --- */

/* Sets "clients" (GstValueArray of "client" structures: the server's
 * fields plus dropped-frames, dropped-bytes, dropped-gops, paused,
 * waiting-keyframe), "n-clients", "clients-total" (ever accepted),
 * "clients-refused", "clients-too-slow" (disconnected by the policy),
 * "gop-cache-bytes-used" and the totals "dropped-frames",
 * "dropped-bytes" */
void gst_rtmp_fanout_add_stats (GstRtmpFanout *fanout, GstStructure *s);
guint gst_rtmp_fanout_get_n_players (GstRtmpFanout *fanout);

G_END_DECLS

#endif /* __GST_RTMP_FANOUT_H__ */
