/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The chunk stream (RTMP 1.0 §5.3): assembles messages from chunks and
 * splits messages into chunks queued on an RtmpOutputQueue. */

#include "rtmpchunk.h"
#include "rtmpbytes.h"

#include <string.h>

/* §5.3.1.1: the low 6 bits of the first byte are the chunk stream id, or 0
 * (one more byte, id - 64) or 1 (two more bytes, little-endian, id - 64). */
#define CSID_TWO_BYTE 0
#define CSID_THREE_BYTE 1
#define CSID_MIN_TWO_BYTE 64
#define CSID_MIN_THREE_BYTE 320
/* Chunk streams below this are kept in a table, the rest in a hash table. */
#define N_SMALL_CSIDS 64

/* §5.3.1.2: the timestamp field value announcing an extended timestamp */
#define TIMESTAMP_EXTENDED 0xFFFFFF
/* basic header (3) + type 0 message header (11) + extended timestamp (4) */
#define MAX_HEADER_LEN 18

static const guint8 message_header_sizes[4] = { 11, 7, 3, 0 };

/* --- chunk stream id -> state map, shared by the reader and the writer --- */

typedef struct
{
  gpointer small[N_SMALL_CSIDS];
  GHashTable *large; /* csid -> state; created on first use */
  guint n_streams;
  GDestroyNotify free_state;
} StreamMap;

static void
stream_map_init (StreamMap *map, GDestroyNotify free_state)
{
  memset (map, 0, sizeof (*map));
  map->free_state = free_state;
}

static void
stream_map_clear (StreamMap *map)
{
  guint i;

  for (i = 0; i < N_SMALL_CSIDS; i++)
    g_clear_pointer (&map->small[i], map->free_state);
  g_clear_pointer (&map->large, g_hash_table_unref);
  map->n_streams = 0;
}

static inline gpointer
stream_map_lookup (const StreamMap *map, guint32 csid)
{
  if (G_LIKELY (csid < N_SMALL_CSIDS))
    return map->small[csid];
  if (map->large == NULL)
    return NULL;
  return g_hash_table_lookup (map->large, GUINT_TO_POINTER (csid));
}

static void
stream_map_insert (StreamMap *map, guint32 csid, gpointer state)
{
  if (csid < N_SMALL_CSIDS) {
    map->small[csid] = state;
  } else {
    if (map->large == NULL)
      map->large = g_hash_table_new_full (NULL, NULL, NULL, map->free_state);
    g_hash_table_insert (map->large, GUINT_TO_POINTER (csid), state);
  }
  map->n_streams++;
}

/* --- reader --- */

typedef struct
{
  guint32 csid;

  /* What the latest header of this chunk stream said; type 1, 2 and 3
   * headers inherit it (§5.3.1.2). */
  guint32 timestamp; /* absolute timestamp of the latest message */
  /* Timestamp field of the latest type 0/1/2 header: a delta, or for type
   * 0 the absolute timestamp. A type 3 chunk that starts a new message adds
   * it to the previous timestamp (§5.3.1.2.4 says a type 3 may follow a
   * type 0 directly when the delta equals the first timestamp). */
  guint32 delta;
  guint32 length;
  guint8 type;
  guint32 stream_id;
  /* The latest type 0/1/2 header carried an extended timestamp, and its
   * value: type 3 chunks should repeat it (§5.3.1.3). */
  gboolean extended;
  guint32 extended_value;

  /* The message being assembled: allocated with its full length when its
   * first chunk arrives, so each payload byte is copied once. */
  gboolean in_message;
  guint8 *buffer; /* owned; NULL when the length is 0 */
  guint32 received;
  /* The one byte that starts a continuation chunk of this message when it
   * has a one-byte basic header and no extended timestamp, else -1. */
  gint continuation_byte;
} ReaderStream;

struct _RtmpChunkReader
{
  RtmpLimits limits;
  guint32 chunk_size;
  guint32 bytes_read;
  gsize buffered_bytes; /* sum of the lengths of incomplete messages */
  gboolean failed;
  StreamMap streams;

  /* Set while reading a chunk's payload: the stream it belongs to and how
   * many payload bytes the chunk still has. */
  ReaderStream *current;
  guint32 chunk_left;

