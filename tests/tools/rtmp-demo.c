/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The main demo (scripts/demo): a live test stream (video and audio,
 * encoded) published by rtmpsink into rtmpsrc in server mode in the same
 * process, decoded, with statistics printed every second. With --url it
 * publishes to that server instead. Exits 0 only if media went through. */

#include <gst/gst.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  GMainLoop *loop;
  GstElement *sender;
  GstElement *receiver; /* NULL with --url */
  GstElement *sink;     /* the sender's rtmpsink */
  gint64 start_us;
  guint seconds;
  gboolean stopping;
  gboolean failed;
  gboolean sender_eos, receiver_eos;
  /* counted by pad probes */
  gint encoded_video, encoded_audio;
  gint decoded_video, decoded_audio;
  gchar *last_state;
} Demo;

static GstPadProbeReturn
count_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer counter)
{
  g_atomic_int_inc ((gint *) counter);
  return GST_PAD_PROBE_OK;
}

static void
count_on_pad (GstElement *bin, const gchar *element, const gchar *pad_name,
    gint *counter)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (bin), element);
  GstPad *pad;

  g_assert (e != NULL);
  pad = gst_element_get_static_pad (e, pad_name);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, counter,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (e);
}

static gboolean
is_ours (GstElement *element)
{
  GstPlugin *plugin = gst_plugin_feature_get_plugin (
      GST_PLUGIN_FEATURE (gst_element_get_factory (element)));
  gboolean ours = plugin != NULL
      && g_strcmp0 (gst_plugin_get_source (plugin), "gst-rtmp") == 0;

  if (plugin)
    gst_object_unref (plugin);
  return ours;
}

static void
finish (Demo *demo)
{
  if (demo->stopping)
    return;
  demo->stopping = TRUE;
  gst_element_send_event (demo->sender, gst_event_new_eos ());
}

