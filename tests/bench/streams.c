/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Many publishing pipelines in one process: N x (appsrc ! SINK), fed the
 * tags of one FLV file in real time by one feeder thread (looping the file
 * with rebased timestamps), so that what differs between runs is the sink.
 * After a warm-up it reports the process's threads (by name), RSS and CPU
 * over a window, as one JSON object on stdout. */

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include "benchutil.h"

static gchar *opt_sink = NULL;
static gchar **opt_set = NULL;
static gint opt_streams = 1;
static gchar *opt_location = NULL;
static gchar *opt_file = NULL;
static gdouble opt_warmup = 5.0;
static gdouble opt_duration = 20.0;

static GOptionEntry entries[] = {
  { "sink", 0, 0, G_OPTION_ARG_STRING, &opt_sink,
      "rtmpsink, rtmp2sink or fakesink", "NAME" },
  { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_set,
      "a property of each sink (repeatable)", "PROP=VALUE" },
  { "streams", 0, 0, G_OPTION_ARG_INT, &opt_streams, "pipelines", "N" },
  { "location", 0, 0, G_OPTION_ARG_STRING, &opt_location,
      "URL prefix; stream i publishes to URL<i>", "URL" },
  { "file", 0, 0, G_OPTION_ARG_FILENAME, &opt_file, "FLV file to send",
      "FILE" },
  { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &opt_warmup,
      "seconds before the window", "S" },
  { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &opt_duration,
      "seconds of the measured window", "S" },
  G_OPTION_ENTRY_NULL,
};

typedef struct
{
  GstElement **pipelines;
  GstAppSrc **srcs;
  GstElement **sinks;
  guint n;
  GArray *tags;
  volatile gint stop;
  guint64 buffers_pushed; /* per stream */
} Bench;

static gpointer
feeder_thread (gpointer data)
{
  Bench *bench = data;
  BenchFlvTag *last
      = &g_array_index (bench->tags, BenchFlvTag, bench->tags->len - 1);
  /* one frame interval after the last tag before the next loop */
  guint32 loop_ms = last->timestamp_ms + 40, offset_ms = 0;
  gint64 start_ns = bench_now_ns ();
  guint i, s;

  for (s = 0; s < bench->n; s++)
    gst_app_src_push_buffer (bench->srcs[s],
        gst_buffer_new_wrapped_bytes (bench_flv_header_new ()));

  while (!g_atomic_int_get (&bench->stop)) {
    for (i = 0; i < bench->tags->len && !g_atomic_int_get (&bench->stop); i++) {
      BenchFlvTag *tag = &g_array_index (bench->tags, BenchFlvTag, i);
      guint32 ts_ms = tag->timestamp_ms + offset_ms;
      GBytes *bytes = offset_ms ? bench_flv_tag_retime (tag->tag, ts_ms)
                                : g_bytes_ref (tag->tag);
      GstBuffer *buffer = gst_buffer_new_wrapped_bytes (bytes);

      g_bytes_unref (bytes);
      GST_BUFFER_PTS (buffer) = ts_ms * GST_MSECOND;
      bench_sleep_until_ns (start_ns + (gint64) ts_ms * 1000000);
      /* the same read-only buffer goes to every pipeline */
      for (s = 0; s < bench->n; s++)
        gst_app_src_push_buffer (bench->srcs[s], gst_buffer_ref (buffer));
      gst_buffer_unref (buffer);
      bench->buffers_pushed++;
    }
    offset_ms += loop_ms;
  }
  return NULL;
}

static guint
count_errors (Bench *bench, GString *first_error)
{
  guint s, errors = 0;

  for (s = 0; s < bench->n; s++) {
    GstBus *bus = gst_element_get_bus (bench->pipelines[s]);
    GstMessage *message;

    while ((message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR))) {
      if (first_error->len == 0) {
        GError *err = NULL;

        gst_message_parse_error (message, &err, NULL);
        g_string_printf (first_error, "stream %u: %s", s, err->message);
        g_clear_error (&err);
      }
      errors++;
      gst_message_unref (message);
    }
    gst_object_unref (bus);
  }
  return errors;
}