  /* An incomplete header carried over between calls. After a type 3 header
   * whose candidate extended timestamp turned out to be absent, it may also
   * hold up to 4 bytes that follow the header (see parse_header ()). */
  guint8 pending[MAX_HEADER_LEN];
  guint pending_len;

  /* The librtmp quirk below was logged once */
  gboolean warned_missing_extended;
  RtmpLogFunc log_func;
  gpointer log_user_data;
  GDestroyNotify log_notify;
};

typedef struct
{
  guint8 fmt;
  guint32 csid;
  gsize len;            /* bytes of the header */
  ReaderStream *stream; /* existing state, or NULL (type 0 only) */
  /* type 0/1/2: the timestamp field, or the extended timestamp */
  guint32 timestamp;
  gboolean extended;
  /* type 0/1 */
  guint32 length;
  guint8 type;
  /* type 0 */
  guint32 stream_id;
  /* type 3: the expected extended timestamp was not there */
  gboolean missing_extended;
} ChunkHeader;

typedef enum
{
  PARSE_OK,
  PARSE_NEED_MORE,
  PARSE_ERROR,
} ParseResult;

static void
reader_stream_free (gpointer data)
{
  ReaderStream *s = data;

  g_free (s->buffer);
  g_free (s);
}

static void reader_log (RtmpChunkReader *reader, GLogLevelFlags level,
    const gchar *format, ...) G_GNUC_PRINTF (3, 4);

static void
reader_log (RtmpChunkReader *reader, GLogLevelFlags level, const gchar *format,
    ...)
{
  g_autofree gchar *text = NULL;
  va_list args;

  if (reader->log_func == NULL)
    return;
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  reader->log_func (level, text, reader->log_user_data);
}

RtmpChunkReader *
rtmp_chunk_reader_new (const RtmpLimits *limits)
{
  RtmpChunkReader *reader = g_new0 (RtmpChunkReader, 1);

  if (limits != NULL)
    reader->limits = *limits;
  else
    rtmp_limits_init_default (&reader->limits);
  reader->chunk_size = RTMP_DEFAULT_CHUNK_SIZE;
  stream_map_init (&reader->streams, reader_stream_free);
  return reader;
}

void
rtmp_chunk_reader_free (RtmpChunkReader *reader)
{
  if (reader == NULL)
    return;
  stream_map_clear (&reader->streams);
  if (reader->log_notify != NULL)
    reader->log_notify (reader->log_user_data);
  g_free (reader);
}

void
rtmp_chunk_reader_set_log_func (RtmpChunkReader *reader, RtmpLogFunc func,
    gpointer user_data, GDestroyNotify notify)
{
  g_return_if_fail (reader != NULL);

  if (reader->log_notify != NULL)
    reader->log_notify (reader->log_user_data);
  reader->log_func = func;
  reader->log_user_data = user_data;
  reader->log_notify = notify;
}

guint32
rtmp_chunk_reader_get_chunk_size (const RtmpChunkReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);

  return reader->chunk_size;
}

guint32
rtmp_chunk_reader_get_bytes_read (const RtmpChunkReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);

  return reader->bytes_read;
}

gsize
rtmp_chunk_reader_get_buffered_bytes (const RtmpChunkReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);

  return reader->buffered_bytes;
}

guint
rtmp_chunk_reader_get_n_chunk_streams (const RtmpChunkReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);

  return reader->streams.n_streams;
}

/* Checks that a message of @length may start on @csid. */
static gboolean
check_new_message (RtmpChunkReader *reader, guint32 csid, guint32 length,
    GError **error)
{
  if (length > reader->limits.max_message_bytes) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "chunk stream %u: message length %u exceeds limit %u", csid, length,
        reader->limits.max_message_bytes);
    return FALSE;
  }
  if (length > reader->limits.max_buffered_bytes
      || reader->buffered_bytes > reader->limits.max_buffered_bytes - length) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "chunk stream %u: message of %u bytes would raise the bytes held for "
        "incomplete messages from %" G_GSIZE_FORMAT " to %" G_GSIZE_FORMAT
        ", limit %" G_GSIZE_FORMAT,
        csid, length, reader->buffered_bytes, reader->buffered_bytes + length,
        reader->limits.max_buffered_bytes);
    return FALSE;
  }
  return TRUE;
}

