/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Light RTMP players for the fan-out benchmark: N client sessions (the
 * protocol layer's client role, play intent) on non-blocking loopback
 * sockets in one poll () loop, discarding what they receive. It prints
 * "window-start" and "window-end" around the measured window (so that the
 * caller can sample the server's CPU then) and a JSON summary. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "rtmpurl.h"

#define READ_BYTES (64 * 1024)
#define READS_PER_WAKEUP 4

static gchar *opt_location = NULL;
static gint opt_players = 1;
static gdouble opt_warmup = 3.0;
static gdouble opt_duration = 15.0;
static gdouble opt_connect_timeout = 15.0;

static GOptionEntry entries[] = {
  { "location", 0, 0, G_OPTION_ARG_STRING, &opt_location, "stream URL", "URL" },
  { "players", 0, 0, G_OPTION_ARG_INT, &opt_players, "players", "N" },
  { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &opt_warmup,
      "seconds between all playing and the window", "S" },
  { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &opt_duration,
      "seconds of the measured window", "S" },
  { "connect-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_connect_timeout,
      "seconds for all players to start playing", "S" },
  G_OPTION_ENTRY_NULL,
};

typedef struct
{
  int fd;
  RtmpSession *session;
  gboolean is_playing;
  gchar *error; /* failed when set */
  guint64 bytes_in, media_messages;
  guint64 window_bytes; /* bytes_in at the window's start */
} Player;

static guint8 read_buffer[READ_BYTES];

static void
player_fail (Player *player, const gchar *message)
{
  if (player->error == NULL)
    player->error = g_strdup (message);
  if (player->fd >= 0)
    close (player->fd);
  player->fd = -1;
}

static gboolean
player_start (Player *player, const RtmpUrl *url, GError **error)
{
  guint8 random[RTMP_SESSION_RANDOM_SIZE];
  RtmpSessionConfig config;
  g_autofree gchar *tc_url = rtmp_url_get_tc_url (url);

  player->fd = bench_connect_loopback (url->port, error);
  if (player->fd < 0)
    return FALSE;
  fcntl (player->fd, F_SETFL, fcntl (player->fd, F_GETFL) | O_NONBLOCK);
  bench_session_config_init (&config, RTMP_SESSION_ROLE_CLIENT, random);
  config.client.app = url->application;
  config.client.tc_url = tc_url;
  config.client.intent = RTMP_SESSION_INTENT_PLAY;
  config.client.stream_name = url->stream;
  config.client.play_start_ms = RTMP_PLAY_START_LIVE;
  player->session = rtmp_session_new (&config);
  return TRUE;
}

/* Writes what the socket takes */
static void
player_write (Player *player)
{
  while (player->fd >= 0 && rtmp_session_get_output_size (player->session)) {
    RtmpOutputVector vectors[16];
    struct iovec iov[16];
    guint n = rtmp_session_peek_output (player->session, vectors, 16), i;
    ssize_t written;

    for (i = 0; i < n; i++) {
      iov[i].iov_base = (void *) vectors[i].data;
      iov[i].iov_len = vectors[i].len;
    }
    written = writev (player->fd, iov, n);
    if (written < 0 && errno == EINTR)
      continue;
    if (written < 0 && errno == EAGAIN)
      return;
    if (written < 0) {
      player_fail (player, g_strerror (errno));
      return;
    }
    rtmp_session_consume_output (player->session, written);
  }
}

static void
player_read (Player *player, gint64 now_ns)
{
  guint r;

  for (r = 0; r < READS_PER_WAKEUP && player->fd >= 0; r++) {
    ssize_t n = read (player->fd, read_buffer, sizeof (read_buffer));
    GError *error = NULL;
    RtmpSessionEvent event;

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    if (n < 0) {
      player_fail (player, g_strerror (errno));
      return;
    }
    if (n == 0) {
      player_fail (player, "the server closed the connection");
      return;
    }
    player->bytes_in += n;
    if (!rtmp_session_receive (player->session, read_buffer, n, now_ns / 1000,
            &error)) {
      player_fail (player, error->message);
      g_error_free (error);
      return;
    }
    while (rtmp_session_next_event (player->session, &event)) {
      if (event.type == RTMP_SESSION_EVENT_PLAYING)
        player->is_playing = TRUE;
      else if (event.type == RTMP_SESSION_EVENT_MEDIA)
        player->media_messages++;
      rtmp_session_event_clear (&event);
    }
  }
}

/* Runs every player until @end_ns, or until all play when @until_playing */
static void
pump (Player *players, guint n, gint64 end_ns, gboolean until_playing)
{
  struct pollfd *fds = g_new0 (struct pollfd, n);

  for (;;) {
    gint64 now_ns = bench_now_ns ();
    guint64 next_deadline = G_MAXUINT64;
    guint i, n_playing = 0;
    int timeout_ms;

    for (i = 0; i < n; i++) {
      Player *player = &players[i];
      GError *error = NULL;

      fds[i].fd = player->fd;
      fds[i].events = 0;
      fds[i].revents = 0;
      if (player->fd < 0)
        continue;
      n_playing += player->is_playing;
      if (!rtmp_session_handle_deadline (player->session, now_ns / 1000,
              &error)) {
        player_fail (player, error->message);
        g_error_free (error);
        fds[i].fd = -1;
        continue;
      }
      player_write (player);
      next_deadline
          = MIN (next_deadline, rtmp_session_next_deadline (player->session));
      fds[i].fd = player->fd;
      fds[i].events = POLLIN
          | (rtmp_session_get_output_size (player->session) ? POLLOUT : 0);
    }
    if (now_ns >= end_ns || (until_playing && n_playing == n))
      break;
    timeout_ms = (int) MIN ((end_ns - now_ns) / 1000000 + 1, 100);
    if (next_deadline != G_MAXUINT64) {
      gint64 until_deadline_ms
          = ((gint64) next_deadline - now_ns / 1000) / 1000;

      timeout_ms = (int) CLAMP (until_deadline_ms, 0, timeout_ms);
    }
    if (poll (fds, n, timeout_ms) < 0 && errno != EINTR)
      break;
    now_ns = bench_now_ns ();
    for (i = 0; i < n; i++) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
        player_read (&players[i], now_ns);
      if (players[i].fd >= 0)
        player_write (&players[i]);
    }
  }
  g_free (fds);
}

/* This process's CPU time: what the players themselves cost, which the
 * kernel shares out differently depending on how the server writes */
static gint64
process_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static gint
compare_u64 (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;

  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  GOptionContext *context;
  GError *error = NULL;
  g_autoptr (RtmpUrl) url = NULL;
  Player *players;
  guint n, i, n_playing = 0, n_failed = 0;
  guint64 *window_bytes;
  const gchar *first_error = "";
  gint64 window_start_ns, window_end_ns, window_cpu_ns;

  context = g_option_context_new ("- N light RTMP players");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)
      || opt_location == NULL || opt_players < 1) {
    fprintf (stderr, "bench-players: %s\n",
        error ? error->message : "--location and --players are required");
    return 2;
  }
  g_option_context_free (context);
  url = rtmp_url_parse (opt_location, &error);
  if (url == NULL) {
    fprintf (stderr, "bench-players: %s\n", error->message);
    return 2;
  }

  n = opt_players;
  players = g_new0 (Player, n);
  for (i = 0; i < n; i++) {
    if (!player_start (&players[i], url, &error)) {
      fprintf (stderr, "bench-players: player %u: %s\n", i, error->message);
      return 1;
    }
  }
  pump (players, n, bench_now_ns () + (gint64) (opt_connect_timeout * 1e9),
      TRUE);
  for (i = 0; i < n; i++)
    n_playing += players[i].is_playing && players[i].fd >= 0;
  printf ("playing %u/%u\n", n_playing, n);
  fflush (stdout);

  pump (players, n, bench_now_ns () + (gint64) (opt_warmup * 1e9), FALSE);
  for (i = 0; i < n; i++)
    players[i].window_bytes = players[i].bytes_in;
  window_start_ns = bench_now_ns ();
  window_cpu_ns = process_cpu_ns ();
  printf ("window-start\n");
  fflush (stdout);
  pump (players, n, window_start_ns + (gint64) (opt_duration * 1e9), FALSE);
  window_end_ns = bench_now_ns ();
  window_cpu_ns = process_cpu_ns () - window_cpu_ns;
  printf ("window-end\n");
  fflush (stdout);

  window_bytes = g_new0 (guint64, n);
  n_playing = 0;
  for (i = 0; i < n; i++) {
    window_bytes[i] = players[i].bytes_in - players[i].window_bytes;
    if (players[i].error) {
      n_failed++;
      if (!first_error[0])
        first_error = players[i].error;
    } else if (players[i].is_playing) {
      n_playing++;
    }
  }
  qsort (window_bytes, n, sizeof (guint64), compare_u64);
  {
    gdouble seconds = (window_end_ns - window_start_ns) / 1e9;
    gchar *escaped = g_strescape (first_error, NULL);

    printf ("{\"players\": %u, \"playing\": %u, \"failed\": %u, "
            "\"window_s\": %.3f, \"min_kbps\": %.1f, \"median_kbps\": %.1f, "
            "\"max_kbps\": %.1f, \"cpu_s\": %.4f, \"first_error\": \"%s\"}\n",
        n, n_playing, n_failed, seconds, window_bytes[0] * 8 / seconds / 1000,
        window_bytes[n / 2] * 8 / seconds / 1000,
        window_bytes[n - 1] * 8 / seconds / 1000, window_cpu_ns / 1e9, escaped);
    g_free (escaped);
  }
  fflush (stdout);
  for (i = 0; i < n; i++) {
    if (players[i].fd >= 0)
      close (players[i].fd);
    g_clear_pointer (&players[i].session, rtmp_session_free);
    g_free (players[i].error);
  }
  return n_failed ? 1 : 0;
}