static guint64
out_bytes (Bench *bench)
{
  guint64 total = 0;
  guint s;

  for (s = 0; s < bench->n; s++) {
    GstStructure *stats = NULL;
    guint64 bytes = 0;

    if (!g_object_class_find_property (G_OBJECT_GET_CLASS (bench->sinks[s]),
            "stats"))
      return 0;
    g_object_get (bench->sinks[s], "stats", &stats, NULL);
    if (stats && gst_structure_get_uint64 (stats, "out-bytes-total", &bytes))
      total += bytes;
    if (stats)
      gst_structure_free (stats);
  }
  return total;
}

static gdouble
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec
      + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static gint64
status_kb (const gchar *field)
{
  g_autofree gchar *text = NULL;
  const gchar *p;

  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    return -1;
  p = strstr (text, field);
  if (p == NULL)
    return -1;
  return g_ascii_strtoll (p + strlen (field), NULL, 10);
}

/* Thread names -> counts, as a JSON object; @n_total and @n_io filled */
static gchar *
thread_names (guint *n_total, guint *n_io)
{
  GHashTable *counts
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  GString *json = g_string_new ("{");
  GHashTableIter iter;
  gpointer key, value;
  const gchar *tid;

  *n_total = *n_io = 0;
  while (dir && (tid = g_dir_read_name (dir))) {
    g_autofree gchar *path = g_strdup_printf ("/proc/self/task/%s/comm", tid);
    gchar *name = NULL;

    if (!g_file_get_contents (path, &name, NULL, NULL))
      continue;
    g_strstrip (name);
    /* GStreamer names task threads after their pad or "taskN", appsrc's
     * "appsrcN:src": fold the numbers so that the names aggregate */
    if (g_str_has_prefix (name, "rtmp-io"))
      (*n_io)++;
    (*n_total)++;
    {
      gchar *p;

      for (p = name; *p; p++)
        if (g_ascii_isdigit (*p))
          *p = '#';
    }
    g_hash_table_insert (counts, name,
        GUINT_TO_POINTER (
            GPOINTER_TO_UINT (g_hash_table_lookup (counts, name)) + 1));
  }
  if (dir)
    g_dir_close (dir);
  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_string_append_printf (json, "%s\"%s\": %u", json->len > 1 ? ", " : "",
        (const gchar *) key, GPOINTER_TO_UINT (value));
  g_string_append (json, "}");
  g_hash_table_unref (counts);
  return g_string_free (json, FALSE);
}

