/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The process-wide I/O threads: a few threads, each running a GMainLoop on
 * its own GMainContext, shared by every connection of every element. */

#ifndef __GST_RTMP_IO_LOOP_H__
#define __GST_RTMP_IO_LOOP_H__

#include <glib.h>

G_BEGIN_DECLS

/* At most this many I/O threads serve all connections of a process */
#define GST_RTMP_IO_LOOP_MAX_THREADS 4

typedef struct _GstRtmpIoLoop GstRtmpIoLoop;

/* The least loaded I/O thread (started on first use); release it when the
 * connection using it is gone. */
GstRtmpIoLoop *gst_rtmp_io_loop_acquire (void);
void gst_rtmp_io_loop_release (GstRtmpIoLoop *loop);

GMainContext *gst_rtmp_io_loop_get_context (GstRtmpIoLoop *loop);
gboolean gst_rtmp_io_loop_is_current_thread (GstRtmpIoLoop *loop);

/* Runs @func once on the loop's thread, soon (never inline) */
void gst_rtmp_io_loop_invoke (GstRtmpIoLoop *loop, GSourceFunc func,
    gpointer data, GDestroyNotify notify);

/* Number of I/O threads running, for stats and tests */
guint gst_rtmp_io_loop_get_n_threads (void);

G_END_DECLS

#endif /* __GST_RTMP_IO_LOOP_H__ */