/* Parses the chunk header at @p without changing any state. Everything that
 * can be wrong with a header is checked here, so that apply_header () cannot
 * fail. On PARSE_NEED_MORE, *need is the header length known so far (it
 * grows as more of the header is seen, up to MAX_HEADER_LEN). */
static ParseResult
parse_header (RtmpChunkReader *reader, const guint8 *p, gsize avail,
    ChunkHeader *h, gsize *need, GError **error)
{
  RtmpBytesReader r;
  ReaderStream *s;
  guint8 b0, b1, b2;
  gsize base_len;
  guint32 length;

  rtmp_bytes_reader_init (&r, p, avail);

  /* basic header (§5.3.1.1) */
  if (!rtmp_bytes_read_u8 (&r, &b0)) {
    r.pos = 1;
    goto need_more;
  }
  h->fmt = b0 >> 6;
  switch (b0 & 0x3f) {
    case CSID_TWO_BYTE:
      if (!rtmp_bytes_read_u8 (&r, &b1)) {
        r.pos = 2;
        goto need_more;
      }
      h->csid = CSID_MIN_TWO_BYTE + b1;
      break;
    case CSID_THREE_BYTE:
      if (!rtmp_bytes_read_u8 (&r, &b1) || !rtmp_bytes_read_u8 (&r, &b2)) {
        r.pos = 3;
        goto need_more;
      }
      h->csid = CSID_MIN_TWO_BYTE + b1 + ((guint32) b2 << 8);
      break;
    default:
      h->csid = b0 & 0x3f;
      break;
  }

  s = h->stream = stream_map_lookup (&reader->streams, h->csid);
  if (s == NULL) {
    if (h->fmt != RTMP_CHUNK_TYPE_0)
      goto no_previous_header;
    if (reader->streams.n_streams >= reader->limits.max_chunk_streams)
      goto too_many_streams;
  } else if (s->in_message && h->fmt != RTMP_CHUNK_TYPE_3) {
    goto header_inside_message;
  }

  /* message header (§5.3.1.2) */
  base_len = r.pos + message_header_sizes[h->fmt];
  if (rtmp_bytes_reader_remaining (&r) < message_header_sizes[h->fmt]) {
    r.pos = base_len;
    goto need_more;
  }
  h->missing_extended = FALSE;

  if (h->fmt == RTMP_CHUNK_TYPE_3) {
    h->len = base_len;
    if (!s->extended)
      goto new_message_checks;

    /* §5.3.1.3 says a type 3 chunk repeats the extended timestamp of the
     * latest type 0/1/2 header of its chunk stream, and FFmpeg, nginx-rtmp,
     * Flash and Debian's librtmp 2.4 do (tests/files/chunk/); OBS's librtmp
     * fork before obs-studio#10097 (OBS 30.1) and other librtmp derivatives
     * leave it out. Like rtmp2, look at the next 4 bytes: when they equal
     * the stored extended timestamp they are the repeated field, otherwise
     * they already belong to the payload (or, for a chunk of fewer than 4
     * bytes, to the next header). A payload from such a peer that happens
     * to start with those 4 bytes is misread; the wire cannot tell. */
    {
      guint32 candidate;

      if (!rtmp_bytes_read_u32_be (&r, &candidate)) {
        r.pos = base_len + 4;
        goto need_more;
      }
      if (candidate == s->extended_value)
        h->len = base_len + 4;
      else
        h->missing_extended = TRUE;
    }
    goto new_message_checks;
  }

  rtmp_bytes_read_u24_be (&r, &h->timestamp);
  if (h->fmt <= RTMP_CHUNK_TYPE_1) {
    rtmp_bytes_read_u24_be (&r, &h->length);
    rtmp_bytes_read_u8 (&r, &h->type);
  }
  if (h->fmt == RTMP_CHUNK_TYPE_0) {
    /* §5.3.1.2.1: the only little-endian field of the protocol */
    rtmp_bytes_read_u32_le (&r, &h->stream_id);
  }
  h->extended = h->timestamp == TIMESTAMP_EXTENDED;
  if (h->extended && !rtmp_bytes_read_u32_be (&r, &h->timestamp)) {
    r.pos = base_len + 4;
    goto need_more;
  }
  h->len = r.pos;

new_message_checks:
  /* every header but a type 3 continuation starts a message */
  if (s != NULL && s->in_message)
    return PARSE_OK;
  length = h->fmt <= RTMP_CHUNK_TYPE_1 ? h->length : s->length;
  if (!check_new_message (reader, h->csid, length, error))
    return PARSE_ERROR;
  return PARSE_OK;

need_more:
  *need = r.pos;
  return PARSE_NEED_MORE;

  /* ERRORS */
no_previous_header : {
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
      "chunk stream %u: type %u chunk header without a previous type 0 "
      "header on this chunk stream",
      h->csid, h->fmt);
  return PARSE_ERROR;
}
too_many_streams : {
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
      "chunk stream %u: would be chunk stream number %u, limit %u", h->csid,
      reader->streams.n_streams + 1, reader->limits.max_chunk_streams);
  return PARSE_ERROR;
}
header_inside_message : {
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
      "chunk stream %u: type %u chunk header inside a message (%u of %u "
      "bytes received)",
      h->csid, h->fmt, s->received, s->length);
  return PARSE_ERROR;
}
}

