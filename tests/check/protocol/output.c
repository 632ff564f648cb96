/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for the output queue: segment order, partial consumes, growth. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtmpoutput.h"

/* Peeks everything queued and returns it as one buffer. */
static GByteArray *
drain_copy (RtmpOutputQueue *queue)
{
  guint n = rtmp_output_queue_get_n_segments (queue);
  g_autofree RtmpOutputVector *vectors = g_new0 (RtmpOutputVector, n + 1);
  GByteArray *out = g_byte_array_new ();
  guint i, got;

  got = rtmp_output_queue_peek (queue, vectors, n + 1);
  fail_unless_equals_int (got, n);
  for (i = 0; i < got; i++) {
    fail_unless (vectors[i].len > 0);
    g_byte_array_append (out, vectors[i].data, vectors[i].len);
  }
  fail_unless_equals_uint64 (out->len, rtmp_output_queue_get_size (queue));
  return out;
}

GST_START_TEST (test_empty)
{
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  RtmpOutputVector v[4];

  fail_unless_equals_int (rtmp_output_queue_peek (queue, v, 4), 0);
  fail_unless_equals_uint64 (rtmp_output_queue_get_size (queue), 0);
  fail_unless_equals_int (rtmp_output_queue_get_n_segments (queue), 0);
  rtmp_output_queue_consume (queue, 0);
  /* empty pushes add nothing */
  rtmp_output_queue_push_inline (queue, (const guint8 *) "", 0);
  fail_unless_equals_int (rtmp_output_queue_get_n_segments (queue), 0);
  fail_unless_equals_uint64 (rtmp_output_queue_get_pushed_total (queue), 0);
}

GST_END_TEST;

GST_START_TEST (test_inline_and_bytes)
{
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  g_autoptr (GBytes) payload = g_bytes_new_static ("0123456789", 10);
  const guint8 *payload_data = g_bytes_get_data (payload, NULL);
  g_autoptr (GByteArray) all = NULL;
  RtmpOutputVector v[8];
  guint n;

  rtmp_output_queue_push_inline (queue, (const guint8 *) "ab", 2);
  rtmp_output_queue_push_bytes (queue, payload, 2, 5);
  rtmp_output_queue_push_inline (queue, (const guint8 *) "cd", 2);
  rtmp_output_queue_push_bytes (queue, payload, 0, 10);

  fail_unless_equals_uint64 (rtmp_output_queue_get_size (queue), 19);
  fail_unless_equals_int (rtmp_output_queue_get_n_segments (queue), 4);

  n = rtmp_output_queue_peek (queue, v, G_N_ELEMENTS (v));
  fail_unless_equals_int (n, 4);
  /* payload segments point into the GBytes: nothing was copied */
  fail_unless (v[1].data == payload_data + 2);
  fail_unless_equals_int (v[1].len, 5);
  fail_unless (v[3].data == payload_data);
  fail_unless_equals_int (v[3].len, 10);

  /* peek with fewer vectors than segments */
  n = rtmp_output_queue_peek (queue, v, 2);
  fail_unless_equals_int (n, 2);
  fail_unless_equals_int (v[0].len, 2);
  fail_unless (memcmp (v[0].data, "ab", 2) == 0);

  all = drain_copy (queue);
  fail_unless (memcmp (all->data, "ab23456cd0123456789", 19) == 0);
}

GST_END_TEST;

