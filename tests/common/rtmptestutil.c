/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Element-test helpers: proving that an element is ours. The plugin name
 * cannot tell (Debian's librtmp-based plugin is "rtmp" too); its file and
 * its source module can. */

#include "rtmptestutil.h"

#include <gst/check/gstcheck.h>

static gboolean
plugin_is_ours (GstPlugin *plugin)
{
  const gchar *filename = gst_plugin_get_filename (plugin);

  return filename != NULL && g_str_has_prefix (filename, RTMP_TEST_BUILD_DIR)
      && g_strcmp0 (gst_plugin_get_source (plugin), RTMP_PLUGIN_SOURCE) == 0;
}

void
rtmp_test_assert_plugin_is_ours (void)
{
  GstPlugin *plugin = gst_registry_find_plugin (gst_registry_get (), "rtmp");

  fail_unless (plugin != NULL, "no plugin named rtmp in the registry");
  fail_unless (
      g_str_has_prefix (gst_plugin_get_filename (plugin), RTMP_TEST_BUILD_DIR),
      "the rtmp plugin is %s, not ours from %s",
      gst_plugin_get_filename (plugin), RTMP_TEST_BUILD_DIR);
  fail_unless_equals_string (gst_plugin_get_source (plugin),
      RTMP_PLUGIN_SOURCE);
  gst_object_unref (plugin);
}

gboolean
rtmp_test_element_is_ours (GstElement *element)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  GstPlugin *plugin;
  gboolean ours;

  if (factory == NULL)
    return FALSE;
  plugin = gst_plugin_feature_get_plugin (GST_PLUGIN_FEATURE (factory));
  if (plugin == NULL)
    return FALSE;
  ours = plugin_is_ours (plugin);
  gst_object_unref (plugin);
  return ours;
}

GstElement *
rtmp_test_make_element (const gchar *factory_name, const gchar *name)
{
  GstElement *element;

  rtmp_test_assert_plugin_is_ours ();
  element = gst_element_factory_make (factory_name, name);
  fail_unless (element != NULL, "could not make %s", factory_name);
  fail_unless (rtmp_test_element_is_ours (element), "%s is not ours",
      factory_name);
  return element;
}