static gboolean
on_bus (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  Demo *demo = user_data;
  gboolean from_sender = GST_MESSAGE_SRC (msg)
      && gst_object_has_as_ancestor (GST_MESSAGE_SRC (msg),
          GST_OBJECT (demo->sender));

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR: {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *debug = NULL;

      gst_message_parse_error (msg, &error, &debug);
      g_printerr ("demo: error from %s: %s\n  %s\n",
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), error->message,
          debug ? debug : "");
      demo->failed = TRUE;
      g_main_loop_quit (demo->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      if (from_sender)
        demo->sender_eos = TRUE;
      else
        demo->receiver_eos = TRUE;
      if (demo->sender_eos && (demo->receiver == NULL || demo->receiver_eos))
        g_main_loop_quit (demo->loop);
      break;
    case GST_MESSAGE_ELEMENT: {
      const GstStructure *s = gst_message_get_structure (msg);

      if (gst_structure_has_name (s, "rtmp-state")) {
        const gchar *reason = gst_structure_get_string (s, "reason");

        g_print ("demo: %s: %s %s%s%s\n",
            GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
            gst_structure_get_string (s, "state"),
            gst_structure_get_string (s, "url"), reason ? ": " : "",
            reason ? reason : "");
      } else if (g_str_has_prefix (gst_structure_get_name (s),
                     "rtmp-client-")) {
        g_autofree gchar *text = gst_structure_to_string (s);

        g_print ("demo: %s: %s\n", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
            text);
      }
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static guint64
stat_u64 (const GstStructure *s, const gchar *name)
{
  guint64 value = 0;

  gst_structure_get_uint64 (s, name, &value);
  return value;
}

static gboolean
on_second (gpointer user_data)
{
  Demo *demo = user_data;
  gdouble elapsed = (g_get_monotonic_time () - demo->start_us) / 1e6;
  GstStructure *stats = NULL;

  g_object_get (demo->sink, "stats", &stats, NULL);
  g_print ("demo: %5.1f s  sent video %4d frames audio %4d  out %7.1f kB "
           "(video %7.1f kB, audio %6.1f kB)  %6.0f kbit/s  rtt %5.2f ms",
      elapsed, g_atomic_int_get (&demo->encoded_video),
      g_atomic_int_get (&demo->encoded_audio),
      stat_u64 (stats, "out-bytes-total") / 1000.0,
      stat_u64 (stats, "out-bytes-video") / 1000.0,
      stat_u64 (stats, "out-bytes-audio") / 1000.0,
      stat_u64 (stats, "bitrate") / 1000.0,
      stat_u64 (stats, "rtt-us") / 1000.0);
  if (demo->receiver)
    g_print ("  received video %4d audio %4d",
        g_atomic_int_get (&demo->decoded_video),
        g_atomic_int_get (&demo->decoded_audio));
  g_print ("\n");
  gst_structure_free (stats);

  if (elapsed >= demo->seconds)
    finish (demo);
  /* EOS must arrive soon after; never run past the limit */
  if (elapsed >= demo->seconds + 5) {
    g_printerr ("demo: the stream did not end in time\n");
    demo->failed = TRUE;
    g_main_loop_quit (demo->loop);
  }
  return G_SOURCE_CONTINUE;
}

static guint16
free_port (void)
{
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *address = g_inet_socket_address_new (lo, 0);
  GSocketAddress *bound;
  guint16 port;

  g_socket_bind (socket, address, TRUE, NULL);
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (address);
  g_object_unref (lo);
  g_object_unref (socket);
  return port;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *url = NULL;
  gint seconds = 20;
  GOptionEntry entries[]
      = { { "url", 'u', 0, G_OPTION_ARG_STRING, &url,
              "Publish to this server instead of our own server mode", "URL" },
          { "seconds", 's', 0, G_OPTION_ARG_INT, &seconds,
              "How long to stream (at most 25)", "S" },
          G_OPTION_ENTRY_NULL };
  g_autoptr (GOptionContext) context
      = g_option_context_new ("- live stream through rtmpsink and rtmpsrc");
  g_autoptr (GError) error = NULL;
  g_autofree gchar *location = NULL;
  g_autofree gchar *sender_desc = NULL;
  g_autofree gchar *receiver_desc = NULL;
  Demo demo = {
    0,
  };
  GstBus *bus;
  gboolean ok;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("demo: %s\n", error->message);
    return 2;
  }
  demo.seconds = CLAMP (seconds, 3, 25);
  location = url
      ? g_strdup (url)
      : g_strdup_printf ("rtmp://127.0.0.1:%u/live/demo", free_port ());

  sender_desc = g_strdup_printf (
      "videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=640,height=360,framerate=30/1 ! "
      "x264enc name=venc tune=zerolatency speed-preset=ultrafast "
      "key-int-max=30 bitrate=1500 ! h264parse ! "
      "flvmux name=mux streamable=true ! rtmpsink name=sink location=%s "
      "audiotestsrc is-live=true wave=ticks ! audioconvert ! "
      "audio/x-raw,rate=44100 ! voaacenc name=aenc bitrate=96000 ! "
      "aacparse ! mux.",
      location);
  demo.sender = gst_parse_launch (sender_desc, &error);
  if (demo.sender == NULL) {
    g_printerr ("demo: %s\n", error->message);
    return 1;
  }
  demo.sink = gst_bin_get_by_name (GST_BIN (demo.sender), "sink");
  if (!is_ours (demo.sink)) {
    g_printerr ("demo: rtmpsink is not gst-rtmp's: is our build directory "
                "on GST_PLUGIN_PATH?\n");
    return 1;
  }
  count_on_pad (demo.sender, "venc", "src", &demo.encoded_video);
  count_on_pad (demo.sender, "aenc", "src", &demo.encoded_audio);

  if (url == NULL) {
    GstElement *src;

    receiver_desc = g_strdup_printf (
        "rtmpsrc name=src mode=server "
        "location=%s ! flvdemux name=d d.video ! queue ! h264parse ! "
        "avdec_h264 ! fakesink name=vsink sync=false d.audio ! queue ! "
        "aacparse ! avdec_aac ! fakesink name=asink sync=false",
        location);
    demo.receiver = gst_parse_launch (receiver_desc, &error);
    if (demo.receiver == NULL) {
      g_printerr ("demo: %s\n", error->message);
      return 1;
    }
    src = gst_bin_get_by_name (GST_BIN (demo.receiver), "src");
    if (!is_ours (src)) {
      g_printerr ("demo: rtmpsrc is not gst-rtmp's\n");
      return 1;
    }
    gst_object_unref (src);
    count_on_pad (demo.receiver, "vsink", "sink", &demo.decoded_video);
    count_on_pad (demo.receiver, "asink", "sink", &demo.decoded_audio);
  }

  g_print ("demo: streaming %u s of 640x360 30 fps H.264 + AAC to %s%s\n",
      demo.seconds, location,
      url ? ""
          : " (rtmpsrc in server mode, in this process: no external server)");

  demo.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (demo.sender);
  gst_bus_add_watch (bus, on_bus, &demo);
  gst_object_unref (bus);
  if (demo.receiver) {
    bus = gst_element_get_bus (demo.receiver);
    gst_bus_add_watch (bus, on_bus, &demo);
    gst_object_unref (bus);
    if (gst_element_set_state (demo.receiver, GST_STATE_PLAYING)
        == GST_STATE_CHANGE_FAILURE) {
      g_printerr ("demo: the receiver did not start\n");
      return 1;
    }
  }
  if (gst_element_set_state (demo.sender, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    g_printerr ("demo: the sender did not start\n");
    return 1;
  }
  demo.start_us = g_get_monotonic_time ();
  g_timeout_add (1000, on_second, &demo);
  g_main_loop_run (demo.loop);

  gst_element_set_state (demo.sender, GST_STATE_NULL);
  if (demo.receiver)
    gst_element_set_state (demo.receiver, GST_STATE_NULL);

  /* media went through: the encoders produced frames, and our receiver
   * decoded (nearly) all of them; with --url the server took them */
  if (demo.receiver)
    ok = !demo.failed && demo.encoded_video > 0 && demo.encoded_audio > 0
        && demo.decoded_video >= demo.encoded_video * 9 / 10
        && demo.decoded_audio >= demo.encoded_audio * 9 / 10;
  else
    ok = !demo.failed && demo.encoded_video > 0 && demo.sender_eos;
  g_print ("demo: encoded %d video / %d audio frames, decoded %d / %d: %s\n",
      demo.encoded_video, demo.encoded_audio, demo.decoded_video,
      demo.decoded_audio, ok ? "OK" : "FAILED");

  gst_object_unref (demo.sink);
  gst_object_unref (demo.sender);
  if (demo.receiver)
    gst_object_unref (demo.receiver);
  g_main_loop_unref (demo.loop);
  return ok ? 0 : 1;
}