GST_START_TEST (test_inline_merge)
{
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  guint8 block[RTMP_OUTPUT_INLINE_MAX];
  g_autoptr (GByteArray) all = NULL;
  guint i;

  for (i = 0; i < sizeof (block); i++)
    block[i] = i;

  /* back-to-back inline pushes share a segment while they fit */
  rtmp_output_queue_push_inline (queue, block, 10);
  rtmp_output_queue_push_inline (queue, block + 10, 10);
  fail_unless_equals_int (rtmp_output_queue_get_n_segments (queue), 1);
  rtmp_output_queue_push_inline (queue, block + 20, 4);
  fail_unless_equals_int (rtmp_output_queue_get_n_segments (queue), 1);
  rtmp_output_queue_push_inline (queue, block, RTMP_OUTPUT_INLINE_MAX);
  fail_unless_equals_int (rtmp_output_queue_get_n_segments (queue), 2);

  /* consume part of the head segment, then append to the tail */
  rtmp_output_queue_consume (queue, 5);
  rtmp_output_queue_consume (queue, 19);
  fail_unless_equals_int (rtmp_output_queue_get_n_segments (queue), 1);
  rtmp_output_queue_consume (queue, 3);
  rtmp_output_queue_push_inline (queue, block, 2);
  fail_unless_equals_int (rtmp_output_queue_get_n_segments (queue), 2);

  all = drain_copy (queue);
  fail_unless_equals_int (all->len, RTMP_OUTPUT_INLINE_MAX - 3 + 2);
  fail_unless (memcmp (all->data, block + 3, RTMP_OUTPUT_INLINE_MAX - 3) == 0);
  fail_unless (memcmp (all->data + RTMP_OUTPUT_INLINE_MAX - 3, block, 2) == 0);
}

GST_END_TEST;

GST_START_TEST (test_partial_consume)
{
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  g_autoptr (GBytes) payload = g_bytes_new_static ("0123456789", 10);
  RtmpOutputVector v[4];
  guint n;

  rtmp_output_queue_push_inline (queue, (const guint8 *) "abc", 3);
  rtmp_output_queue_push_bytes (queue, payload, 0, 10);
  rtmp_output_queue_push_inline (queue, (const guint8 *) "xyz", 3);

  /* into the middle of the inline head */
  rtmp_output_queue_consume (queue, 2);
  n = rtmp_output_queue_peek (queue, v, 4);
  fail_unless_equals_int (n, 3);
  fail_unless_equals_int (v[0].len, 1);
  fail_unless_equals_int (v[0].data[0], 'c');

  /* across a segment boundary into the payload */
  rtmp_output_queue_consume (queue, 5);
  n = rtmp_output_queue_peek (queue, v, 4);
  fail_unless_equals_int (n, 2);
  fail_unless_equals_int (v[0].len, 6);
  fail_unless (memcmp (v[0].data, "456789", 6) == 0);
  fail_unless_equals_uint64 (rtmp_output_queue_get_consumed_total (queue), 7);
  fail_unless_equals_uint64 (rtmp_output_queue_get_pushed_total (queue), 16);
  fail_unless_equals_uint64 (rtmp_output_queue_get_size (queue), 9);

  /* exactly to a boundary */
  rtmp_output_queue_consume (queue, 6);
  n = rtmp_output_queue_peek (queue, v, 4);
  fail_unless_equals_int (n, 1);
  fail_unless (memcmp (v[0].data, "xyz", 3) == 0);

  rtmp_output_queue_consume (queue, 3);
  fail_unless_equals_int (rtmp_output_queue_peek (queue, v, 4), 0);
  fail_unless_equals_uint64 (rtmp_output_queue_get_consumed_total (queue), 16);
  fail_unless_equals_uint64 (rtmp_output_queue_get_size (queue), 0);
}

GST_END_TEST;

/* The queue keeps its own reference: the caller's may go at once. */
GST_START_TEST (test_bytes_reference)
{
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  GBytes *payload = g_bytes_new_take (g_strdup ("hello"), 5);
  g_autoptr (GByteArray) all = NULL;

  rtmp_output_queue_push_bytes (queue, payload, 1, 3);
  g_bytes_unref (payload);
  all = drain_copy (queue);
  fail_unless (memcmp (all->data, "ell", 3) == 0);
}

GST_END_TEST;

/* Many segments with the ring wrapping around while it grows and shrinks;
 * the bytes come out in order. */
