/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The raw TCP reference of the publish benchmark: copies a file into a
 * loopback TCP connection with read () and write () in 64 KiB blocks (what
 * any publisher must at least do), or receives and discards such a copy. */

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

#define BLOCK_BYTES (64 * 1024)

static int
usage (void)
{
  fprintf (stderr,
      "usage: bench-tcpcopy send FILE PORT   copy FILE to 127.0.0.1:PORT\n"
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
do_send (const char *path, int port)
{
  static guint8 block[BLOCK_BYTES];
  struct sockaddr_in addr = { 0 };
  int one = 1, file, sock;
  guint64 total = 0;

  file = open (path, O_RDONLY);
  if (file < 0) {
    fprintf (stderr, "bench-tcpcopy: %s: %s\n", path, g_strerror (errno));
    return 1;
  }
  sock = socket (AF_INET, SOCK_STREAM, 0);
  /* the same socket option as the RTMP publishers */
  setsockopt (sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (sock, (struct sockaddr *) &addr, sizeof (addr)) < 0) {
    fprintf (stderr, "bench-tcpcopy: connect to port %d: %s\n", port,
        g_strerror (errno));
    return 1;
  }
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
  /* a clean end: the receiver reads everything before it sees EOF */
  shutdown (sock, SHUT_WR);
  while (read (sock, block, sizeof (block)) > 0) {
  }
  close (sock);
  close (file);
  printf ("sent %" G_GUINT64_FORMAT " bytes\n", total);
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
  if (argc == 3 && strcmp (argv[1], "recv") == 0)
    return do_recv (atoi (argv[2]));
  return usage ();
}
