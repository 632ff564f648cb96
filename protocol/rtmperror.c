/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The protocol layer's error domain. */

#include "rtmperror.h"

GQuark
rtmp_error_quark (void)
{
  return g_quark_from_static_string ("rtmp-error-quark");
}

const gchar *
rtmp_error_code_name (RtmpError code)
{
  switch (code) {
    case RTMP_ERROR_MALFORMED:
      return "malformed";
    case RTMP_ERROR_PROTOCOL:
      return "protocol";
    case RTMP_ERROR_LIMIT:
      return "limit";
    case RTMP_ERROR_UNSUPPORTED:
      return "unsupported";
    case RTMP_ERROR_REJECTED:
      return "rejected";
    case RTMP_ERROR_AUTH:
      return "auth";
    case RTMP_ERROR_BAD_URL:
      return "bad-url";
    case RTMP_ERROR_TIMEOUT:
      return "timeout";
    case RTMP_ERROR_CLOSED:
      return "closed";
  }
  return "unknown";
}