GST_START_TEST (test_many_segments)
{
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  g_autoptr (GBytes) payload = NULL;
  guint8 *data = g_malloc (256);
  guint64 next_in = 0, next_out = 0;
  guint round, i;
  gsize keep;
  RtmpOutputVector v[64];

  for (i = 0; i < 256; i++)
    data[i] = i;
  payload = g_bytes_new_take (data, 256);

  /* Push a counting sequence of bytes (value = position mod 256) in
   * segments of varied kind and size, consume in uneven steps. */
  for (round = 0; round < 200; round++) {
    guint n_push = (round * 37) % 300 + 1;

    for (i = 0; i < n_push; i++) {
      guint len = (i * 7 + round) % 20 + 1;
      guint8 tmp[RTMP_OUTPUT_INLINE_MAX];
      guint k;

      if ((i + round) % 3 == 0) {
        for (k = 0; k < len; k++)
          tmp[k] = (next_in + k) & 0xff;
        rtmp_output_queue_push_inline (queue, tmp, len);
      } else {
        guint offset = next_in & 0xff;

        len = MIN (len, 256 - offset);
        rtmp_output_queue_push_bytes (queue, payload, offset, len);
      }
      next_in += len;
    }
    fail_unless_equals_uint64 (rtmp_output_queue_get_pushed_total (queue),
        next_in);

    /* consume about two thirds, checking every byte */
    keep = rtmp_output_queue_get_size (queue) / 3;
    while (rtmp_output_queue_get_size (queue) > keep) {
      guint n = rtmp_output_queue_peek (queue, v, G_N_ELEMENTS (v));
      gsize want = (round % 2) ? 13 : 1000, took = 0;
      guint j;

      fail_unless (n > 0);
      for (j = 0; j < n && took < want; j++) {
        gsize k, len = MIN (v[j].len, want - took);

        for (k = 0; k < len; k++)
          fail_unless_equals_int (v[j].data[k], (next_out + took + k) & 0xff);
        took += len;
      }
      rtmp_output_queue_consume (queue, took);
      next_out += took;
      fail_unless_equals_uint64 (rtmp_output_queue_get_consumed_total (queue),
          next_out);
    }
  }

  /* drain the rest; the ring shrinks once empty and still works */
  while (rtmp_output_queue_get_size (queue) > 0) {
    guint n = rtmp_output_queue_peek (queue, v, G_N_ELEMENTS (v));
    guint j;
    gsize took = 0;

    for (j = 0; j < n; j++)
      took += v[j].len;
    rtmp_output_queue_consume (queue, took);
    next_out += took;
  }
  fail_unless_equals_uint64 (next_out, next_in);
  rtmp_output_queue_push_inline (queue, (const guint8 *) "z", 1);
  fail_unless_equals_int (rtmp_output_queue_peek (queue, v, 1), 1);
  fail_unless_equals_int (v[0].data[0], 'z');
}

GST_END_TEST;

/* 100000 segments: growth past the shrink threshold, then back. */
GST_START_TEST (test_large_backlog)
{
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  g_autoptr (GBytes) payload = g_bytes_new_static ("x", 1);
  guint i;

  for (i = 0; i < 100000; i++) {
    rtmp_output_queue_push_bytes (queue, payload, 0, 1);
    rtmp_output_queue_push_inline (queue, (const guint8 *) "y", 1);
  }
  fail_unless_equals_int (rtmp_output_queue_get_n_segments (queue), 200000);
  rtmp_output_queue_consume (queue, 199999);
  fail_unless_equals_int (rtmp_output_queue_get_n_segments (queue), 1);
  rtmp_output_queue_consume (queue, 1);
  fail_unless_equals_int (rtmp_output_queue_get_n_segments (queue), 0);
  fail_unless_equals_uint64 (rtmp_output_queue_get_pushed_total (queue),
      200000);
}

GST_END_TEST;

static Suite *
output_suite (void)
{
  Suite *s = suite_create ("output");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_empty);
  tcase_add_test (tc, test_inline_and_bytes);
  tcase_add_test (tc, test_inline_merge);
  tcase_add_test (tc, test_partial_consume);
  tcase_add_test (tc, test_bytes_reference);
  tcase_add_test (tc, test_many_segments);
  tcase_add_test (tc, test_large_backlog);
  return s;
}

GST_CHECK_MAIN (output);
