/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The output queue: a FIFO of inline byte runs and GBytes ranges, kept in a
 * ring buffer so pushing and consuming cost O(1) per segment, never per
 * byte. */

#include "rtmpoutput.h"

#include <string.h>

typedef struct
{
  GBytes *bytes; /* owned; NULL for an inline segment */
  gsize offset;  /* into bytes; 0 for inline segments */
  gsize len;
  guint8 inline_data[RTMP_OUTPUT_INLINE_MAX];
} Segment;

/* Initial ring size; a power of two so that positions wrap with a mask. */
#define MIN_CAPACITY 64
/* An empty queue whose ring grew past this is shrunk back to MIN_CAPACITY,
 * so a burst of many small chunks does not pin memory for the connection's
 * lifetime. */
#define SHRINK_CAPACITY 4096

struct _RtmpOutputQueue
{
  Segment *segments; /* ring of capacity entries */
  guint capacity;    /* power of two */
  guint head;        /* index of the first queued segment */
  guint n_segments;
  gsize head_skip; /* bytes of the head segment already consumed */
  gsize size;      /* bytes queued */
  guint64 pushed_total;
  guint64 consumed_total;
};

RtmpOutputQueue *
rtmp_output_queue_new (void)
{
  RtmpOutputQueue *queue = g_new0 (RtmpOutputQueue, 1);

  queue->capacity = MIN_CAPACITY;
  queue->segments = g_new (Segment, queue->capacity);
  return queue;
}

static inline Segment *
segment_at (const RtmpOutputQueue *queue, guint i)
{
  return &queue->segments[(queue->head + i) & (queue->capacity - 1)];
}

void
rtmp_output_queue_free (RtmpOutputQueue *queue)
{
  guint i;

  if (queue == NULL)
    return;
  for (i = 0; i < queue->n_segments; i++)
    g_clear_pointer (&segment_at (queue, i)->bytes, g_bytes_unref);
  g_free (queue->segments);
  g_free (queue);
}

/* Doubles the ring, unwrapping it so the head is at index 0 again. */
static void
grow (RtmpOutputQueue *queue)
{
  guint old_capacity = queue->capacity;
  Segment *segments;
  guint first_run;

  g_assert (old_capacity <= G_MAXUINT / 2);
  segments = g_new (Segment, old_capacity * 2);
  first_run = MIN (queue->n_segments, old_capacity - queue->head);
  memcpy (segments, queue->segments + queue->head,
      first_run * sizeof (Segment));
  memcpy (segments + first_run, queue->segments,
      (queue->n_segments - first_run) * sizeof (Segment));
  g_free (queue->segments);
  queue->segments = segments;
  queue->capacity = old_capacity * 2;
  queue->head = 0;
}

static inline Segment *
push_segment (RtmpOutputQueue *queue)
{
  if (G_UNLIKELY (queue->n_segments == queue->capacity))
    grow (queue);
  return segment_at (queue, queue->n_segments++);
}

void
rtmp_output_queue_push_inline (RtmpOutputQueue *queue, const guint8 *data,
    gsize len)
{
  Segment *seg;

  g_return_if_fail (queue != NULL);
  g_return_if_fail (len <= RTMP_OUTPUT_INLINE_MAX);

  if (len == 0)
    return;

  /* Append to a trailing inline segment when it has room (headers of
   * back-to-back empty messages): fewer vectors for writev. */
  if (queue->n_segments > 0) {
    seg = segment_at (queue, queue->n_segments - 1);
    if (seg->bytes == NULL && seg->len + len <= RTMP_OUTPUT_INLINE_MAX) {
      memcpy (seg->inline_data + seg->len, data, len);
      seg->len += len;
      goto done;
    }
  }

  seg = push_segment (queue);
  seg->bytes = NULL;
  seg->offset = 0;
  seg->len = len;
  memcpy (seg->inline_data, data, len);

done:
  queue->size += len;
  queue->pushed_total += len;
}

void
rtmp_output_queue_push_bytes (RtmpOutputQueue *queue, GBytes *bytes,
    gsize offset, gsize len)
{
  Segment *seg;

  g_return_if_fail (queue != NULL);
  g_return_if_fail (bytes != NULL);
  g_return_if_fail (offset <= g_bytes_get_size (bytes));
  g_return_if_fail (len <= g_bytes_get_size (bytes) - offset);

  if (len == 0)
    return;

  seg = push_segment (queue);
  seg->bytes = g_bytes_ref (bytes);
  seg->offset = offset;
  seg->len = len;

  queue->size += len;
  queue->pushed_total += len;
}

static inline const guint8 *
segment_data (const Segment *seg)
{
  if (seg->bytes == NULL)
    return seg->inline_data;
  return (const guint8 *) g_bytes_get_data (seg->bytes, NULL) + seg->offset;
}

guint
rtmp_output_queue_peek (RtmpOutputQueue *queue, RtmpOutputVector *vectors,
    guint n_vectors)
{
  guint i, n;

  g_return_val_if_fail (queue != NULL, 0);
  g_return_val_if_fail (vectors != NULL || n_vectors == 0, 0);

  n = MIN (n_vectors, queue->n_segments);
  for (i = 0; i < n; i++) {
    const Segment *seg = segment_at (queue, i);
    gsize skip = i == 0 ? queue->head_skip : 0;

    vectors[i].data = segment_data (seg) + skip;
    vectors[i].len = seg->len - skip;
  }
  return n;
}

void
rtmp_output_queue_consume (RtmpOutputQueue *queue, gsize n_bytes)
{
  g_return_if_fail (queue != NULL);
  g_return_if_fail (n_bytes <= queue->size);

  queue->size -= n_bytes;
  queue->consumed_total += n_bytes;

  while (n_bytes > 0) {
    Segment *seg = segment_at (queue, 0);
    gsize left = seg->len - queue->head_skip;

    if (n_bytes < left) {
      queue->head_skip += n_bytes;
      break;
    }
    n_bytes -= left;
    g_clear_pointer (&seg->bytes, g_bytes_unref);
    queue->head = (queue->head + 1) & (queue->capacity - 1);
    queue->n_segments--;
    queue->head_skip = 0;
  }

  if (queue->n_segments == 0) {
    queue->head = 0;
    if (queue->capacity > SHRINK_CAPACITY) {
      g_free (queue->segments);
      queue->capacity = MIN_CAPACITY;
      queue->segments = g_new (Segment, queue->capacity);
    }
  }
}

gsize
rtmp_output_queue_get_size (const RtmpOutputQueue *queue)
{
  g_return_val_if_fail (queue != NULL, 0);

  return queue->size;
}

guint
rtmp_output_queue_get_n_segments (const RtmpOutputQueue *queue)
{
  g_return_val_if_fail (queue != NULL, 0);

  return queue->n_segments;
}

guint64
rtmp_output_queue_get_pushed_total (const RtmpOutputQueue *queue)
{
  g_return_val_if_fail (queue != NULL, 0);

  return queue->pushed_total;
}

guint64
rtmp_output_queue_get_consumed_total (const RtmpOutputQueue *queue)
{
  g_return_val_if_fail (queue != NULL, 0);

  return queue->consumed_total;
}
