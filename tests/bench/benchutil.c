/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the benchmark helpers: clock, FLV tags with frame numbers, FLV
 * files as tags, loopback sockets for RtmpSession. */

#include "benchutil.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "rtmpbytes.h"

/* Marks a benchmark frame inside a tag body; followed by the frame number
 * (32-bit big endian). */
static const guint8 frame_marker[8]
    = { 'R', 'T', 'M', 'P', 'B', 'N', 'C', 'H' };

gint64
bench_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

void
bench_sleep_until_ns (gint64 deadline_ns)
{
  struct timespec ts;

  ts.tv_sec = deadline_ns / G_GINT64_CONSTANT (1000000000);
  ts.tv_nsec = deadline_ns % G_GINT64_CONSTANT (1000000000);
  while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}

GBytes *
bench_flv_header_new (void)
{
  static const guint8 header[BENCH_FLV_HEADER_BYTES]
      = { 'F', 'L', 'V', 1, 0x05, 0, 0, 0, 9, 0, 0, 0, 0 };

  return g_bytes_new_static (header, sizeof (header));
}

static void
write_tag_header (guint8 *p, guint8 type, gsize body_bytes,
    guint32 timestamp_ms)
{
  p[0] = type;
  p[1] = (body_bytes >> 16) & 0xff;
  p[2] = (body_bytes >> 8) & 0xff;
  p[3] = body_bytes & 0xff;
  p[4] = (timestamp_ms >> 16) & 0xff;
  p[5] = (timestamp_ms >> 8) & 0xff;
  p[6] = timestamp_ms & 0xff;
  p[7] = (timestamp_ms >> 24) & 0xff;
  p[8] = p[9] = p[10] = 0;
}

GBytes *
bench_frame_tag_new (BenchFrameKind kind, guint32 index, guint32 timestamp_ms,
    gsize body_bytes, gboolean keyframe)
{
  gsize total, i, pos;
  guint8 *tag, *body;
  guint32 trailer;

  body_bytes = MAX (body_bytes, BENCH_FRAME_MIN_BODY_BYTES);
  total = BENCH_FLV_TAG_HEADER_BYTES + body_bytes + BENCH_FLV_TAG_TRAILER_BYTES;
  tag = g_malloc (total);
  write_tag_header (tag, kind, body_bytes, timestamp_ms);
  body = tag + BENCH_FLV_TAG_HEADER_BYTES;

  if (kind == BENCH_FRAME_VIDEO) {
    gsize nal_bytes = body_bytes - 9;

    /* AVC (codec 7), NALU packet, composition time 0, one NAL unit with a
     * 4-byte length: IDR slice for key frames, else a non-IDR slice */
    body[0] = keyframe ? 0x17 : 0x27;
    body[1] = 1;
    body[2] = body[3] = body[4] = 0;
    body[5] = (nal_bytes >> 24) & 0xff;
    body[6] = (nal_bytes >> 16) & 0xff;
    body[7] = (nal_bytes >> 8) & 0xff;
    body[8] = nal_bytes & 0xff;
    body[9] = keyframe ? 0x65 : 0x41;
    pos = 10;
  } else {
    /* AAC, 44 kHz, 16 bit, stereo; raw frame */
    body[0] = 0xaf;
    body[1] = 1;
    pos = 2;
  }
  memcpy (body + pos, frame_marker, sizeof (frame_marker));
  pos += sizeof (frame_marker);
  body[pos++] = (index >> 24) & 0xff;
  body[pos++] = (index >> 16) & 0xff;
  body[pos++] = (index >> 8) & 0xff;
  body[pos++] = index & 0xff;
  /* a pattern without the marker's first byte, so a search cannot match
   * inside the padding */
  for (i = pos; i < body_bytes; i++)
    body[i] = (guint8) (i * 7) | 0x80;

  trailer = BENCH_FLV_TAG_HEADER_BYTES + body_bytes;
  tag[total - 4] = (trailer >> 24) & 0xff;
  tag[total - 3] = (trailer >> 16) & 0xff;
  tag[total - 2] = (trailer >> 8) & 0xff;
  tag[total - 1] = trailer & 0xff;
  return g_bytes_new_take (tag, total);
}

gboolean
bench_frame_find (const guint8 *data, gsize len, gsize *offset, guint32 *index)
{
  gsize i = *offset;

  while (i + sizeof (frame_marker) + 4 <= len) {
    const guint8 *hit = memchr (data + i, frame_marker[0],
        len - i - sizeof (frame_marker) - 4 + 1);

    if (hit == NULL)
      break;
    i = hit - data;
    if (memcmp (hit, frame_marker, sizeof (frame_marker)) == 0) {
      RtmpBytesReader r;

      rtmp_bytes_reader_init (&r, hit + sizeof (frame_marker), 4);
      rtmp_bytes_read_u32_be (&r, index);
      *offset = i + sizeof (frame_marker) + 4;
      return TRUE;
    }
    i++;
  }
  *offset = len;
  return FALSE;
}

static void
clear_flv_tag (BenchFlvTag *tag)
{
  g_clear_pointer (&tag->tag, g_bytes_unref);
}

