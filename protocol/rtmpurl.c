/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parses and prints RTMP locations, splitting application and stream as
 * rtmp2src/rtmp2sink do. */

#include "rtmpurl.h"

#include <string.h>

typedef struct
{
  RtmpScheme scheme;
  const gchar *name;
  guint16 default_port;
  gboolean is_tls;
} SchemeInfo;

static const SchemeInfo schemes[] = {
  { RTMP_SCHEME_RTMP, "rtmp", 1935, FALSE },
  { RTMP_SCHEME_RTMPS, "rtmps", 443, TRUE },
  { RTMP_SCHEME_RTMPE, "rtmpe", 1935, FALSE },
  { RTMP_SCHEME_RTMPT, "rtmpt", 80, FALSE },
  { RTMP_SCHEME_RTMPTE, "rtmpte", 80, FALSE },
  { RTMP_SCHEME_RTMPTS, "rtmpts", 443, TRUE },
  { RTMP_SCHEME_RTMFP, "rtmfp", 1935, FALSE },
};

#define SCHEME_LIST "rtmp, rtmps, rtmpe, rtmpt, rtmpte, rtmpts, rtmfp"
#define EXPECTED_FORM "scheme://host/application/stream"
/* RFC 1035 §2.3.4: 255 octets in a name */
#define MAX_HOST_LEN 255

static const SchemeInfo *
scheme_info (RtmpScheme scheme)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (schemes); i++) {
    if (schemes[i].scheme == scheme)
      return &schemes[i];
  }
  return NULL;
}

guint16
rtmp_scheme_get_default_port (RtmpScheme scheme)
{
  const SchemeInfo *info = scheme_info (scheme);

  g_return_val_if_fail (info != NULL, 1935);
  return info->default_port;
}

const gchar *
rtmp_scheme_to_string (RtmpScheme scheme)
{
  const SchemeInfo *info = scheme_info (scheme);

  g_return_val_if_fail (info != NULL, NULL);
  return info->name;
}

