/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of the plugin as a whole: that ours replaces Debian's librtmp-based
 * plugin, coexists with rtmp2 in one process, is picked for rtmp:// URIs
 * and takes every property of rtmp2's elements. */

#include <gst/check/gstcheck.h>
#include "rtmptestutil.h"

GST_START_TEST (test_plugin_is_ours)
{
  GstElementFactory *factory;
  GstPlugin *plugin;

  rtmp_test_assert_plugin_is_ours ();

  factory = gst_element_factory_find ("rtmpsink");
  fail_unless (factory != NULL);
  plugin = gst_plugin_feature_get_plugin (GST_PLUGIN_FEATURE (factory));
  fail_unless (
      g_str_has_prefix (gst_plugin_get_filename (plugin), RTMP_TEST_BUILD_DIR));
  fail_unless (gst_plugin_feature_get_rank (GST_PLUGIN_FEATURE (factory))
      > GST_RANK_PRIMARY + 1);
  gst_object_unref (plugin);
  gst_object_unref (factory);
}

GST_END_TEST;

/* What `gst-inspect-1.0 rtmpsink` shows, in a process of its own with
 * criticals fatal */
GST_START_TEST (test_gst_inspect_shows_ours)
{
  const gchar *argv[] = { "gst-inspect-1.0", "rtmpsink", NULL };
  g_auto (GStrv) envp = g_get_environ ();
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  g_autoptr (GError) error = NULL;
  gint status;

  envp = g_environ_setenv (envp, "G_DEBUG", "fatal-criticals", TRUE);
  fail_unless (g_spawn_sync (NULL, (gchar **) argv, envp, G_SPAWN_SEARCH_PATH,
                   NULL, NULL, &out, &err, &status, &error),
      "%s", error ? error->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s", err);
  fail_unless (strstr (out, RTMP_TEST_BUILD_DIR) != NULL,
      "gst-inspect-1.0 rtmpsink does not show our plugin:\n%s", out);
  fail_unless (strstr (out, "Source module            gst-rtmp") != NULL);
}

GST_END_TEST;

static void
exercise (GstElement *element)
{
  guint n;
  GParamSpec **specs
      = g_object_class_list_properties (G_OBJECT_GET_CLASS (element), &n);
  guint i;

  /* read every property: lazily registered types are registered now */
  for (i = 0; i < n; i++) {
    GValue value = G_VALUE_INIT;

    if (!(specs[i]->flags & G_PARAM_READABLE))
      continue;
    g_value_init (&value, specs[i]->value_type);
    g_object_get_property (G_OBJECT (element), specs[i]->name, &value);
    g_value_unset (&value);
  }
  g_free (specs);
  fail_unless_equals_int (gst_element_set_state (element, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (element, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
}

/* rtmp2 registers GstRtmpAuthmod, GstRtmpConnection, ...: none of our
 * types may use those names, or the second registration is a critical */
GST_START_TEST (test_coexists_with_rtmp2)
{
  static const gchar *const names[]
      = { "rtmp2src", "rtmp2sink", "rtmpsink", "rtmpsrc" };
  GLogLevelFlags old
      = g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    GstElement *element = gst_element_factory_make (names[i], NULL);

    if (element == NULL && g_str_equal (names[i], "rtmpsrc")
        && gst_element_factory_find ("rtmpsrc") == NULL)
      continue; /* not in this build yet */
    fail_unless (element != NULL,
        "could not make %s (is "
        "gstreamer1.0-plugins-bad installed?)",
        names[i]);
    if (g_str_has_prefix (names[i], "rtmp2"))
      fail_if (rtmp_test_element_is_ours (element));
    else
      fail_unless (rtmp_test_element_is_ours (element));
    exercise (element);
    gst_object_unref (element);
  }
  g_log_set_always_fatal (old);
}

GST_END_TEST;

GST_START_TEST (test_make_from_uri)
{
  static const gchar *const uris[] = {
    "rtmp://127.0.0.1/live/cam1",
    "rtmps://example.com:4443/app/key?x=1",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (uris); i++) {
    g_autoptr (GError) error = NULL;
    GstElement *sink
        = gst_element_make_from_uri (GST_URI_SINK, uris[i], NULL, &error);
    gchar *location = NULL;

    fail_unless (sink != NULL, "%s", error ? error->message : "");
    fail_unless (rtmp_test_element_is_ours (sink), "%s picked %s", uris[i],
        GST_OBJECT_NAME (gst_element_get_factory (sink)));
    g_object_get (sink, "location", &location, NULL);
    fail_unless_equals_string (location, uris[i]);
    g_free (location);
    gst_object_unref (sink);
  }
}

GST_END_TEST;

/* The nicks of an enum or flags property, for comparing types by meaning */
static gchar *
describe_values (GParamSpec *spec)
{
  GString *out = g_string_new (NULL);

  if (G_IS_PARAM_SPEC_ENUM (spec)) {
    GEnumClass *klass = G_PARAM_SPEC_ENUM (spec)->enum_class;
    guint i;

    for (i = 0; i < klass->n_values; i++)
      g_string_append_printf (out, "%s=%d ", klass->values[i].value_nick,
          klass->values[i].value);
  } else if (G_IS_PARAM_SPEC_FLAGS (spec)) {
    GFlagsClass *klass = G_PARAM_SPEC_FLAGS (spec)->flags_class;
    guint i;

    for (i = 0; i < klass->n_values; i++)
      g_string_append_printf (out, "%s=%u ", klass->values[i].value_nick,
          klass->values[i].value);
  }
  return g_string_free (out, FALSE);
}

/* Every property of rtmp2sink exists on rtmpsink with the same type and
 * values (enum nicks and numbers), so pipelines can swap the name */
static void
check_drop_in (const gchar *theirs_name, const gchar *ours_name)
{
  GstElement *theirs = gst_element_factory_make (theirs_name, NULL);
  GstElement *ours = rtmp_test_make_element (ours_name, NULL);
  GParamSpec **specs;
  guint n, i;

  fail_unless (theirs != NULL);
  specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (theirs), &n);
  for (i = 0; i < n; i++) {
    GParamSpec *ours_spec = g_object_class_find_property (
        G_OBJECT_GET_CLASS (ours), specs[i]->name);
    g_autofree gchar *theirs_values = NULL;
    g_autofree gchar *ours_values = NULL;

    fail_unless (ours_spec != NULL, "%s has no property %s", ours_name,
        specs[i]->name);
    if (G_IS_PARAM_SPEC_ENUM (specs[i]) || G_IS_PARAM_SPEC_FLAGS (specs[i])) {
      theirs_values = describe_values (specs[i]);
      ours_values = describe_values (ours_spec);
      /* ours may add values (authmod llnw), never change one */
      fail_unless (g_str_has_prefix (ours_values, theirs_values)
              || strstr (ours_values, theirs_values) != NULL
              || g_str_equal (specs[i]->name, "authmod"),
          "%s: %s vs %s", specs[i]->name, ours_values, theirs_values);
    } else {
      fail_unless_equals_int (G_PARAM_SPEC_VALUE_TYPE (ours_spec),
          G_PARAM_SPEC_VALUE_TYPE (specs[i]));
    }
  }
  g_free (specs);
  gst_object_unref (theirs);
  gst_object_unref (ours);
}

GST_START_TEST (test_rtmpsink_takes_rtmp2sink_properties)
{
  check_drop_in ("rtmp2sink", "rtmpsink");
}

GST_END_TEST;

GST_START_TEST (test_rtmpsink_defaults)
{
  GstElement *sink = rtmp_test_make_element ("rtmpsink", NULL);
  guint chunk_size, timeout;
  gint attempts;
  guint delay;

  g_object_get (sink, "chunk-size", &chunk_size, "timeout", &timeout,
      "reconnect-attempts", &attempts, "reconnect-delay", &delay, NULL);
  fail_unless_equals_int (chunk_size, 4096);
  fail_unless_equals_int (timeout, 5);
  fail_unless_equals_int (attempts, 10);
  fail_unless_equals_int (delay, 1000);
  gst_object_unref (sink);
}

GST_END_TEST;

/* location and its parts, as rtmp2 splits them */
GST_START_TEST (test_location_parts)
{
  GstElement *sink = rtmp_test_make_element ("rtmpsink", NULL);
  gchar *host, *app, *stream, *user, *password, *location;
  gint port;

  g_object_set (sink, "location",
      "rtmp://bob:s%40cret@[::1]:1936/app/sub/stream?key=1", NULL);
  g_object_get (sink, "host", &host, "port", &port, "application", &app,
      "stream", &stream, "username", &user, "password", &password, "location",
      &location, NULL);
  fail_unless_equals_string (host, "::1");
  fail_unless_equals_int (port, 1936);
  fail_unless_equals_string (app, "app/sub");
  fail_unless_equals_string (stream, "stream?key=1");
  fail_unless_equals_string (user, "bob");
  fail_unless_equals_string (password, "s@cret");
  /* the location read back never shows the password */
  fail_unless (strstr (location, "s@cret") == NULL);
  fail_unless (strstr (location, "s%40cret") == NULL);
  g_free (host);
  g_free (app);
  g_free (stream);
  g_free (user);
  g_free (password);
  g_free (location);
  gst_object_unref (sink);
}

GST_END_TEST;

static Suite *
plugin_suite (void)
{
  Suite *s = suite_create ("plugin");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_plugin_is_ours);
  tcase_add_test (tc, test_gst_inspect_shows_ours);
  tcase_add_test (tc, test_coexists_with_rtmp2);
  tcase_add_test (tc, test_make_from_uri);
  tcase_add_test (tc, test_rtmpsink_takes_rtmp2sink_properties);
  tcase_add_test (tc, test_rtmpsink_defaults);
  tcase_add_test (tc, test_location_parts);
  return s;
}

GST_CHECK_MAIN (plugin);