int
main (int argc, char **argv)
{
  GOptionContext *context;
  GError *error = NULL;
  Bench bench = { 0 };
  GThread *feeder;
  GString *first_error = g_string_new (NULL);
  gdouble cpu0, cpu1;
  guint64 bytes0, bytes1;
  guint s, errors, n_threads, n_io;
  gchar *threads, *plugin_file = NULL;
  gint64 rss_kb;

  context = g_option_context_new ("- N publishing pipelines in one process");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    fprintf (stderr, "bench-streams: %s\n", error->message);
    return 2;
  }
  g_option_context_free (context);
  if (!opt_sink || !opt_file || opt_streams < 1
      || (!opt_location && !g_str_equal (opt_sink, "fakesink"))) {
    fprintf (stderr, "bench-streams: --sink, --file and --location needed\n");
    return 2;
  }
  gst_init (&argc, &argv);

  bench.tags = bench_flv_file_read (opt_file, &error);
  if (bench.tags == NULL || bench.tags->len == 0) {
    fprintf (stderr, "bench-streams: %s\n", error ? error->message : "no tags");
    return 1;
  }
  bench.n = opt_streams;
  bench.pipelines = g_new0 (GstElement *, bench.n);
  bench.srcs = g_new0 (GstAppSrc *, bench.n);
  bench.sinks = g_new0 (GstElement *, bench.n);
  for (s = 0; s < bench.n; s++) {
    GstElement *src = gst_element_factory_make ("appsrc", NULL);
    GstElement *sink = gst_element_factory_make (opt_sink, NULL);
    GstCaps *caps = gst_caps_new_empty_simple ("video/x-flv");
    guint i;

    if (sink == NULL) {
      fprintf (stderr, "bench-streams: no element %s\n", opt_sink);
      return 1;
    }
    if (plugin_file == NULL) {
      GstPlugin *plugin = gst_plugin_feature_get_plugin (
          GST_PLUGIN_FEATURE (gst_element_get_factory (sink)));

      plugin_file = g_strdup_printf ("%s (source module %s)",
          gst_plugin_get_filename (plugin), gst_plugin_get_source (plugin));
      gst_object_unref (plugin);
    }
    g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME, "is-live", TRUE,
        "max-bytes", (guint64) 16 * 1024 * 1024, NULL);
    gst_caps_unref (caps);
    g_object_set (sink, "sync", FALSE, NULL);
    if (opt_location
        && g_object_class_find_property (G_OBJECT_GET_CLASS (sink),
            "location")) {
      gchar *location = g_strdup_printf ("%s%u", opt_location, s);

      g_object_set (sink, "location", location, NULL);
      g_free (location);
    }
    for (i = 0; opt_set && opt_set[i]; i++) {
      gchar **kv = g_strsplit (opt_set[i], "=", 2);

      if (kv[0] && kv[1])
        gst_util_set_object_arg (G_OBJECT (sink), kv[0], kv[1]);
      g_strfreev (kv);
    }
    bench.pipelines[s] = gst_pipeline_new (NULL);
    gst_bin_add_many (GST_BIN (bench.pipelines[s]), src, sink, NULL);
    gst_element_link (src, sink);
    bench.srcs[s] = GST_APP_SRC (src);
    bench.sinks[s] = sink;
    gst_element_set_state (bench.pipelines[s], GST_STATE_PLAYING);
  }
  feeder = g_thread_new ("bench-feeder", feeder_thread, &bench);

  g_usleep ((gulong) (opt_warmup * G_USEC_PER_SEC));
  cpu0 = cpu_seconds ();
  bytes0 = out_bytes (&bench);
  g_usleep ((gulong) (opt_duration * G_USEC_PER_SEC));
  cpu1 = cpu_seconds ();
  bytes1 = out_bytes (&bench);
  rss_kb = status_kb ("VmRSS:");
  threads = thread_names (&n_threads, &n_io);
  errors = count_errors (&bench, first_error);

  printf ("{\"sink\": \"%s\", \"plugin\": \"%s\", \"streams\": %u, "
          "\"window_s\": %.3f, \"cpu_s\": %.4f, \"rss_kb\": %" G_GINT64_FORMAT
          ", \"hwm_kb\": %" G_GINT64_FORMAT ", \"threads\": %u, "
          "\"io_threads\": %u, \"thread_names\": %s, \"out_bytes\": "
          "%" G_GUINT64_FORMAT ", \"errors\": %u, \"first_error\": \"%s\"}\n",
      opt_sink, plugin_file, bench.n, opt_duration, cpu1 - cpu0, rss_kb,
      status_kb ("VmHWM:"), n_threads, n_io, threads, bytes1 - bytes0, errors,
      g_strescape (first_error->str, NULL));
  fflush (stdout);

  g_atomic_int_set (&bench.stop, 1);
  g_thread_join (feeder);
  for (s = 0; s < bench.n; s++) {
    gst_element_set_state (bench.pipelines[s], GST_STATE_NULL);
    gst_object_unref (bench.pipelines[s]);
  }
  return errors ? 1 : 0;
}
