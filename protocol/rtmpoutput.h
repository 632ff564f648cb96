/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A queue of bytes waiting to be written: small inline segments (chunk
 * headers) between references to payload GBytes, handed out as vectors for
 * writev without copying payloads. */

#ifndef __RTMP_OUTPUT_H__
#define __RTMP_OUTPUT_H__

#include <glib.h>

G_BEGIN_DECLS

/* Same shape as GOutputVector and struct iovec's fields, without GIO. */
typedef struct
{
  const guint8 *data;
  gsize len;
} RtmpOutputVector;

/* Largest inline segment: a chunk header is at most 3 + 11 + 4 bytes. */
#define RTMP_OUTPUT_INLINE_MAX 24

typedef struct _RtmpOutputQueue RtmpOutputQueue;

RtmpOutputQueue *rtmp_output_queue_new (void);
void rtmp_output_queue_free (RtmpOutputQueue *queue);

/* Copies @len (<= RTMP_OUTPUT_INLINE_MAX) bytes into the queue; appended to
 * the last segment when that is inline and has room. */
void rtmp_output_queue_push_inline (RtmpOutputQueue *queue, const guint8 *data,
    gsize len);
/* References @len bytes of @bytes from @offset (transfer none: a reference
 * is taken, nothing is copied). */
void rtmp_output_queue_push_bytes (RtmpOutputQueue *queue, GBytes *bytes,
    gsize offset, gsize len);

/* Fills up to @n_vectors vectors with the queue's head; returns how many.
 * The pointers stay valid until the next consume, push or free. */
guint rtmp_output_queue_peek (RtmpOutputQueue *queue, RtmpOutputVector *vectors,
    guint n_vectors);
/* Drops @n_bytes (at most what is queued) from the head. */
void rtmp_output_queue_consume (RtmpOutputQueue *queue, gsize n_bytes);
/* Bytes queued */
gsize rtmp_output_queue_get_size (const RtmpOutputQueue *queue);
/* Segments queued: the number of vectors a peek needs to see everything. */
guint rtmp_output_queue_get_n_segments (const RtmpOutputQueue *queue);
/* Bytes pushed since creation (a monotonically increasing write position),
 * so callers can tell when a given byte has left the queue. */
guint64 rtmp_output_queue_get_pushed_total (const RtmpOutputQueue *queue);
guint64 rtmp_output_queue_get_consumed_total (const RtmpOutputQueue *queue);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpOutputQueue, rtmp_output_queue_free)

G_END_DECLS

#endif /* __RTMP_OUTPUT_H__ */
