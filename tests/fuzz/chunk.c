/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target for the chunk reader: input fed in pieces to a reader with
 * small limits; every message it returns goes through a writer and a second
 * reader and must come back the same. */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtmpchunk.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) \
  G_STMT_START \
  { \
    if (!(cond)) \
      g_error ("%s:%d: check failed: %s", __FILE__, __LINE__, #cond); \
  } \
  G_STMT_END

typedef struct
{
  RtmpOutputQueue *queue;
  RtmpChunkWriter *writer;
  RtmpChunkReader *reader;
} RoundTrip;

/* Writes @m, reads the bytes back and checks that exactly @m comes out. A
 * Set Chunk Size is not copied: the writer switches to that size (which
 * writes its own Set Chunk Size), so the chunk sizes of the round trip
 * follow the input. */
static void
round_trip (RoundTrip *rt, const RtmpMessage *m)
{
  RtmpOutputVector v[64];
  g_autoptr (RtmpMessage) back = NULL;
  GByteArray *wire = g_byte_array_new ();
  gsize pos = 0;
  guint n, i;

  if (m->type == RTMP_MESSAGE_SET_CHUNK_SIZE) {
    guint32 value;

    /* the first reader already refused a bad one */
    FUZZ_CHECK (rtmp_message_parse_u32 (m, &value, NULL));
    rtmp_chunk_writer_set_chunk_size (rt->writer, value);
  } else {
    rtmp_chunk_writer_write (rt->writer, m);
  }

  while ((n = rtmp_output_queue_peek (rt->queue, v, G_N_ELEMENTS (v))) > 0) {
    gsize total = 0;

    for (i = 0; i < n; i++) {
      g_byte_array_append (wire, v[i].data, v[i].len);
      total += v[i].len;
    }
    rtmp_output_queue_consume (rt->queue, total);
  }

  for (;;) {
    g_autoptr (GError) error = NULL;
    RtmpMessage *out = NULL;
    gsize consumed;
    RtmpReadResult res = rtmp_chunk_reader_read (rt->reader, wire->data + pos,
        wire->len - pos, &consumed, &out, &error);

    if (res == RTMP_READ_ERROR)
      g_error ("round trip failed: %s", error->message);
    pos += consumed;
    if (res == RTMP_READ_NEED_MORE)
      break;
    FUZZ_CHECK (back == NULL);
    back = out;
  }
  FUZZ_CHECK (pos == wire->len);
  FUZZ_CHECK (back != NULL);
  FUZZ_CHECK (rtmp_chunk_reader_get_buffered_bytes (rt->reader) == 0);
  if (m->type == RTMP_MESSAGE_SET_CHUNK_SIZE) {
    FUZZ_CHECK (back->type == RTMP_MESSAGE_SET_CHUNK_SIZE);
    FUZZ_CHECK (rtmp_chunk_reader_get_chunk_size (rt->reader)
        == rtmp_chunk_writer_get_chunk_size (rt->writer));
  } else {
    FUZZ_CHECK (back->type == m->type);
    FUZZ_CHECK (back->timestamp == m->timestamp);
    FUZZ_CHECK (back->stream_id == m->stream_id);
    FUZZ_CHECK (back->csid == m->csid);
    FUZZ_CHECK (g_bytes_equal (back->payload, m->payload));
  }
  g_byte_array_unref (wire);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static gboolean initialized = FALSE;
  RtmpLimits limits;
  RtmpChunkReader *reader;
  RoundTrip rt;
  gsize piece, pos;
  gboolean failed = FALSE;

  if (!initialized) {
    g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    initialized = TRUE;
  }
  if (size < 1)
    return 0;

  /* The first byte picks the piece size: 1..255 bytes, or 0 for all at
   * once. */
  piece = data[0] == 0 ? size : data[0];
  data++;
  size--;

  rtmp_limits_init_default (&limits);
  limits.max_message_bytes = 64 * 1024;
  limits.max_buffered_bytes = 96 * 1024;
  limits.max_chunk_streams = 8;
  reader = rtmp_chunk_reader_new (&limits);

  rt.queue = rtmp_output_queue_new ();
  rt.writer = rtmp_chunk_writer_new (rt.queue);
  rt.reader = rtmp_chunk_reader_new (NULL);

  for (pos = 0; pos < size && !failed;) {
    gsize len = MIN (piece, size - pos), off = 0;

    for (;;) {
      g_autoptr (GError) error = NULL;
      RtmpMessage *m = NULL;
      gsize consumed = 0;
      RtmpReadResult res = rtmp_chunk_reader_read (reader, data + pos + off,
          len - off, &consumed, &m, &error);

      FUZZ_CHECK (rtmp_chunk_reader_get_buffered_bytes (reader)
          <= limits.max_buffered_bytes);
      FUZZ_CHECK (rtmp_chunk_reader_get_n_chunk_streams (reader)
          <= limits.max_chunk_streams);
      if (res == RTMP_READ_ERROR) {
        FUZZ_CHECK (error != NULL && error->domain == RTMP_ERROR);
        FUZZ_CHECK (m == NULL);
        failed = TRUE;
        break;
      }
      FUZZ_CHECK (consumed <= len - off);
      off += consumed;
      if (res == RTMP_READ_NEED_MORE) {
        FUZZ_CHECK (off == len);
        FUZZ_CHECK (m == NULL);
        break;
      }
      FUZZ_CHECK (m != NULL);
      FUZZ_CHECK (m->csid >= RTMP_MIN_CSID && m->csid <= RTMP_MAX_CSID);
      FUZZ_CHECK (g_bytes_get_size (m->payload) <= limits.max_message_bytes);
      round_trip (&rt, m);
      rtmp_message_free (m);
    }
    pos += len;
  }
  if (!failed)
    FUZZ_CHECK (rtmp_chunk_reader_get_bytes_read (reader) == (guint32) size);

  rtmp_chunk_reader_free (reader);
  rtmp_chunk_reader_free (rt.reader);
  rtmp_chunk_writer_free (rt.writer);
  rtmp_output_queue_free (rt.queue);
  return 0;
}
