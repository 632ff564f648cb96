/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Chunk stream throughput: the reader on bytes in memory and the writer
 * through writev into a socketpair, each against memcpy (and the writer
 * against a plain writev of the unchunked payload) in the same run. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rtmpchunk.h"

#define MESSAGE_BYTES (1024 * 1024)
/* Messages in the reader's input: enough that it does not sit in L2. */
#define N_READER_MESSAGES 8
#define READ_PIECE (64 * 1024)
#define SOCKET_BUFFER (4 * 1024 * 1024)
#define MIN_DURATION_US G_USEC_PER_SEC

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

/* Keeps the compiler from dropping the copies the baselines make. */
static volatile guint8 sink;

static gdouble
mb_per_s (guint64 bytes, gint64 us)
{
  return (gdouble) bytes / (gdouble) us; /* bytes per µs = MB/s */
}

/* --- memcpy baseline --- */

/* Copies @len bytes from @src, message by message, into one destination
 * buffer of a message's size, the way the reader fills message buffers. */
static gdouble
bench_memcpy (const guint8 *src, gsize len)
{
  guint8 *dst = g_malloc (MESSAGE_BYTES);
  guint64 bytes = 0;
  gint64 start = g_get_monotonic_time (), elapsed;

  memset (dst, 0, MESSAGE_BYTES);
  do {
    gsize pos;

    for (pos = 0; pos < len; pos += MESSAGE_BYTES) {
      gsize n = MIN (MESSAGE_BYTES, len - pos);

      memcpy (dst, src + pos, n);
      sink = dst[n - 1];
      bytes += n;
    }
    elapsed = g_get_monotonic_time () - start;
  } while (elapsed < MIN_DURATION_US);
  g_free (dst);
  return mb_per_s (bytes, elapsed);
}

/* --- reader --- */

static GBytes *
make_payload (guint seed)
{
  guint8 *data = g_malloc (MESSAGE_BYTES);
  guint32 x = seed * 2654435761u + 1;
  gsize i;

  for (i = 0; i < MESSAGE_BYTES; i++) {
    x = x * 1103515245u + 12345u;
    data[i] = x >> 24;
  }
  return g_bytes_new_take (data, MESSAGE_BYTES);
}

/* The wire bytes of a Set Chunk Size and N_READER_MESSAGES video messages,
 * 40 ms apart. */
static GBytes *
make_wire (guint32 chunk_size, GBytes *payload)
{
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  g_autoptr (RtmpChunkWriter) writer = rtmp_chunk_writer_new (queue);
  GByteArray *wire = g_byte_array_new ();
  RtmpOutputVector v[64];
  guint i, n;

  rtmp_chunk_writer_set_chunk_size (writer, chunk_size);
  for (i = 0; i < N_READER_MESSAGES; i++) {
    g_autoptr (RtmpMessage) m
        = rtmp_message_new (RTMP_MESSAGE_VIDEO, i * 40, 1, 0, payload);

    rtmp_chunk_writer_write (writer, m);
  }
  while ((n = rtmp_output_queue_peek (queue, v, G_N_ELEMENTS (v))) > 0) {
    gsize total = 0;

    for (i = 0; i < n; i++) {
      g_byte_array_append (wire, v[i].data, v[i].len);
      total += v[i].len;
    }
    rtmp_output_queue_consume (queue, total);
  }
  return g_byte_array_free_to_bytes (wire);
}

