/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Element-test helpers: proving that an element is ours and not Debian's
 * librtmp-based element of the same name. */

#ifndef __RTMP_TEST_UTIL_H__
#define __RTMP_TEST_UTIL_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* The source module our plugin reports (gst_plugin_get_source ()) */
#define RTMP_PLUGIN_SOURCE "gst-rtmp"

/* Fails the test unless the registry's "rtmp" plugin is the one in our
 * build directory. */
void rtmp_test_assert_plugin_is_ours (void);

/* gst_element_factory_make () that fails the test unless @factory_name is
 * provided by our plugin. */
GstElement *rtmp_test_make_element (const gchar *factory_name,
    const gchar *name);

/* TRUE when @element's factory belongs to our plugin */
gboolean rtmp_test_element_is_ours (GstElement *element);

G_END_DECLS

#endif /* __RTMP_TEST_UTIL_H__ */