/* Updates the chunk stream from a header parse_header () accepted and makes
 * its payload current. Returns TRUE when that completes a message (one of
 * length 0). *stream is set to the header's chunk stream. */
static gboolean
apply_header (RtmpChunkReader *reader, const ChunkHeader *h,
    ReaderStream **stream)
{
  ReaderStream *s = h->stream;

  if (s == NULL) {
    s = g_new0 (ReaderStream, 1);
    s->csid = h->csid;
    stream_map_insert (&reader->streams, h->csid, s);
  }
  *stream = s;

  switch (h->fmt) {
    case RTMP_CHUNK_TYPE_0:
      s->stream_id = h->stream_id;
      /* fall through */
    case RTMP_CHUNK_TYPE_1:
      s->length = h->length;
      s->type = h->type;
      /* fall through */
    case RTMP_CHUNK_TYPE_2:
      s->delta = h->timestamp;
      s->extended = h->extended;
      s->extended_value = h->timestamp;
      break;
    case RTMP_CHUNK_TYPE_3:
      if (h->missing_extended && !reader->warned_missing_extended) {
        reader->warned_missing_extended = TRUE;
        reader_log (reader, G_LOG_LEVEL_WARNING,
            "chunk stream %u: type 3 chunk without the extended timestamp "
            "%u (an old librtmp-based peer?); accepting such chunks",
            s->csid, s->extended_value);
      }
      break;
  }

  if (!s->in_message) {
    /* §5.3.1.2: type 0 carries the absolute timestamp; the others add a
     * delta, modulo 2^32 */
    if (h->fmt == RTMP_CHUNK_TYPE_0)
      s->timestamp = h->timestamp;
    else
      s->timestamp += s->delta;
    s->received = 0;
    if (s->length == 0)
      return TRUE;
    s->in_message = TRUE;
    s->continuation_byte = s->csid < CSID_MIN_TWO_BYTE && !s->extended
        ? (gint) ((RTMP_CHUNK_TYPE_3 << 6) | s->csid)
        : -1;
    s->buffer = g_malloc (s->length);
    reader->buffered_bytes += s->length;
  }

  reader->current = s;
  reader->chunk_left = MIN (reader->chunk_size, s->length - s->received);
  return FALSE;
}

/* Copies up to @len payload bytes of the current chunk. Returns TRUE when
 * that completes the message. */
static inline gboolean
read_payload (RtmpChunkReader *reader, const guint8 *data, gsize len,
    gsize *used)
{
  ReaderStream *s = reader->current;
  gsize n = MIN (reader->chunk_left, len);

  memcpy (s->buffer + s->received, data, n);
  s->received += n;
  reader->chunk_left -= n;
  *used = n;
  if (reader->chunk_left > 0)
    return FALSE;
  reader->current = NULL;
  return s->received == s->length;
}

/* Hands the completed message of @s out and applies Set Chunk Size and
 * Abort Message (§5.4.1, §5.4.2). */