/* Payload MB/s of the reader over @wire fed in READ_PIECE pieces. */
static gdouble
bench_reader (GBytes *wire_bytes)
{
  gsize len;
  const guint8 *wire = g_bytes_get_data (wire_bytes, &len);
  guint64 bytes = 0;
  gint64 start = g_get_monotonic_time (), elapsed;

  do {
    g_autoptr (RtmpChunkReader) reader = rtmp_chunk_reader_new (NULL);
    gsize pos;

    for (pos = 0; pos < len;) {
      gsize piece = MIN (READ_PIECE, len - pos), off = 0;

      for (;;) {
        g_autoptr (GError) error = NULL;
        RtmpMessage *m = NULL;
        gsize consumed;
        RtmpReadResult res = rtmp_chunk_reader_read (reader, wire + pos + off,
            piece - off, &consumed, &m, &error);

        if (res == RTMP_READ_ERROR)
          g_error ("reader failed: %s", error->message);
        off += consumed;
        if (res == RTMP_READ_NEED_MORE)
          break;
        if (m->type == RTMP_MESSAGE_VIDEO)
          bytes += g_bytes_get_size (m->payload);
        rtmp_message_free (m);
      }
      pos += piece;
    }
    elapsed = g_get_monotonic_time () - start;
  } while (elapsed < MIN_DURATION_US);
  return mb_per_s (bytes, elapsed);
}

/* --- writer --- */

typedef struct
{
  int fd;
  guint64 bytes;
} Drain;

/* Reads until end of stream: the other side of the socketpair. */
static gpointer
drain_thread (gpointer data)
{
  Drain *drain = data;
  guint8 *buf = g_malloc (SOCKET_BUFFER);

  for (;;) {
    ssize_t n = read (drain->fd, buf, SOCKET_BUFFER);

    if (n > 0) {
      drain->bytes += n;
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      g_error ("read: %s", g_strerror (errno));
    }
  }
  g_free (buf);
  return NULL;
}

typedef struct
{
  int fds[2];
  Drain drain;
  GThread *thread;
  int sndbuf, rcvbuf;
} Pipe;

