/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The chunk stream (RTMP 1.0 §5.3): a reader that assembles messages from
 * chunks and a writer that splits messages into chunks. */

#ifndef __RTMP_CHUNK_H__
#define __RTMP_CHUNK_H__

#include <glib.h>
#include "rtmperror.h"
#include "rtmplimits.h"
#include "rtmpmessage.h"
#include "rtmpoutput.h"

G_BEGIN_DECLS

/* RTMP 1.0 §5.4.1 */
#define RTMP_DEFAULT_CHUNK_SIZE 128
#define RTMP_MAX_CHUNK_SIZE 0x7FFFFFFF
/* chunk stream ids 2..65599 (§5.3.1.1) */
#define RTMP_MIN_CSID 2
#define RTMP_MAX_CSID 65599

typedef enum
{
  RTMP_CHUNK_TYPE_0 = 0, /* 11-byte header: absolute timestamp */
  RTMP_CHUNK_TYPE_1 = 1, /* 7 bytes: delta, length, type */
  RTMP_CHUNK_TYPE_2 = 2, /* 3 bytes: delta */
  RTMP_CHUNK_TYPE_3 = 3, /* none */
} RtmpChunkType;

typedef struct _RtmpChunkReader RtmpChunkReader;

/* @limits (transfer none, copied; NULL = defaults) */
RtmpChunkReader *rtmp_chunk_reader_new (const RtmpLimits *limits);
void rtmp_chunk_reader_free (RtmpChunkReader *reader);
/* Tolerated interop quirks are reported here (silent when NULL); @notify
 * frees @user_data when replaced or with the reader. */
void rtmp_chunk_reader_set_log_func (RtmpChunkReader *reader, RtmpLogFunc func,
    gpointer user_data, GDestroyNotify notify);

/* Reads at most one message from @data. On RTMP_READ_OK *message is set
 * (transfer full) and *consumed says how many bytes were used; on
 * RTMP_READ_NEED_MORE all @len bytes were consumed (buffered or parsed into
 * partial state) and *consumed == len. Call again while it returns
 * RTMP_READ_OK, also once all of @data is consumed: a message can complete
 * from bytes held over from earlier calls (at most 4, read after a type 3
 * header to look for an extended timestamp the peer left out).
 *
 * Set Chunk Size and Abort Message (§5.4.1, §5.4.2) are applied by the
 * reader itself and also returned. Each message's payload is allocated at
 * its full length when its first chunk arrives (counted against
 * limits->max_buffered_bytes) and becomes the message's GBytes without
 * another copy. A type 0/1/2 header on a chunk stream whose message is
 * incomplete is RTMP_ERROR_MALFORMED (an Abort Message must come first).
 * Message types are not checked: type 0 or 200 come out as they are. After
 * RTMP_READ_ERROR the reader must be freed. */
RtmpReadResult rtmp_chunk_reader_read (RtmpChunkReader *reader,
    const guint8 *data, gsize len, gsize *consumed, RtmpMessage **message,
    GError **error);
guint32 rtmp_chunk_reader_get_chunk_size (const RtmpChunkReader *reader);
/* Bytes read from the wire so far (for acknowledgements), wraps at 2^32 as
 * the Acknowledgement sequence number does. */
guint32 rtmp_chunk_reader_get_bytes_read (const RtmpChunkReader *reader);
/* Bytes currently held for partial messages */
gsize rtmp_chunk_reader_get_buffered_bytes (const RtmpChunkReader *reader);
/* Chunk streams with state (bounded by limits->max_chunk_streams) */
guint rtmp_chunk_reader_get_n_chunk_streams (const RtmpChunkReader *reader);

typedef struct _RtmpChunkWriter RtmpChunkWriter;

/* @output (transfer none): the queue chunks are appended to, owned by the
 * caller and outliving the writer */
RtmpChunkWriter *rtmp_chunk_writer_new (RtmpOutputQueue *output);
void rtmp_chunk_writer_free (RtmpChunkWriter *writer);

/* Queues @message as chunks of the current chunk size, on message->csid (or
 * rtmp_message_default_csid () when 0). The payload is referenced, never
 * copied. Returns the number of bytes queued.
 *
 * Header types: 0 for the first message of a chunk stream, a new message
 * stream id or a timestamp that went backwards (modulo 2^32); 2 when
 * length and type repeat; 1 otherwise; 3 only for continuation chunks,
 * which repeat the extended timestamp when there is one (§5.3.1.3). */
gsize rtmp_chunk_writer_write (RtmpChunkWriter *writer,
    const RtmpMessage *message);
/* Queues a Set Chunk Size message (itself in chunks of the old size) and
 * then uses @chunk_size (1..RTMP_MAX_CHUNK_SIZE) for every following
 * chunk. */
void rtmp_chunk_writer_set_chunk_size (RtmpChunkWriter *writer,
    guint32 chunk_size);
guint32 rtmp_chunk_writer_get_chunk_size (const RtmpChunkWriter *writer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpChunkReader, rtmp_chunk_reader_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpChunkWriter, rtmp_chunk_writer_free)

G_END_DECLS

#endif /* __RTMP_CHUNK_H__ */
