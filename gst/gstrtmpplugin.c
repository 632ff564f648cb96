/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rtmp plugin: registers rtmpsrc and rtmpsink. Its library is
 * libgstrtmp.so, the name of Debian's librtmp-based plugin, so that ours,
 * found first on GST_PLUGIN_PATH, replaces it (see docs/design.md). */

#include "config.h"
#include "gstrtmpelements.h"

#include <gio/gio.h>

static gboolean
plugin_init (GstPlugin *plugin)
{
  gboolean ok = FALSE;

  /* GIO's socket types are first used from several threads at once (a
   * server element opening its listener while an I/O thread connects a
   * client), and initialising those classes from two threads can
   * deadlock: initialise them here, once */
  GType types[] = {
    G_TYPE_SOCKET,
    G_TYPE_SOCKET_ADDRESS,
    G_TYPE_INET_SOCKET_ADDRESS,
    G_TYPE_INET_ADDRESS,
    G_TYPE_SOCKET_CLIENT,
    G_TYPE_SOCKET_CONNECTION,
    G_TYPE_TCP_CONNECTION,
    G_TYPE_NETWORK_ADDRESS,
    G_TYPE_CANCELLABLE,
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (types); i++)
    g_type_class_unref (g_type_class_ref (types[i]));

  ok |= GST_ELEMENT_REGISTER (rtmpsink, plugin);
  ok |= GST_ELEMENT_REGISTER (rtmpsrc, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, rtmp,
    "RTMP source and sink: RTMP, RTMPS, client and server mode, Enhanced "
    "RTMP",
    plugin_init, VERSION, "LGPL", GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