static gboolean
finish_message (RtmpChunkReader *reader, ReaderStream *s, RtmpMessage **message,
    GError **error)
{
  GBytes *payload;
  RtmpMessage *m;
  guint32 value;

  if (s->in_message) {
    payload = g_bytes_new_take (g_steal_pointer (&s->buffer), s->length);
    reader->buffered_bytes -= s->length;
    s->in_message = FALSE;
  } else {
    payload = g_bytes_new_static ("", 0);
  }
  m = rtmp_message_new_take (s->type, s->timestamp, s->stream_id, s->csid,
      payload);

  switch (m->type) {
    case RTMP_MESSAGE_SET_CHUNK_SIZE:
      if (!rtmp_message_parse_u32 (m, &value, error))
        goto bad_control;
      /* The size changes framing only: memory is reserved per message
       * length, never per chunk size. */
      reader->chunk_size = value;
      break;
    case RTMP_MESSAGE_ABORT: {
      ReaderStream *aborted;

      if (!rtmp_message_parse_u32 (m, &value, error))
        goto bad_control;
      aborted = value <= RTMP_MAX_CSID
          ? stream_map_lookup (&reader->streams, value)
          : NULL;
      if (aborted != NULL && aborted->in_message) {
        g_clear_pointer (&aborted->buffer, g_free);
        reader->buffered_bytes -= aborted->length;
        aborted->in_message = FALSE;
        aborted->received = 0;
      }
      break;
    }
    default:
      break;
  }

  *message = m;
  return TRUE;

  /* ERRORS */
bad_control : {
  g_prefix_error (error, "chunk stream %u: ", s->csid);
  rtmp_message_free (m);
  return FALSE;
}
}

RtmpReadResult
rtmp_chunk_reader_read (RtmpChunkReader *reader, const guint8 *data, gsize len,
    gsize *consumed, RtmpMessage **message, GError **error)
{
  RtmpBytesReader in;
  gsize used, need;
  ChunkHeader h;
  ParseResult res;
  gboolean complete;
  ReaderStream *s;

  g_return_val_if_fail (reader != NULL, RTMP_READ_ERROR);
  g_return_val_if_fail (!reader->failed, RTMP_READ_ERROR);
  g_return_val_if_fail (data != NULL || len == 0, RTMP_READ_ERROR);
  g_return_val_if_fail (consumed != NULL, RTMP_READ_ERROR);
  g_return_val_if_fail (message != NULL, RTMP_READ_ERROR);
  g_return_val_if_fail (error == NULL || *error == NULL, RTMP_READ_ERROR);

  *message = NULL;
  rtmp_bytes_reader_init (&in, data, len);

  for (;;) {
    if (reader->current != NULL) {
      s = reader->current;
      /* The payload of the current chunk, then of the following chunks
       * while they continue the same message with a one-byte type 3 header
       * and no extended timestamp: the common case, kept in a tight loop. */
      for (;;) {
        gsize n = MIN (reader->chunk_left, rtmp_bytes_reader_remaining (&in));
        const guint8 *p;
        guint8 b0;

        if (n == 0)
          goto need_more;
        rtmp_bytes_read_pointer (&in, n, &p);
        memcpy (s->buffer + s->received, p, n);
        s->received += n;
        reader->chunk_left -= n;
        if (reader->chunk_left > 0)
          goto need_more;
        if (s->received == s->length) {
          reader->current = NULL;
          goto message_complete;
        }
        if (!rtmp_bytes_peek_u8 (&in, &b0) || b0 != s->continuation_byte)
          break;
        rtmp_bytes_skip (&in, 1);
        reader->chunk_left = MIN (reader->chunk_size, s->length - s->received);
      }
      reader->current = NULL;
    }

    if (reader->pending_len == 0) {
      guint8 b0;

      /* the same kind of chunk, continuing a message on another chunk
       * stream (audio between video chunks) */
      if (rtmp_bytes_peek_u8 (&in, &b0) && (b0 >> 6) == RTMP_CHUNK_TYPE_3) {
        s = reader->streams.small[b0 & 0x3f];
        if (s != NULL && s->in_message && b0 == s->continuation_byte) {
          rtmp_bytes_skip (&in, 1);
          reader->current = s;
          reader->chunk_left
              = MIN (reader->chunk_size, s->length - s->received);
          continue;
        }
      }

      /* otherwise the whole header is usually in @data */
      res = parse_header (reader, rtmp_bytes_reader_peek_pointer (&in),
          rtmp_bytes_reader_remaining (&in), &h, &need, error);
      if (res == PARSE_OK) {
        rtmp_bytes_skip (&in, h.len);
        if (apply_header (reader, &h, &s))
          goto message_complete;
        continue;
      }
      if (res == PARSE_ERROR)
        goto failed;
    }

    /* The header is split across calls: gather it in reader->pending,
     * taking no byte beyond what the header needs. */
    for (;;) {
      gsize take;

      res = parse_header (reader, reader->pending, reader->pending_len, &h,
          &need, error);
      if (res == PARSE_OK)
        break;
      if (res == PARSE_ERROR)
        goto failed;
      g_assert (need > reader->pending_len && need <= MAX_HEADER_LEN);
      take
          = MIN (need - reader->pending_len, rtmp_bytes_reader_remaining (&in));
      if (take == 0)
        goto need_more;
      memcpy (reader->pending + reader->pending_len,
          rtmp_bytes_reader_peek_pointer (&in), take);
      rtmp_bytes_skip (&in, take);
      reader->pending_len += take;
    }

    complete = apply_header (reader, &h, &s);
    /* Bytes after the header were read to look for an extended timestamp
     * that was not there: they are payload, then the next header. */
    reader->pending_len -= h.len;
    memmove (reader->pending, reader->pending + h.len, reader->pending_len);
    if (!complete && reader->pending_len > 0) {
      complete
          = read_payload (reader, reader->pending, reader->pending_len, &used);
      reader->pending_len -= used;
      memmove (reader->pending, reader->pending + used, reader->pending_len);
    }
    if (complete)
      goto message_complete;
  }

need_more:
  g_assert (rtmp_bytes_reader_remaining (&in) == 0);
  *consumed = len;
  reader->bytes_read += len;
  return RTMP_READ_NEED_MORE;

message_complete:
  *consumed = in.pos;
  reader->bytes_read += in.pos;
  if (!finish_message (reader, s, message, error))
    goto failed;
  return RTMP_READ_OK;

failed:
  reader->failed = TRUE;
  return RTMP_READ_ERROR;
}

