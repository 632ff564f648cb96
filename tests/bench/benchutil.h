/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the benchmark helpers: a monotonic clock in nanoseconds, FLV
 * tags that carry a frame number the receiving end can find again, an FLV
 * file split into tags, and loopback sockets driven by an RtmpSession. */

#ifndef __BENCH_UTIL_H__
#define __BENCH_UTIL_H__

#include <glib.h>

#include "rtmpsession.h"

G_BEGIN_DECLS

/* CLOCK_MONOTONIC, the clock g_get_monotonic_time () reads, in ns */
gint64 bench_now_ns (void);
/* Sleeps until @deadline_ns on bench_now_ns ()'s clock */
void bench_sleep_until_ns (gint64 deadline_ns);

#define BENCH_FLV_HEADER_BYTES 13 /* FLV header and PreviousTagSize0 */
#define BENCH_FLV_TAG_HEADER_BYTES 11
#define BENCH_FLV_TAG_TRAILER_BYTES 4

/* The FLV file header (audio and video flags set) and PreviousTagSize0 */
GBytes *bench_flv_header_new (void);

typedef enum
{
  BENCH_FRAME_AUDIO = 8,
  BENCH_FRAME_VIDEO = 9,
} BenchFrameKind;

/* The smallest body bench_frame_tag_new () makes */
#define BENCH_FRAME_MIN_BODY_BYTES 32

/* A complete FLV tag (header, body, PreviousTagSize) of @body_bytes: an AAC
 * raw frame or an AVC NAL unit (key frame when @keyframe) whose data holds a
 * marker and @index, padded with a pattern. */
GBytes *bench_frame_tag_new (BenchFrameKind kind, guint32 index,
    guint32 timestamp_ms, gsize body_bytes, gboolean keyframe);

/* Finds the first frame marker at or after @*offset in @data; TRUE with
 * @index set and @offset moved past it. */
gboolean bench_frame_find (const guint8 *data, gsize len, gsize *offset,
    guint32 *index);

/* One tag of an FLV file */
typedef struct
{
  guint32 timestamp_ms;
  guint8 type;
  GBytes *tag; /* header, body and PreviousTagSize */
} BenchFlvTag;

/* Reads an FLV file into tags (GArray of BenchFlvTag, cleared with their
 * GBytes); NULL and @error when it is not FLV. */
GArray *bench_flv_file_read (const gchar *path, GError **error);

/* A copy of @tag with its timestamp replaced (for looping a file) */
GBytes *bench_flv_tag_retime (GBytes *tag, guint32 timestamp_ms);

/* --- sockets --- */

/* A TCP socket listening on 127.0.0.1 at a free port (in @port) */
int bench_listen_loopback (guint16 *port, GError **error);
/* A blocking TCP connection to 127.0.0.1:@port with TCP_NODELAY */
int bench_connect_loopback (guint16 port, GError **error);

/* Writes everything @session has queued to @fd (blocking writev). */
gboolean bench_session_flush (RtmpSession *session, int fd, GError **error);

/* Fills @config for @role with fresh random bytes (kept in @random, which
 * must hold RTMP_SESSION_RANDOM_SIZE bytes) and the current time. */
void bench_session_config_init (RtmpSessionConfig *config, RtmpSessionRole role,
    guint8 *random);

/* --- results --- */

/* Sorts @values (gdouble) in place and returns the @q quantile (0..1),
 * nearest rank; NAN when empty. */
gdouble bench_quantile (GArray *values, gdouble q);

G_END_DECLS

#endif /* __BENCH_UTIL_H__ */
