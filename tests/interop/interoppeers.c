/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The interop matrix's peers: publishers, players and the servers it adds
 * to rtmpexternal, started by argv on 127.0.0.1 and stopped by pid. */

#include "interoppeers.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#define LISTEN_TIMEOUT_MS 10000

static const gchar *const publisher_names[]
    = { "rtmpsink", "rtmp2sink", "ffmpeg", "ffmpeg -listen" };
static const gchar *const player_names[]
    = { "rtmpsrc", "rtmp2src", "ffmpeg", "rtmpdump", "ffmpeg -listen" };

const gchar *
interop_publisher_name (InteropPublisher publisher)
{
  return publisher_names[publisher];
}

const gchar *
interop_player_name (InteropPlayer player)
{
  return player_names[player];
}

gboolean
interop_publisher_is_ours (InteropPublisher publisher)
{
  return publisher == INTEROP_PUBLISHER_RTMPSINK;
}

gboolean
interop_player_is_ours (InteropPlayer player)
{
  return player == INTEROP_PLAYER_RTMPSRC;
}

static gboolean
is_tls (const gchar *url)
{
  return g_str_has_prefix (url, "rtmps:");
}

/* gst-launch-1.0 with the description split on spaces (no value here holds
 * one: paths come from mkdtemp under the temporary directory, URLs have no
 * spaces) */
static RtmpExternalProcess *
start_gst_launch (gboolean eos_on_interrupt, const gchar *description,
    GError **error)
{
  g_auto (GStrv) words = g_strsplit (description, " ", -1);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  guint i;

  g_ptr_array_add (argv, (gpointer) "gst-launch-1.0");
  g_ptr_array_add (argv, (gpointer) "-q");
  if (eos_on_interrupt)
    g_ptr_array_add (argv, (gpointer) "-e");
  for (i = 0; words[i] != NULL; i++) {
    if (words[i][0] != '\0')
      g_ptr_array_add (argv, words[i]);
  }
  g_ptr_array_add (argv, NULL);
  return rtmp_external_process_start ((const gchar *const *) argv->pdata,
      error);
}

static gchar *
ours_options (const InteropEndpoint *endpoint)
{
  return g_strdup_printf ("%s%s%s%s%s",
      endpoint->ca_file ? " tls-ca-file=" : "",
      endpoint->ca_file ? endpoint->ca_file : "",
      endpoint->enhanced ? " enhanced-codecs=hvc1" : "",
      endpoint->extra ? " " : "", endpoint->extra ? endpoint->extra : "");
}

RtmpExternalProcess *
interop_publisher_start (InteropPublisher publisher,
    const InteropEndpoint *endpoint, GError **error)
{
  g_autofree gchar *description = NULL;
  g_autofree gchar *options = NULL;

  switch (publisher) {
    case INTEROP_PUBLISHER_RTMPSINK:
      options = ours_options (endpoint);
      description = g_strdup_printf ("filesrc location=%s ! rtmpsink "
                                     "realtime=true location=%s%s",
          endpoint->file, endpoint->url, options);
      return start_gst_launch (FALSE, description, error);
    case INTEROP_PUBLISHER_RTMP2SINK:
      /* rtmp2sink takes one FLV tag per buffer, as flvmux makes them;
       * flvmux's timestamps and rtmp2sink's clock sync pace it */
      description = g_strdup_printf (
          "filesrc location=%s ! flvdemux name=d d.video ! queue ! "
          "flvmux streamable=true name=m ! rtmp2sink location=%s%s%s%s "
          "d.audio ! queue ! m.audio",
          endpoint->file, endpoint->url,
          is_tls (endpoint->url) ? " tls-validation-flags=0" : "",
          endpoint->extra ? " " : "", endpoint->extra ? endpoint->extra : "");
      return start_gst_launch (FALSE, description, error);
    case INTEROP_PUBLISHER_FFMPEG: {
      const gchar *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-re", "-i",
        endpoint->file, "-c", "copy", "-f", "flv", endpoint->url, NULL };

      return rtmp_external_process_start (argv, error);
    }
    case INTEROP_PUBLISHER_FFMPEG_LISTEN:
      break;
  }
  g_assert_not_reached ();
  return NULL;
}