/* --- writer --- */

typedef struct
{
  /* what the latest header on this chunk stream said */
  guint32 timestamp;
  guint32 length;
  guint8 type;
  guint32 stream_id;
} WriterStream;

struct _RtmpChunkWriter
{
  RtmpOutputQueue *output; /* borrowed from the caller */
  guint32 chunk_size;
  StreamMap streams;
};

RtmpChunkWriter *
rtmp_chunk_writer_new (RtmpOutputQueue *output)
{
  RtmpChunkWriter *writer;

  g_return_val_if_fail (output != NULL, NULL);

  writer = g_new0 (RtmpChunkWriter, 1);
  writer->output = output;
  writer->chunk_size = RTMP_DEFAULT_CHUNK_SIZE;
  stream_map_init (&writer->streams, g_free);
  return writer;
}

void
rtmp_chunk_writer_free (RtmpChunkWriter *writer)
{
  if (writer == NULL)
    return;
  stream_map_clear (&writer->streams);
  g_free (writer);
}

static gsize
put_basic_header (guint8 *p, RtmpChunkType fmt, guint32 csid)
{
  if (csid < CSID_MIN_TWO_BYTE) {
    p[0] = (fmt << 6) | csid;
    return 1;
  }
  if (csid < CSID_MIN_THREE_BYTE) {
    p[0] = (fmt << 6) | CSID_TWO_BYTE;
    p[1] = csid - CSID_MIN_TWO_BYTE;
    return 2;
  }
  p[0] = (fmt << 6) | CSID_THREE_BYTE;
  p[1] = (csid - CSID_MIN_TWO_BYTE) & 0xff;
  p[2] = (csid - CSID_MIN_TWO_BYTE) >> 8;
  return 3;
}