gboolean
rtmp_scheme_from_string (const gchar *text, RtmpScheme *scheme)
{
  guint i;

  g_return_val_if_fail (text != NULL, FALSE);

  for (i = 0; i < G_N_ELEMENTS (schemes); i++) {
    if (g_ascii_strcasecmp (text, schemes[i].name) == 0) {
      if (scheme != NULL)
        *scheme = schemes[i].scheme;
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
rtmp_scheme_is_tls (RtmpScheme scheme)
{
  const SchemeInfo *info = scheme_info (scheme);

  g_return_val_if_fail (info != NULL, FALSE);
  return info->is_tls;
}

void
rtmp_url_free (RtmpUrl *url)
{
  if (url == NULL)
    return;
  g_free (url->host);
  g_free (url->user);
  if (url->password != NULL) {
    /* do not leave the secret in freed memory */
    memset (url->password, 0, strlen (url->password));
    g_free (url->password);
  }
  g_free (url->application);
  g_free (url->stream);
  g_free (url);
}

RtmpUrl *
rtmp_url_copy (const RtmpUrl *url)
{
  RtmpUrl *copy;

  g_return_val_if_fail (url != NULL, NULL);

  copy = g_new0 (RtmpUrl, 1);
  copy->scheme = url->scheme;
  copy->host = g_strdup (url->host);
  copy->port = url->port;
  copy->user = g_strdup (url->user);
  copy->password = g_strdup (url->password);
  copy->application = g_strdup (url->application);
  copy->stream = g_strdup (url->stream);
  return copy;
}

gboolean
rtmp_url_equal (const RtmpUrl *a, const RtmpUrl *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return a->scheme == b->scheme && a->port == b->port
      && g_strcmp0 (a->host, b->host) == 0 && g_strcmp0 (a->user, b->user) == 0
      && g_strcmp0 (a->password, b->password) == 0
      && g_strcmp0 (a->application, b->application) == 0
      && g_strcmp0 (a->stream, b->stream) == 0;
}

/* The location as quoted in messages, its password masked: from the first
 * ':' after "://" to the last '@' before any '?'. That over-masks when the
 * path holds an '@', but also covers a password holding an unencoded '/'
 * (which ends the authority early). Only called on valid UTF-8. */
static gchar *
display_text (const gchar *text)
{
  const gchar *authority, *end, *at, *colon;

  authority = strstr (text, "://");
  if (authority == NULL)
    return g_strdup (text);
  authority += 3;
  end = strchr (authority, '?');
  if (end == NULL)
    end = authority + strlen (authority);
  at = g_strrstr_len (authority, end - authority, "@");
  if (at == NULL)
    return g_strdup (text);
  colon = memchr (authority, ':', at - authority);
  if (colon == NULL)
    return g_strdup (text);
  return g_strdup_printf ("%.*s:****%s", (gint) (colon - text), text, at);
}

static gboolean bad_url (GError **error, const gchar *text, const gchar *format,
    ...) G_GNUC_PRINTF (3, 4);

/* Always FALSE: sets RTMP_ERROR_BAD_URL "<location>: <what>" */
static gboolean
bad_url (GError **error, const gchar *text, const gchar *format, ...)
{
  g_autofree gchar *display = display_text (text);
  g_autofree gchar *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL, "%s: %s", display, what);
  return FALSE;
}

/* The (valid UTF-8) character at @p, quoted: the byte alone would not be
 * valid UTF-8 in a message when it starts a multibyte character. */
static gchar *
quote_char (const gchar *p)
{
  return g_strdup_printf ("'%.*s'", (gint) (g_utf8_next_char (p) - p), p);
}

static gboolean
is_host_char (gchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_';
}

/* RFC 3986 unreserved characters, as RFC 6874 allows in a zone ID */
static gboolean
is_unreserved (gchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* [IPv6] with an optional RFC 6874 zone ("%25" + zone ID) */
static gboolean
parse_ipv6_literal (const gchar *text, const gchar *start, gsize len,
    gchar **host, GError **error)
{
  g_autofree gchar *literal = g_strndup (start, len);
  gchar *zone = strchr (literal, '%');
  gsize i;

  if (zone != NULL) {
    if (strncmp (zone, "%25", 3) != 0 || zone[3] == '\0')
      return bad_url (error, text,
          "IPv6 zone in '[%s]' must be written %%25 and a name", literal);
    for (i = 3; zone[i] != '\0'; i++) {
      if (!is_unreserved (zone[i])) {
        g_autofree gchar *c = quote_char (zone + i);

        return bad_url (error, text, "invalid character %s in IPv6 zone", c);
      }
    }
    /* "%25" stands for '%' */
    memmove (zone + 1, zone + 3, strlen (zone + 3) + 1);
  }
  if (strchr (literal, ':') == NULL || !g_hostname_is_ip_address (literal))
    return bad_url (error, text, "'[%s]' is not an IPv6 address", literal);
  *host = g_steal_pointer (&literal);
  return TRUE;
}

static gboolean
parse_host_name (const gchar *text, const gchar *start, gsize len, gchar **host,
    GError **error)
{
  gboolean digits_and_dots = TRUE;
  gsize i;

  if (len == 0)
    return bad_url (error, text, "no host");
  if (len > MAX_HOST_LEN)
    return bad_url (error, text,
        "host name of %" G_GSIZE_FORMAT " bytes exceeds %u", len, MAX_HOST_LEN);
  for (i = 0; i < len; i++) {
    if (!is_host_char (start[i])) {
      if ((guchar) start[i] < 0x80)
        return bad_url (error, text, "invalid character '%c' in host",
            start[i]);
      return bad_url (error, text,
          "non-ASCII host name (use its IDNA form, xn--…)");
    }
    if (!g_ascii_isdigit (start[i]) && start[i] != '.')
      digits_and_dots = FALSE;
  }
  *host = g_strndup (start, len);
  if (digits_and_dots && !g_hostname_is_ip_address (*host)) {
    bad_url (error, text, "'%s' is not an IPv4 address", *host);
    g_clear_pointer (host, g_free);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_port (const gchar *text, const gchar *start, gsize len, guint16 *port,
    GError **error)
{
  g_autofree gchar *digits = g_strndup (start, len);
  guint64 value = 0;
  gsize i;

  if (len == 0)
    return bad_url (error, text, "empty port after ':'");
  for (i = 0; i < len; i++) {
    if (!g_ascii_isdigit (digits[i]))
      return bad_url (error, text, "port '%s' is not a number", digits);
    /* saturate: every value past 65535 is out of range anyway */
    if (value <= G_MAXUINT16)
      value = value * 10 + (digits[i] - '0');
  }
  if (value == 0 || value > G_MAXUINT16)
    return bad_url (error, text, "port %s out of range", digits);
  *port = value;
  return TRUE;
}

static gboolean
parse_userinfo (const gchar *text, const gchar *start, gsize len, RtmpUrl *url,
    GError **error)
{
  g_autofree gchar *userinfo = g_strndup (start, len);
  gchar *colon = strchr (userinfo, ':');

  if (colon != NULL) {
    *colon = '\0';
    /* further ':' belong to the password (rtmp2 splits at the first too) */
    url->password = g_uri_unescape_string (colon + 1, NULL);
    memset (colon + 1, 0, strlen (colon + 1));
    if (url->password == NULL)
      return bad_url (error, text,
          "bad percent-encoding in the password (or an encoded NUL)");
  }
  if (userinfo[0] == '\0')
    return bad_url (error, text, "empty user name before '%c'",
        colon != NULL ? ':' : '@');
  url->user = g_uri_unescape_string (userinfo, NULL);
  if (url->user == NULL)
    return bad_url (error, text,
        "bad percent-encoding in the user name (or an encoded NUL)");
  return TRUE;
}

static gboolean
parse_authority (const gchar *text, const gchar *start, gsize len, RtmpUrl *url,
    GError **error)
{
  const gchar *end = start + len, *at, *host, *port = NULL;

  /* the last '@': an unencoded '@' in a password still parses */
  at = g_strrstr_len (start, len, "@");
  if (at != NULL) {
    if (!parse_userinfo (text, start, at - start, url, error))
      return FALSE;
    start = at + 1;
  }

  host = start;
  if (*host == '[') {
    const gchar *close = memchr (host, ']', end - host);

    if (close == NULL)
      return bad_url (error, text, "no ']' after IPv6 address");
    if (!parse_ipv6_literal (text, host + 1, close - host - 1, &url->host,
            error))
      return FALSE;
    if (close + 1 < end) {
      if (close[1] != ':') {
        g_autofree gchar *c = quote_char (close + 1);

        return bad_url (error, text, "unexpected %s after ']'", c);
      }
      port = close + 2;
    }
  } else {
    const gchar *colon = memchr (host, ':', end - host);

    if (colon != NULL && memchr (colon + 1, ':', end - colon - 1) != NULL)
      return bad_url (error, text,
          "IPv6 address must be in brackets ([::1]:1935)");
    if (!parse_host_name (text, host, (colon ? colon : end) - host, &url->host,
            error))
      return FALSE;
    if (colon != NULL)
      port = colon + 1;
  }

  url->port = rtmp_scheme_get_default_port (url->scheme);
  if (port != NULL && !parse_port (text, port, end - port, &url->port, error))
    return FALSE;
  return TRUE;
}

/* TRUE when @path has an '@' before its query string */
static gboolean
userinfo_after (const gchar *path)
{
  const gchar *query = strchr (path, '?');
  const gchar *at = strchr (path, '@');

  return at != NULL && (query == NULL || at < query);
}

RtmpUrl *
rtmp_url_parse (const gchar *text, GError **error)
{
  g_autoptr (RtmpUrl) url = NULL;
  const gchar *separator, *authority, *path, *stream_sep, *p;
  g_autofree gchar *scheme = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  if (!g_utf8_validate (text, -1, NULL)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL,
        "location is not valid UTF-8");
    return NULL;
  }
  if (text[0] == '\0') {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL,
        "empty location (expected " EXPECTED_FORM ")");
    return NULL;
  }
  for (p = text; *p != '\0'; p++) {
    if ((guchar) *p < 0x20 || *p == 0x7f) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL,
          "location has a control character (0x%02x) at byte %" G_GSIZE_FORMAT,
          (guint) (guchar) *p, (gsize) (p - text));
      return NULL;
    }
  }

  url = g_new0 (RtmpUrl, 1);

  separator = strstr (text, "://");
  if (separator == NULL) {
    bad_url (error, text, "no scheme (expected " EXPECTED_FORM ")");
    return NULL;
  }
  scheme = g_strndup (text, separator - text);
  if (!rtmp_scheme_from_string (scheme, &url->scheme)) {
    bad_url (error, text, "unknown scheme '%s' (known: " SCHEME_LIST ")",
        scheme);
    return NULL;
  }

  authority = separator + 3;
  path = strchr (authority, '/');
  if (path != NULL && userinfo_after (path)) {
    /* An '@' after the first '/' most likely ends a user name or password
     * with an unencoded '/': say so, and quote nothing of it. */
    g_autoptr (RtmpUrl) ignored = g_new0 (RtmpUrl, 1);

    ignored->scheme = url->scheme;
    if (!parse_authority (text, authority, path - authority, ignored, NULL)) {
      bad_url (error, text,
          "cannot parse the host: a '/' in the user name or password must "
          "be written %%2F");
      return NULL;
    }
  }
  if (!parse_authority (text, authority,
          path != NULL ? (gsize) (path - authority) : strlen (authority), url,
          error))
    return NULL;
  if (path == NULL) {
    bad_url (error, text,
        "no application and stream (expected " EXPECTED_FORM ")");
    return NULL;
  }

  /* rtmp2: the stream follows the last '/' of the whole path */
  path++;
  stream_sep = strrchr (path, '/');
  if (stream_sep == NULL) {
    bad_url (error, text, "no stream name (expected " EXPECTED_FORM ")");
    return NULL;
  }
  url->application = g_strndup (path, stream_sep - path);
  url->stream = g_strdup (stream_sep + 1);
  return g_steal_pointer (&url);
}

static void
append_host_port (GString *s, const RtmpUrl *url)
{
  if (strchr (url->host, ':') != NULL) {
    const gchar *zone = strchr (url->host, '%');

    g_string_append_c (s, '[');
    if (zone != NULL) {
      g_string_append_len (s, url->host, zone - url->host);
      g_string_append (s, "%25");
      g_string_append (s, zone + 1);
    } else {
      g_string_append (s, url->host);
    }
    g_string_append_c (s, ']');
  } else {
    g_string_append (s, url->host);
  }
  if (url->port != rtmp_scheme_get_default_port (url->scheme))
    g_string_append_printf (s, ":%u", (guint) url->port);
}

/* RFC 3986 sub-delims may stay as they are in userinfo */
#define USERINFO_ALLOWED "!$&'()*+,;="

gchar *
rtmp_url_to_string (const RtmpUrl *url, gboolean with_password)
{
  GString *s;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (url->host != NULL, NULL);

  s = g_string_new (rtmp_scheme_to_string (url->scheme));
  g_string_append (s, "://");
  if (url->user != NULL) {
    g_string_append_uri_escaped (s, url->user, USERINFO_ALLOWED, FALSE);
    if (with_password && url->password != NULL) {
      g_string_append_c (s, ':');
      g_string_append_uri_escaped (s, url->password, USERINFO_ALLOWED, FALSE);
    }
    g_string_append_c (s, '@');
  }
  append_host_port (s, url);
  g_string_append_printf (s, "/%s/%s", url->application ? url->application : "",
      url->stream ? url->stream : "");
  return g_string_free (s, FALSE);
}

gchar *
rtmp_url_get_tc_url (const RtmpUrl *url)
{
  GString *s;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (url->host != NULL, NULL);

  s = g_string_new (rtmp_scheme_to_string (url->scheme));
  g_string_append (s, "://");
  append_host_port (s, url);
  g_string_append_printf (s, "/%s", url->application ? url->application : "");
  return g_string_free (s, FALSE);
}
