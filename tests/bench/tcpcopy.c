/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The raw TCP reference of the publish benchmark: copies a file into a
 * loopback TCP connection with read () and write () in 64 KiB blocks (what
 * any publisher must at least do), or with one write () per FLV tag (as
 * many writes as a publisher that sends each tag at once), or receives and
 * discards such a copy. */

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "benchutil.h"
#include "rtmpbytes.h"

#define BLOCK_BYTES (64 * 1024)

static int
usage (void)
{
  fprintf (stderr,
      "usage: bench-tcpcopy send FILE PORT   copy FILE to 127.0.0.1:PORT\n"
      "       bench-tcpcopy send-tags FILE PORT  the same, one write per\n"
      "                                      FLV tag\n"
      "       bench-tcpcopy recv PORT        accept one connection on\n"
      "                                      127.0.0.1:PORT (0: any free\n"
      "                                      port, printed), read to EOF\n");
  return 2;
}

static gboolean
write_all (int fd, const guint8 *data, gsize len)
{
  while (len > 0) {
    ssize_t n = write (fd, data, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      fprintf (stderr, "bench-tcpcopy: write: %s\n", g_strerror (errno));
      return FALSE;
    }
    data += n;
    len -= n;
  }
  return TRUE;
}

static int
connect_to (int port)
{
  struct sockaddr_in addr = { 0 };
  int one = 1, sock;

  sock = socket (AF_INET, SOCK_STREAM, 0);
  /* the same socket option as the RTMP publishers */
  setsockopt (sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (sock, (struct sockaddr *) &addr, sizeof (addr)) < 0) {
    fprintf (stderr, "bench-tcpcopy: connect to port %d: %s\n", port,
        g_strerror (errno));
    close (sock);
    return -1;
  }
  return sock;
}

/* A clean end: the receiver reads everything before it sees EOF */
static void
finish (int sock, guint64 total)
{
  guint8 block[256];

  shutdown (sock, SHUT_WR);
  while (read (sock, block, sizeof (block)) > 0) {
  }
  close (sock);
  printf ("sent %" G_GUINT64_FORMAT " bytes\n", total);
}

static int
do_send (const char *path, int port)
{
  static guint8 block[BLOCK_BYTES];
  guint64 total = 0;
  int file, sock;

  file = open (path, O_RDONLY);
  if (file < 0) {
    fprintf (stderr, "bench-tcpcopy: %s: %s\n", path, g_strerror (errno));
    return 1;
  }
  sock = connect_to (port);
  if (sock < 0)
    return 1;
  for (;;) {
    ssize_t n = read (file, block, sizeof (block));

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      fprintf (stderr, "bench-tcpcopy: read %s: %s\n", path,
          g_strerror (errno));
      return 1;
    }
    if (n == 0)
      break;
    if (!write_all (sock, block, n))
      return 1;
    total += n;
  }
  close (file);
  finish (sock, total);
  return 0;
}

/* The file's bytes read as do_send () reads them, written with one write ()
 * per FLV tag (the file header and PreviousTagSize0 with the first tag): a
 * tag that a read splits is completed in the buffer before it is written */
static int
do_send_tags (const char *path, int port)
{
  gsize capacity = 2 * BLOCK_BYTES, have = 0, pos;
  /* bytes before the next tag that go with it: the file header */
  gsize extra = BENCH_FLV_HEADER_BYTES;
  guint8 *buf = g_malloc (capacity);
  guint64 total = 0;
  int file, sock;

  file = open (path, O_RDONLY);
  if (file < 0) {
    fprintf (stderr, "bench-tcpcopy: %s: %s\n", path, g_strerror (errno));
    return 1;
  }
  sock = connect_to (port);
  if (sock < 0)
    return 1;
  for (;;) {
    ssize_t n;

    if (capacity - have < BLOCK_BYTES) {
      capacity = have + BLOCK_BYTES;
      buf = g_realloc (buf, capacity);
    }
    n = read (file, buf + have, BLOCK_BYTES);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      fprintf (stderr, "bench-tcpcopy: read %s: %s\n", path,
          g_strerror (errno));
      return 1;
    }
    have += n;
    for (pos = 0; have - pos > extra;) {
      RtmpBytesReader r;
      guint8 type;
      guint32 body;
      gsize tag;

      rtmp_bytes_reader_init (&r, buf + pos + extra, have - pos - extra);
      if (!rtmp_bytes_read_u8 (&r, &type)
          || !rtmp_bytes_read_u24_be (&r, &body))
        break;
      tag = extra + BENCH_FLV_TAG_HEADER_BYTES + body
          + BENCH_FLV_TAG_TRAILER_BYTES;
      if (have - pos < tag)
        break;
      if (!write_all (sock, buf + pos, tag))
        return 1;
      total += tag;
      pos += tag;
      extra = 0;
    }
    if (n == 0) {
      /* a truncated last tag goes as it is */
      if (have > pos && !write_all (sock, buf + pos, have - pos))
        return 1;
      total += have - pos;
      break;
    }
    memmove (buf, buf + pos, have - pos);
    have -= pos;
  }
  close (file);
  g_free (buf);
  finish (sock, total);
  return 0;
}

static int
do_recv (int port)
{
  static guint8 block[BLOCK_BYTES];
  struct sockaddr_in addr = { 0 };
  socklen_t addr_len = sizeof (addr);
  int one = 1, listener, sock;
  guint64 total = 0;

  listener = socket (AF_INET, SOCK_STREAM, 0);
  setsockopt (listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (bind (listener, (struct sockaddr *) &addr, sizeof (addr)) < 0
      || listen (listener, 1) < 0
      || getsockname (listener, (struct sockaddr *) &addr, &addr_len) < 0) {
    fprintf (stderr, "bench-tcpcopy: listen on port %d: %s\n", port,
        g_strerror (errno));
    return 1;
  }
  printf ("listening on %d\n", ntohs (addr.sin_port));
  fflush (stdout);
  sock = accept (listener, NULL, NULL);
  if (sock < 0) {
    fprintf (stderr, "bench-tcpcopy: accept: %s\n", g_strerror (errno));
    return 1;
  }
  for (;;) {
    ssize_t n = read (sock, block, sizeof (block));

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      fprintf (stderr, "bench-tcpcopy: read: %s\n", g_strerror (errno));
      return 1;
    }
    if (n == 0)
      break;
    total += n;
  }
  close (sock);
  close (listener);
  printf ("received %" G_GUINT64_FORMAT " bytes\n", total);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 4 && strcmp (argv[1], "send") == 0)
    return do_send (argv[2], atoi (argv[3]));
  if (argc == 4 && strcmp (argv[1], "send-tags") == 0)
    return do_send_tags (argv[2], atoi (argv[3]));
  if (argc == 3 && strcmp (argv[1], "recv") == 0)
    return do_recv (atoi (argv[2]));
  return usage ();
}