RtmpExternalProcess *
interop_player_start (InteropPlayer player, const InteropEndpoint *endpoint,
    GError **error)
{
  g_autofree gchar *description = NULL;
  g_autofree gchar *options = NULL;

  switch (player) {
    case INTEROP_PLAYER_RTMPSRC:
      options = ours_options (endpoint);
      description = g_strdup_printf ("rtmpsrc location=%s%s ! filesink "
                                     "location=%s",
          endpoint->url, options, endpoint->file);
      return start_gst_launch (TRUE, description, error);
    case INTEROP_PLAYER_RTMP2SRC:
      description = g_strdup_printf ("rtmp2src location=%s%s%s%s ! "
                                     "filesink location=%s",
          endpoint->url,
          is_tls (endpoint->url) ? " tls-validation-flags=0" : "",
          endpoint->extra ? " " : "", endpoint->extra ? endpoint->extra : "",
          endpoint->file);
      return start_gst_launch (TRUE, description, error);
    case INTEROP_PLAYER_FFMPEG: {
      /* FFmpeg does not end at NetStream.Play.UnpublishNotify (nginx-rtmp)
       * and writes its file only when it ends; a second SIGTERM makes it
       * exit without writing it. So a read that waits 2 s ends the input,
       * and the file is complete. */
      const gchar *argv[] = { "ffmpeg", "-nostdin", "-v", "error",
        "-rw_timeout", "2000000", "-i", endpoint->url, "-c", "copy", "-f",
        "flv", "-y", endpoint->file, NULL };

      return rtmp_external_process_start (argv, error);
    }
    case INTEROP_PLAYER_RTMPDUMP: {
      /* -v: live; -m: give up after 5 s without data (librtmp does not end
       * at nginx-rtmp's UnpublishNotify either) */
      const gchar *argv[] = { "rtmpdump", "-q", "-v", "-m", "5", "-r",
        endpoint->url, "-o", endpoint->file, NULL };

      return rtmp_external_process_start (argv, error);
    }
    case INTEROP_PLAYER_FFMPEG_LISTEN:
      break;
  }
  g_assert_not_reached ();
  return NULL;
}

void
interop_player_stop (InteropPlayer player, RtmpExternalProcess *process,
    guint timeout_ms)
{
  GPid pid;

  if (!rtmp_external_process_is_running (process))
    return;
  pid = rtmp_external_process_get_pid (process);
  switch (player) {
    case INTEROP_PLAYER_RTMPSRC:
    case INTEROP_PLAYER_RTMP2SRC:
      kill (pid, SIGINT);
      break;
    case INTEROP_PLAYER_FFMPEG:
    case INTEROP_PLAYER_FFMPEG_LISTEN:
      /* one signal ends ffmpeg after its current read (-rw_timeout bounds
       * it), with its file written; a second one would interrupt the read
       * and exit without writing the file */
      kill (pid, SIGTERM);
      break;
    case INTEROP_PLAYER_RTMPDUMP:
      kill (pid, SIGTERM);
      break;
  }
  rtmp_external_process_wait (process, timeout_ms);
}

gboolean
interop_wait_for_listening (guint16 port, RtmpExternalProcess *process,
    guint timeout_ms)
{
  g_autofree gchar *needle
      = g_strdup_printf ("0100007F:%04X 00000000:0000 0A", port);
  gint64 end = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  while (g_get_monotonic_time () < end) {
    g_autofree gchar *table = NULL;

    if (g_file_get_contents ("/proc/net/tcp", &table, NULL, NULL)
        && strstr (table, needle) != NULL)
      return TRUE;
    if (process != NULL && !rtmp_external_process_is_running (process))
      return FALSE;
    g_usleep (20 * 1000);
  }
  return FALSE;
}

guint
interop_count_established (guint16 port)
{
  g_autofree gchar *table = NULL;
  g_autofree gchar *needle = g_strdup_printf (": 0100007F:%04X ", port);
  g_auto (GStrv) lines = NULL;
  guint i, n = 0;

  if (!g_file_get_contents ("/proc/net/tcp", &table, NULL, NULL))
    return 0;
  lines = g_strsplit (table, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    g_auto (GStrv) fields = NULL;

    if (strstr (lines[i], needle) == NULL)
      continue;
    /* "sl local rem st ..." */
    fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
    {
      guint f, seen = 0;
      const gchar *state = NULL;

      for (f = 0; fields[f] != NULL; f++) {
        if (fields[f][0] == '\0')
          continue;
        if (++seen == 4) {
          state = fields[f];
          break;
        }
      }
      if (g_strcmp0 (state, "01") == 0)
        n++;
    }
  }
  return n;
}

gboolean
interop_pid_is_alive (GPid pid)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/stat", (gint) pid);
  g_autofree gchar *stat = NULL;
  const gchar *end;

  if (pid <= 0 || !g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;
  end = strrchr (stat, ')');
  return end != NULL && end[1] == ' ' && end[2] != 'Z' && end[2] != 'X';
}

gchar *
interop_file_tail (const gchar *path, guint n_lines)
{
  g_autofree gchar *text = NULL;
  const gchar *p;
  guint seen = 0;

  if (path == NULL || !g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  p = text + strlen (text);
  if (p > text && p[-1] == '\n')
    p--;
  while (p > text) {
    if (p[-1] == '\n' && ++seen == n_lines)
      break;
    p--;
  }
  return g_strdup (p);
}

static RtmpExternalProcess *
start_listening (const gchar *const *argv, guint16 port, GError **error)
{
  g_autoptr (RtmpExternalProcess) process = NULL;

  process = rtmp_external_process_start (argv, error);
  if (process == NULL)
    return NULL;
  /* not rtmp_external_wait_for_port (): its probe connection would be the
   * one connection ffmpeg -listen 1 takes */
  if (!interop_wait_for_listening (port, process, LISTEN_TIMEOUT_MS)) {
    g_autofree gchar *description = rtmp_external_process_describe (process);

    g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_NOT_READY,
        "ffmpeg does not listen on 127.0.0.1:%u: %s", port, description);
    return NULL;
  }
  return g_steal_pointer (&process);
}