GArray *
bench_flv_file_read (const gchar *path, GError **error)
{
  g_autofree gchar *contents = NULL;
  GBytes *file;
  GArray *tags;
  const guint8 *data;
  gsize len, pos, total;
  RtmpBytesReader r;
  guint32 header_size;
  const guint8 *signature;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  rtmp_bytes_reader_init (&r, (const guint8 *) contents, len);
  if (!rtmp_bytes_read_pointer (&r, 3, &signature)
      || memcmp (signature, "FLV", 3) != 0 || !rtmp_bytes_skip (&r, 2)
      || !rtmp_bytes_read_u32_be (&r, &header_size) || header_size < 9
      || (gsize) header_size + 4 > len) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not an FLV file",
        path);
    return NULL;
  }
  file = g_bytes_new_take (g_steal_pointer (&contents), len);
  tags = g_array_new (FALSE, TRUE, sizeof (BenchFlvTag));
  g_array_set_clear_func (tags, (GDestroyNotify) clear_flv_tag);

  data = g_bytes_get_data (file, NULL);
  for (pos = header_size + 4; pos < len; pos += total) {
    BenchFlvTag tag;
    guint8 type, ts_ext;
    guint32 body, ts;

    rtmp_bytes_reader_init (&r, data + pos, len - pos);
    if (!rtmp_bytes_read_u8 (&r, &type) || !rtmp_bytes_read_u24_be (&r, &body)
        || !rtmp_bytes_read_u24_be (&r, &ts)
        || !rtmp_bytes_read_u8 (&r, &ts_ext))
      break;
    total = BENCH_FLV_TAG_HEADER_BYTES + (gsize) body
        + BENCH_FLV_TAG_TRAILER_BYTES;
    if (total > len - pos)
      break; /* a truncated last tag */
    tag.type = type & 0x1f;
    tag.timestamp_ms = ((guint32) ts_ext << 24) | ts;
    tag.tag = g_bytes_new_from_bytes (file, pos, total);
    g_array_append_val (tags, tag);
  }
  g_bytes_unref (file);
  return tags;
}

GBytes *
bench_flv_tag_retime (GBytes *tag, guint32 timestamp_ms)
{
  gsize len;
  guint8 *copy = g_bytes_unref_to_data (g_bytes_ref (tag), &len);

  copy[4] = (timestamp_ms >> 16) & 0xff;
  copy[5] = (timestamp_ms >> 8) & 0xff;
  copy[6] = timestamp_ms & 0xff;
  copy[7] = (timestamp_ms >> 24) & 0xff;
  return g_bytes_new_take (copy, len);
}

int
bench_listen_loopback (guint16 *port, GError **error)
{
  struct sockaddr_in addr = { 0 };
  socklen_t addr_len = sizeof (addr);
  int one = 1;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
  addr.sin_family = AF_INET;
  addr.sin_port = htons (*port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (bind (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0
      || listen (fd, 128) < 0
      || getsockname (fd, (struct sockaddr *) &addr, &addr_len) < 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "listening on 127.0.0.1:%u: %s", *port, g_strerror (errno));
    close (fd);
    return -1;
  }
  *port = ntohs (addr.sin_port);
  return fd;
}

int
bench_connect_loopback (guint16 port, GError **error)
{
  struct sockaddr_in addr = { 0 };
  int one = 1;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "connecting to 127.0.0.1:%u: %s", port, g_strerror (errno));
    close (fd);
    return -1;
  }
  return fd;
}

#define FLUSH_VECTORS 64

gboolean
bench_session_flush (RtmpSession *session, int fd, GError **error)
{
  while (rtmp_session_get_output_size (session) > 0) {
    RtmpOutputVector vectors[FLUSH_VECTORS];
    struct iovec iov[FLUSH_VECTORS];
    guint n = rtmp_session_peek_output (session, vectors, FLUSH_VECTORS), i;
    ssize_t written;

    for (i = 0; i < n; i++) {
      iov[i].iov_base = (void *) vectors[i].data;
      iov[i].iov_len = vectors[i].len;
    }
    written = writev (fd, iov, n);
    if (written < 0 && errno == EINTR)
      continue;
    if (written < 0) {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
          "writing: %s", g_strerror (errno));
      return FALSE;
    }
    rtmp_session_consume_output (session, written);
  }
  return TRUE;
}

void
bench_session_config_init (RtmpSessionConfig *config, RtmpSessionRole role,
    guint8 *random)
{
  gsize i;

  rtmp_session_config_init (config, role);
  for (i = 0; i < RTMP_SESSION_RANDOM_SIZE; i++)
    random[i] = g_random_int_range (0, 256);
  config->random = random;
  config->now_us = bench_now_ns () / 1000;
  config->epoch_ms = 0;
  config->phase_timeout_ms = 10000;
}

static gint
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

gdouble
bench_quantile (GArray *values, gdouble q)
{
  guint rank;

  if (values->len == 0)
    return NAN;
  g_array_sort (values, compare_doubles);
  rank = (guint) ceil (q * values->len);
  rank = CLAMP (rank, 1, values->len);
  return g_array_index (values, gdouble, rank - 1);
}