static void
pipe_open (Pipe *p)
{
  int size = SOCKET_BUFFER;
  socklen_t optlen = sizeof (int);

  if (socketpair (AF_UNIX, SOCK_STREAM, 0, p->fds) < 0)
    g_error ("socketpair: %s", g_strerror (errno));
  /* the kernel caps these at net.core.wmem_max / rmem_max */
  setsockopt (p->fds[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof (size));
  setsockopt (p->fds[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof (size));
  getsockopt (p->fds[0], SOL_SOCKET, SO_SNDBUF, &p->sndbuf, &optlen);
  optlen = sizeof (int);
  getsockopt (p->fds[1], SOL_SOCKET, SO_RCVBUF, &p->rcvbuf, &optlen);
  p->drain.fd = p->fds[1];
  p->drain.bytes = 0;
  p->thread = g_thread_new ("drain", drain_thread, &p->drain);
}

/* Closes the writing side and waits until everything written was read. */
static guint64
pipe_close (Pipe *p)
{
  close (p->fds[0]);
  g_thread_join (p->thread);
  close (p->fds[1]);
  return p->drain.bytes;
}

static void
write_all (int fd, struct iovec *iov, int n_iov, gsize *written)
{
  ssize_t n;

  do {
    n = writev (fd, iov, n_iov);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    g_error ("writev: %s", g_strerror (errno));
  *written = n;
}

/* Payload MB/s of writer + output queue + writev at @chunk_size. */
static gdouble
bench_writer (guint32 chunk_size, GBytes *payload, guint64 *wire_bytes)
{
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  g_autoptr (RtmpChunkWriter) writer = rtmp_chunk_writer_new (queue);
  RtmpOutputVector *v = g_new (RtmpOutputVector, IOV_MAX);
  struct iovec *iov = g_new (struct iovec, IOV_MAX);
  guint64 bytes = 0;
  guint32 timestamp = 0;
  gint64 start, elapsed;
  Pipe p;

  pipe_open (&p);
  rtmp_chunk_writer_set_chunk_size (writer, chunk_size);
  start = g_get_monotonic_time ();
  do {
    g_autoptr (RtmpMessage) m
        = rtmp_message_new (RTMP_MESSAGE_VIDEO, timestamp, 1, 0, payload);

    timestamp += 40;
    rtmp_chunk_writer_write (writer, m);
    while (rtmp_output_queue_get_size (queue) > 0) {
      guint i, n = rtmp_output_queue_peek (queue, v, IOV_MAX);
      gsize written;

      for (i = 0; i < n; i++) {
        iov[i].iov_base = (void *) v[i].data;
        iov[i].iov_len = v[i].len;
      }
      write_all (p.fds[0], iov, n, &written);
      rtmp_output_queue_consume (queue, written);
    }
    bytes += MESSAGE_BYTES;
    elapsed = g_get_monotonic_time () - start;
  } while (elapsed < MIN_DURATION_US);
  *wire_bytes = rtmp_output_queue_get_consumed_total (queue);
  if (pipe_close (&p) != *wire_bytes)
    g_error ("the drain thread lost bytes");
  g_free (v);
  g_free (iov);
  return mb_per_s (bytes, elapsed);
}

/* Payload MB/s of writev of the unchunked payload, one vector a call. */
static gdouble
bench_writev (GBytes *payload, int *sndbuf, int *rcvbuf)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (payload, &len);
  guint64 bytes = 0;
  gint64 start, elapsed;
  Pipe p;

  pipe_open (&p);
  *sndbuf = p.sndbuf;
  *rcvbuf = p.rcvbuf;
  start = g_get_monotonic_time ();
  do {
    gsize pos = 0;

    while (pos < len) {
      struct iovec iov = { (void *) (data + pos), len - pos };
      gsize written;

      write_all (p.fds[0], &iov, 1, &written);
      pos += written;
    }
    bytes += len;
    elapsed = g_get_monotonic_time () - start;
  } while (elapsed < MIN_DURATION_US);
  if (pipe_close (&p) != bytes)
    g_error ("the drain thread lost bytes");
  return mb_per_s (bytes, elapsed);
}

int
main (int argc, char **argv)
{
  static const guint32 chunk_sizes[] = { 128, 4096, 65536 };
  g_autoptr (GBytes) payload = make_payload (1);
  guint i;
  int sndbuf = 0, rcvbuf = 0;

  g_print ("bench-chunk: %d-byte video messages; reader fed %d-byte pieces "
           "from memory, writer through writev into an AF_UNIX socketpair\n"
           "MB/s = 10^6 payload bytes per second; every figure is measured for "
           "at least 1 s\n\n",
      MESSAGE_BYTES, READ_PIECE);
  g_print ("%-6s | %9s %9s %7s | %9s %9s %9s %8s %8s\n", "chunk", "reader",
      "memcpy", "ratio", "writer", "writev", "memcpy", "/writev", "/memcpy");
  g_print ("%-6s | %9s %9s %7s | %9s %9s %9s %8s %8s\n", "size", "MB/s", "MB/s",
      "", "MB/s", "MB/s", "MB/s", "", "");
  g_print ("-------+-----------------------------+"
           "-----------------------------------------------\n");

  for (i = 0; i < G_N_ELEMENTS (chunk_sizes); i++) {
    g_autoptr (GBytes) wire = make_wire (chunk_sizes[i], payload);
    gsize wire_len;
    const guint8 *wire_data = g_bytes_get_data (wire, &wire_len);
    gdouble reader, memcpy_reader, writer, writev_plain, memcpy_writer;
    guint64 writer_wire;

    memcpy_reader = bench_memcpy (wire_data, wire_len);
    reader = bench_reader (wire);
    writev_plain = bench_writev (payload, &sndbuf, &rcvbuf);
    writer = bench_writer (chunk_sizes[i], payload, &writer_wire);
    memcpy_writer
        = bench_memcpy (g_bytes_get_data (payload, NULL), MESSAGE_BYTES);

    g_print ("%-6u | %9.0f %9.0f %6.0f%% | %9.0f %9.0f %9.0f %7.0f%% "
             "%7.0f%%\n",
        chunk_sizes[i], reader, memcpy_reader, 100 * reader / memcpy_reader,
        writer, writev_plain, memcpy_writer, 100 * writer / writev_plain,
        100 * writer / memcpy_writer);
  }
  g_print ("\nsocket buffers: SO_SNDBUF %d, SO_RCVBUF %d bytes (as granted)\n"
           "reader memcpy: the same input bytes copied message by message into "
           "one message-sized buffer\nwriter memcpy: the 1 MiB payload copied "
           "into another buffer\n",
      sndbuf, rcvbuf);
  return 0;
}