gsize
rtmp_chunk_writer_write (RtmpChunkWriter *writer, const RtmpMessage *message)
{
  guint8 header[MAX_HEADER_LEN];
  guint8 continuation[MAX_HEADER_LEN];
  gsize header_len, continuation_len, length, offset, n, total;
  guint32 csid, field;
  RtmpChunkType fmt;
  WriterStream *s;
  gboolean extended;

  g_return_val_if_fail (writer != NULL, 0);
  g_return_val_if_fail (message != NULL, 0);
  g_return_val_if_fail (message->payload != NULL, 0);

  length = g_bytes_get_size (message->payload);
  csid = message->csid
      ? message->csid
      : rtmp_message_default_csid (message->type, message->stream_id);
  g_return_val_if_fail (length <= RTMP_MAX_MESSAGE_LENGTH, 0);
  g_return_val_if_fail (csid >= RTMP_MIN_CSID && csid <= RTMP_MAX_CSID, 0);

  s = stream_map_lookup (&writer->streams, csid);
  if (s == NULL) {
    s = g_new0 (WriterStream, 1);
    stream_map_insert (&writer->streams, csid, s);
    fmt = RTMP_CHUNK_TYPE_0;
  } else if (s->stream_id != message->stream_id
      || message->timestamp - s->timestamp >= 0x80000000u) {
    /* another message stream, or the timestamp went backwards (modulo
     * 2^32, so that a wrap counts as going forwards): absolute timestamp */
    fmt = RTMP_CHUNK_TYPE_0;
  } else if (s->length == length && s->type == message->type) {
    fmt = RTMP_CHUNK_TYPE_2;
  } else {
    fmt = RTMP_CHUNK_TYPE_1;
  }
  /* Never a type 3 header for a new message, even when the delta repeats:
   * some peers take every type 3 chunk for a continuation. */

  field = fmt == RTMP_CHUNK_TYPE_0 ? message->timestamp
                                   : message->timestamp - s->timestamp;
  extended = field >= TIMESTAMP_EXTENDED;

  header_len = put_basic_header (header, fmt, csid);
  header_len += rtmp_bytes_put_u24_be (header + header_len,
      extended ? TIMESTAMP_EXTENDED : field);
  if (fmt <= RTMP_CHUNK_TYPE_1) {
    header_len += rtmp_bytes_put_u24_be (header + header_len, length);
    header[header_len++] = message->type;
  }
  if (fmt == RTMP_CHUNK_TYPE_0)
    header_len
        += rtmp_bytes_put_u32_le (header + header_len, message->stream_id);
  if (extended)
    header_len += rtmp_bytes_put_u32_be (header + header_len, field);

  /* §5.3.1.3: continuation chunks repeat the extended timestamp (FFmpeg
   * and nginx-rtmp expect it) */
  continuation_len = put_basic_header (continuation, RTMP_CHUNK_TYPE_3, csid);
  if (extended)
    continuation_len
        += rtmp_bytes_put_u32_be (continuation + continuation_len, field);

  n = MIN (length, writer->chunk_size);
  rtmp_output_queue_push_inline (writer->output, header, header_len);
  rtmp_output_queue_push_bytes (writer->output, message->payload, 0, n);
  total = header_len + n;
  for (offset = n; offset < length; offset += n) {
    n = MIN (length - offset, writer->chunk_size);
    rtmp_output_queue_push_inline (writer->output, continuation,
        continuation_len);
    rtmp_output_queue_push_bytes (writer->output, message->payload, offset, n);
    total += continuation_len + n;
  }

  s->timestamp = message->timestamp;
  s->length = length;
  s->type = message->type;
  s->stream_id = message->stream_id;
  return total;
}

void
rtmp_chunk_writer_set_chunk_size (RtmpChunkWriter *writer, guint32 chunk_size)
{
  g_autoptr (RtmpMessage) message = NULL;

  g_return_if_fail (writer != NULL);
  g_return_if_fail (chunk_size >= 1 && chunk_size <= RTMP_MAX_CHUNK_SIZE);

  /* the message itself goes out in chunks of the old size (§5.4.1) */
  message = rtmp_message_new_set_chunk_size (chunk_size);
  rtmp_chunk_writer_write (writer, message);
  writer->chunk_size = chunk_size;
}

guint32
rtmp_chunk_writer_get_chunk_size (const RtmpChunkWriter *writer)
{
  g_return_val_if_fail (writer != NULL, 0);

  return writer->chunk_size;
}
