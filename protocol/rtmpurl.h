/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RTMP URLs: scheme, host, port, credentials, application and stream. */

#ifndef __RTMP_URL_H__
#define __RTMP_URL_H__

#include <glib.h>
#include "rtmperror.h"

G_BEGIN_DECLS

typedef enum
{
  RTMP_SCHEME_RTMP,
  RTMP_SCHEME_RTMPS,
  RTMP_SCHEME_RTMPE,
  RTMP_SCHEME_RTMPT,
  RTMP_SCHEME_RTMPTE,
  RTMP_SCHEME_RTMPTS,
  RTMP_SCHEME_RTMFP,
} RtmpScheme;

typedef struct
{
  RtmpScheme scheme;
  gchar *host;        /* IPv6 literals without brackets, zone as "%eth0" */
  guint16 port;       /* explicit, or the scheme's default */
  gchar *user;        /* nullable, percent-decoded */
  gchar *password;    /* nullable, percent-decoded; only with a user */
  gchar *application; /* everything between host and the last '/' */
  gchar *stream;      /* after the last '/', with its query string */
} RtmpUrl;

/* scheme://[user[:password]@]host[:port]/application/stream
 *
 * Splits as rtmp2src/rtmp2sink do (GStreamer 1.22 gstrtmp2locationhandler.c):
 * the authority ends at the first '/'; the application is the path up to
 * the LAST '/' and the stream what follows it, both kept as written (not
 * percent-decoded), a query string included:
 *   rtmp://h/app/sub/stream    -> "app/sub", "stream"
 *   rtmp://h/app/stream?key=1  -> "app", "stream?key=1"
 *   rtmp://h/app?auth=x/stream -> "app?auth=x", "stream" (librtmp style)
 *   rtmp://h/app/              -> "app", ""
 *   rtmp://h/app               -> RTMP_ERROR_BAD_URL: no stream
 * so a '/' inside the stream's query splits there too (as in rtmp2): write
 * it as %2F. Scheme names are case-insensitive. Messages of
 * RTMP_ERROR_BAD_URL errors quote the location with its password masked. */
RtmpUrl *rtmp_url_parse (const gchar *text, GError **error);
RtmpUrl *rtmp_url_copy (const RtmpUrl *url);
void rtmp_url_free (RtmpUrl *url);
/* TRUE when all parts are equal */
gboolean rtmp_url_equal (const RtmpUrl *a, const RtmpUrl *b);

/* scheme://[user@]host[:port]/application/stream, the port left out when
 * it is the scheme's default, user and password percent-encoded; the
 * password is only included when @with_password (never in logs or bus
 * messages). rtmp_url_parse () gives the same parts back. */
gchar *rtmp_url_to_string (const RtmpUrl *url, gboolean with_password);
/* scheme://host[:port]/application, as sent in connect's tcUrl: the port
 * is left out when it is the scheme's default */
gchar *rtmp_url_get_tc_url (const RtmpUrl *url);

guint16 rtmp_scheme_get_default_port (RtmpScheme scheme);
const gchar *rtmp_scheme_to_string (RtmpScheme scheme);
gboolean rtmp_scheme_from_string (const gchar *text, RtmpScheme *scheme);
/* TRUE for the schemes carried over TLS (rtmps, rtmpts) */
gboolean rtmp_scheme_is_tls (RtmpScheme scheme);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpUrl, rtmp_url_free)

G_END_DECLS

#endif /* __RTMP_URL_H__ */