RtmpExternalProcess *
interop_ffmpeg_listen_source_start (const gchar *url, guint16 port,
    const gchar *file, GError **error)
{
  const gchar *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-re", "-i",
    file, "-c", "copy", "-f", "flv", "-listen", "1", url, NULL };

  return start_listening (argv, port, error);
}

RtmpExternalProcess *
interop_ffmpeg_listen_target_start (const gchar *url, guint16 port,
    const gchar *file, GError **error)
{
  const gchar *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-listen", "1",
    "-i", url, "-c", "copy", "-f", "flv", "-y", file, NULL };

  return start_listening (argv, port, error);
}

RtmpExternalProcess *
interop_nms_start (const gchar *nms_dir, const gchar *launcher, guint16 port,
    GError **error)
{
  g_autofree gchar *module = g_build_filename (nms_dir, "node_modules",
      "node-media-server", "package.json", NULL);
  g_autofree gchar *port_text = g_strdup_printf ("%u", port);
  const gchar *argv[] = { "node", launcher, nms_dir, port_text, NULL };
  g_autoptr (RtmpExternalProcess) process = NULL;

  if (!g_file_test (module, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_MISSING,
        "node-media-server is not installed in %s/node_modules: run "
        "scripts/setup (or tests/interop/install-node-media-server %s)",
        nms_dir, nms_dir);
    return NULL;
  }
  process = rtmp_external_process_start (argv, error);
  if (process == NULL)
    return NULL;
  if (!rtmp_external_wait_for_port (port, process, LISTEN_TIMEOUT_MS, error))
    return NULL;
  return g_steal_pointer (&process);
}

RtmpExternalProcess *
interop_relay_start (guint16 port, const gchar *const *keys,
    const gchar *cert_file, const gchar *key_file, const gchar *extra,
    const gchar *sink_extra, GError **error)
{
  GString *description = g_string_new (NULL);
  g_autoptr (RtmpExternalProcess) process = NULL;
  g_autofree gchar *text = NULL;
  guint i;

  for (i = 0; keys[i] != NULL; i++) {
    g_autofree gchar *options = g_strdup_printf ("%s%s%s%s%s%s",
        cert_file ? " tls-certificate-file=" : "", cert_file ? cert_file : "",
        key_file ? " tls-key-file=" : "", key_file ? key_file : "",
        extra ? " " : "", extra ? extra : "");
    g_autofree gchar *url = g_strdup_printf ("%s://127.0.0.1:%u/live/%s",
        cert_file ? "rtmps" : "rtmp", port, keys[i]);

    g_string_append_printf (description,
        "%srtmpsrc mode=server location=%s%s ! "
        "rtmpsink mode=server location=%s%s%s%s",
        i ? " " : "", url, options, url, options, sink_extra ? " " : "",
        sink_extra ? sink_extra : "");
  }
  text = g_string_free (description, FALSE);
  process = start_gst_launch (FALSE, text, error);
  if (process == NULL)
    return NULL;
  if (!rtmp_external_wait_for_port (port, process, LISTEN_TIMEOUT_MS, error))
    return NULL;
  return g_steal_pointer (&process);
}

RtmpExternalProcess *
interop_stunnel_tls12_start (const gchar *cert_file, const gchar *key_file,
    guint16 accept_port, guint16 connect_port, GError **error)
{
  g_autofree gchar *program = rtmp_external_find_program ("stunnel4");
  g_autofree gchar *dir = NULL;
  g_autofree gchar *conf_path = NULL;
  g_autofree gchar *conf = NULL;
  g_autoptr (RtmpExternalProcess) process = NULL;
  const gchar *argv[3] = { NULL, NULL, NULL };

  if (program == NULL)
    program = rtmp_external_find_program ("stunnel");
  if (program == NULL) {
    g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_MISSING,
        "stunnel is not installed: install the Debian package stunnel4");
    return NULL;
  }
  dir = rtmp_external_make_temp_dir ("stunnel12", error);
  if (dir == NULL)
    return NULL;
  conf_path = g_build_filename (dir, "stunnel.conf", NULL);
  conf = g_strdup_printf ("foreground = yes\n"
                          "syslog = no\n"
                          "pid =\n"
                          "debug = notice\n"
                          "[rtmps]\n"
                          "accept = 127.0.0.1:%u\n"
                          "connect = 127.0.0.1:%u\n"
                          "cert = %s\n"
                          "key = %s\n"
                          "sslVersionMax = TLSv1.2\n",
      accept_port, connect_port, cert_file, key_file);
  if (!g_file_set_contents (conf_path, conf, -1, error))
    return NULL;
  argv[0] = program;
  argv[1] = conf_path;
  process = rtmp_external_process_start (argv, error);
  if (process == NULL)
    return NULL;
  if (!rtmp_external_wait_for_port (accept_port, process, LISTEN_TIMEOUT_MS,
          error))
    return NULL;
  return g_steal_pointer (&process);
}
