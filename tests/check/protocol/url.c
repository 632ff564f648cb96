/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for rtmpurl: a table of good and bad locations, the rtmp2 split,
 * printing without the password, tcUrl, and print/parse round trips. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtmpurl.h"

typedef struct
{
  const gchar *text;
  RtmpScheme scheme;
  const gchar *host;
  guint16 port;
  const gchar *user;
  const gchar *password;
  const gchar *application;
  const gchar *stream;
  const gchar *string; /* rtmp_url_to_string (url, FALSE) */
  const gchar *tc_url;
} GoodUrl;

static const GoodUrl good_urls[] = {
  { "rtmp://h/app/stream", RTMP_SCHEME_RTMP, "h", 1935, NULL, NULL, "app",
      "stream", "rtmp://h/app/stream", "rtmp://h/app" },
  /* rtmp2: application up to the last '/', stream after it */
  { "rtmp://h/app/sub/stream", RTMP_SCHEME_RTMP, "h", 1935, NULL, NULL,
      "app/sub", "stream", "rtmp://h/app/sub/stream", "rtmp://h/app/sub" },
  { "rtmp://h/app/stream?key=1", RTMP_SCHEME_RTMP, "h", 1935, NULL, NULL, "app",
      "stream?key=1", "rtmp://h/app/stream?key=1", "rtmp://h/app" },
  { "rtmp://h/app/", RTMP_SCHEME_RTMP, "h", 1935, NULL, NULL, "app", "",
      "rtmp://h/app/", "rtmp://h/app" },
  { "rtmp://h//stream", RTMP_SCHEME_RTMP, "h", 1935, NULL, NULL, "", "stream",
      "rtmp://h//stream", "rtmp://h/" },
  /* librtmp/Akamai style: the application's own query */
  { "rtmp://h/ondemand?auth=x/mp4:file", RTMP_SCHEME_RTMP, "h", 1935, NULL,
      NULL, "ondemand?auth=x", "mp4:file", "rtmp://h/ondemand?auth=x/mp4:file",
      "rtmp://h/ondemand?auth=x" },
  /* a '/' in the stream's query splits there, as in rtmp2 */
  { "rtmp://h/app/s?t=a/b", RTMP_SCHEME_RTMP, "h", 1935, NULL, NULL,
      "app/s?t=a", "b", "rtmp://h/app/s?t=a/b", "rtmp://h/app/s?t=a" },
  { "rtmp://h/app/s?t=a%2Fb", RTMP_SCHEME_RTMP, "h", 1935, NULL, NULL, "app",
      "s?t=a%2Fb", "rtmp://h/app/s?t=a%2Fb", "rtmp://h/app" },
  { "rtmp://h/a/s#frag", RTMP_SCHEME_RTMP, "h", 1935, NULL, NULL, "a", "s#frag",
      "rtmp://h/a/s#frag", "rtmp://h/a" },
  { "rtmp://h/a/my stream", RTMP_SCHEME_RTMP, "h", 1935, NULL, NULL, "a",
      "my stream", "rtmp://h/a/my stream", "rtmp://h/a" },
  { "rtmp://h/a/user@example", RTMP_SCHEME_RTMP, "h", 1935, NULL, NULL, "a",
      "user@example", "rtmp://h/a/user@example", "rtmp://h/a" },
  /* schemes are case-insensitive, hosts kept as written */
  { "RTMP://Example.COM:1936/live/cam1", RTMP_SCHEME_RTMP, "Example.COM", 1936,
      NULL, NULL, "live", "cam1", "rtmp://Example.COM:1936/live/cam1",
      "rtmp://Example.COM:1936/live" },
  { "rtmps://h/live/x", RTMP_SCHEME_RTMPS, "h", 443, NULL, NULL, "live", "x",
      "rtmps://h/live/x", "rtmps://h/live" },
  { "rtmps://h:443/live/x", RTMP_SCHEME_RTMPS, "h", 443, NULL, NULL, "live",
      "x", "rtmps://h/live/x", "rtmps://h/live" },
  { "rtmps://h:1935/live/x", RTMP_SCHEME_RTMPS, "h", 1935, NULL, NULL, "live",
      "x", "rtmps://h:1935/live/x", "rtmps://h:1935/live" },
  { "rtmpe://h/a/s", RTMP_SCHEME_RTMPE, "h", 1935, NULL, NULL, "a", "s",
      "rtmpe://h/a/s", "rtmpe://h/a" },
  { "rtmpt://h/a/s", RTMP_SCHEME_RTMPT, "h", 80, NULL, NULL, "a", "s",
      "rtmpt://h/a/s", "rtmpt://h/a" },
  { "RtMpTe://h:8080/a/s", RTMP_SCHEME_RTMPTE, "h", 8080, NULL, NULL, "a", "s",
      "rtmpte://h:8080/a/s", "rtmpte://h:8080/a" },
  { "rtmpts://h/a/s", RTMP_SCHEME_RTMPTS, "h", 443, NULL, NULL, "a", "s",
      "rtmpts://h/a/s", "rtmpts://h/a" },
  { "rtmfp://h/a/s", RTMP_SCHEME_RTMFP, "h", 1935, NULL, NULL, "a", "s",
      "rtmfp://h/a/s", "rtmfp://h/a" },
  /* the default port given explicitly is left out of tcUrl */
  { "rtmp://127.0.0.1:1935/live/x", RTMP_SCHEME_RTMP, "127.0.0.1", 1935, NULL,
      NULL, "live", "x", "rtmp://127.0.0.1/live/x", "rtmp://127.0.0.1/live" },
  { "rtmp://h:01935/a/s", RTMP_SCHEME_RTMP, "h", 1935, NULL, NULL, "a", "s",
      "rtmp://h/a/s", "rtmp://h/a" },
  { "rtmp://h:1/a/s", RTMP_SCHEME_RTMP, "h", 1, NULL, NULL, "a", "s",
      "rtmp://h:1/a/s", "rtmp://h:1/a" },
  { "rtmp://h:65535/a/s", RTMP_SCHEME_RTMP, "h", 65535, NULL, NULL, "a", "s",
      "rtmp://h:65535/a/s", "rtmp://h:65535/a" },
  /* IPv6 literals */
  { "rtmp://[::1]/live/x", RTMP_SCHEME_RTMP, "::1", 1935, NULL, NULL, "live",
      "x", "rtmp://[::1]/live/x", "rtmp://[::1]/live" },
  { "rtmp://[2001:db8::1]:1940/live/x", RTMP_SCHEME_RTMP, "2001:db8::1", 1940,
      NULL, NULL, "live", "x", "rtmp://[2001:db8::1]:1940/live/x",
      "rtmp://[2001:db8::1]:1940/live" },
  { "rtmp://[::ffff:10.0.0.1]/a/s", RTMP_SCHEME_RTMP, "::ffff:10.0.0.1", 1935,
      NULL, NULL, "a", "s", "rtmp://[::ffff:10.0.0.1]/a/s",
      "rtmp://[::ffff:10.0.0.1]/a" },
  { "rtmp://[fe80::1%25eth0]:1935/a/s", RTMP_SCHEME_RTMP, "fe80::1%eth0", 1935,
      NULL, NULL, "a", "s", "rtmp://[fe80::1%25eth0]/a/s",
      "rtmp://[fe80::1%25eth0]/a" },
  /* credentials, percent-decoded; never printed without asking */
  { "rtmp://user:pass@h/a/s", RTMP_SCHEME_RTMP, "h", 1935, "user", "pass", "a",
      "s", "rtmp://user@h/a/s", "rtmp://h/a" },
  { "rtmp://us%40er:p%3Ass%2Fw@h:99/a/s", RTMP_SCHEME_RTMP, "h", 99, "us@er",
      "p:ss/w", "a", "s", "rtmp://us%40er@h:99/a/s", "rtmp://h:99/a" },
  { "rtmp://user@h/a/s", RTMP_SCHEME_RTMP, "h", 1935, "user", NULL, "a", "s",
      "rtmp://user@h/a/s", "rtmp://h/a" },
  { "rtmp://u:p:q@h/a/s", RTMP_SCHEME_RTMP, "h", 1935, "u", "p:q", "a", "s",
      "rtmp://u@h/a/s", "rtmp://h/a" },
  { "rtmp://u:p@ss@h/a/s", RTMP_SCHEME_RTMP, "h", 1935, "u", "p@ss", "a", "s",
      "rtmp://u@h/a/s", "rtmp://h/a" },
  { "rtmp://u:@h/a/s", RTMP_SCHEME_RTMP, "h", 1935, "u", "", "a", "s",
      "rtmp://u@h/a/s", "rtmp://h/a" },
  { "rtmp://a%20b:c%C3%A9@[::1]:2000/a/s", RTMP_SCHEME_RTMP, "::1", 2000, "a b",
      "c\xc3\xa9", "a", "s", "rtmp://a%20b@[::1]:2000/a/s",
      "rtmp://[::1]:2000/a" },
  { "rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop", RTMP_SCHEME_RTMP,
      "a.rtmp.youtube.com", 1935, NULL, NULL, "live2", "abcd-efgh-ijkl-mnop",
      "rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop",
      "rtmp://a.rtmp.youtube.com/live2" },
  { "rtmp://my_host-1.local./app/_definst_/mp4:a.mp4", RTMP_SCHEME_RTMP,
      "my_host-1.local.", 1935, NULL, NULL, "app/_definst_", "mp4:a.mp4",
      "rtmp://my_host-1.local./app/_definst_/mp4:a.mp4",
      "rtmp://my_host-1.local./app/_definst_" },
};

GST_START_TEST (test_good_urls)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good_urls); i++) {
    const GoodUrl *g = &good_urls[i];
    g_autoptr (GError) error = NULL;
    g_autoptr (RtmpUrl) url = rtmp_url_parse (g->text, &error);
    g_autofree gchar *string = NULL;
    g_autofree gchar *tc_url = NULL;

    fail_unless (url != NULL, "%s: %s", g->text, error ? error->message : "");
    fail_unless_equals_int (url->scheme, g->scheme);
    fail_unless_equals_string (url->host, g->host);
    fail_unless_equals_int (url->port, g->port);
    fail_unless_equals_string (url->user, g->user);
    fail_unless_equals_string (url->password, g->password);
    fail_unless_equals_string (url->application, g->application);
    fail_unless_equals_string (url->stream, g->stream);

    string = rtmp_url_to_string (url, FALSE);
    fail_unless_equals_string (string, g->string);
    tc_url = rtmp_url_get_tc_url (url);
    fail_unless_equals_string (tc_url, g->tc_url);
  }
}

GST_END_TEST;

/* to_string (with the password) then parse gives the same parts; without
 * the password, everything but the password */
GST_START_TEST (test_round_trip)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good_urls); i++) {
    g_autoptr (RtmpUrl) url = rtmp_url_parse (good_urls[i].text, NULL);
    g_autoptr (RtmpUrl) copy = rtmp_url_copy (url);
    g_autofree gchar *full = rtmp_url_to_string (url, TRUE);
    g_autofree gchar *safe = rtmp_url_to_string (url, FALSE);
    g_autoptr (RtmpUrl) again = NULL;
    g_autoptr (RtmpUrl) again_safe = NULL;
    g_autoptr (GError) error = NULL;

    fail_unless (rtmp_url_equal (url, copy));
    again = rtmp_url_parse (full, &error);
    fail_unless (again != NULL, "%s: %s", full, error ? error->message : "");
    fail_unless (rtmp_url_equal (url, again), "%s -> %s", good_urls[i].text,
        full);

    again_safe = rtmp_url_parse (safe, NULL);
    fail_unless (again_safe != NULL);
    fail_unless (again_safe->password == NULL);
    g_clear_pointer (&copy->password, g_free);
    fail_unless (rtmp_url_equal (copy, again_safe));
  }
}

GST_END_TEST;

GST_START_TEST (test_password_only_when_asked)
{
  g_autoptr (RtmpUrl) url
      = rtmp_url_parse ("rtmp://bob:s%3Acret@h:1940/live/x", NULL);
  g_autofree gchar *safe = rtmp_url_to_string (url, FALSE);
  g_autofree gchar *full = rtmp_url_to_string (url, TRUE);
  g_autofree gchar *tc_url = rtmp_url_get_tc_url (url);

  fail_unless_equals_string (url->password, "s:cret");
  fail_unless_equals_string (safe, "rtmp://bob@h:1940/live/x");
  fail_unless_equals_string (full, "rtmp://bob:s%3Acret@h:1940/live/x");
  fail_unless_equals_string (tc_url, "rtmp://h:1940/live");
}

GST_END_TEST;

typedef struct
{
  const gchar *text;
  const gchar *message;
} BadUrl;

static const BadUrl bad_urls[] = {
  { "", "empty location (expected scheme://host/application/stream)" },
  { "host/app/stream",
      "host/app/stream: no scheme (expected "
      "scheme://host/application/stream)" },
  { "rtmp:/h/a/s",
      "rtmp:/h/a/s: no scheme (expected "
      "scheme://host/application/stream)" },
  { "http://h/a/s",
      "http://h/a/s: unknown scheme 'http' (known: rtmp, "
      "rtmps, rtmpe, rtmpt, rtmpte, rtmpts, rtmfp)" },
  { "://h/a/s",
      "://h/a/s: unknown scheme '' (known: rtmp, rtmps, rtmpe, "
      "rtmpt, rtmpte, rtmpts, rtmfp)" },
  { "rtmp://host:99999/live",
      "rtmp://host:99999/live: port 99999 out of "
      "range" },
  { "rtmp://h:0/a/s", "rtmp://h:0/a/s: port 0 out of range" },
  { "rtmp://h:65536/a/s", "rtmp://h:65536/a/s: port 65536 out of range" },
  { "rtmp://h:123456789012345678901234567890/a/s",
      "rtmp://h:123456789012345678901234567890/a/s: port "
      "123456789012345678901234567890 out of range" },
  { "rtmp://h:/a/s", "rtmp://h:/a/s: empty port after ':'" },
  { "rtmp://h:12ab/a/s", "rtmp://h:12ab/a/s: port '12ab' is not a number" },
  { "rtmp://h:-1/a/s", "rtmp://h:-1/a/s: port '-1' is not a number" },
  { "rtmp://[::1]:/a/s", "rtmp://[::1]:/a/s: empty port after ':'" },
  { "rtmp:///a/s", "rtmp:///a/s: no host" },
  { "rtmp://:1935/a/s", "rtmp://:1935/a/s: no host" },
  { "rtmp://h",
      "rtmp://h: no application and stream (expected "
      "scheme://host/application/stream)" },
  { "rtmp://h/app",
      "rtmp://h/app: no stream name (expected "
      "scheme://host/application/stream)" },
  { "rtmp://h/",
      "rtmp://h/: no stream name (expected "
      "scheme://host/application/stream)" },
  { "rtmp://::1/a/s",
      "rtmp://::1/a/s: IPv6 address must be in brackets "
      "([::1]:1935)" },
  { "rtmp://[::1/a/s", "rtmp://[::1/a/s: no ']' after IPv6 address" },
  { "rtmp://[::1]x/a/s", "rtmp://[::1]x/a/s: unexpected 'x' after ']'" },
  { "rtmp://[1.2.3.4]/a/s",
      "rtmp://[1.2.3.4]/a/s: '[1.2.3.4]' is not an "
      "IPv6 address" },
  { "rtmp://[zz::1]/a/s",
      "rtmp://[zz::1]/a/s: '[zz::1]' is not an IPv6 "
      "address" },
  { "rtmp://[]/a/s", "rtmp://[]/a/s: '[]' is not an IPv6 address" },
  { "rtmp://[fe80::1%eth0]/a/s",
      "rtmp://[fe80::1%eth0]/a/s: IPv6 zone in "
      "'[fe80::1%eth0]' must be written %25 and a name" },
  { "rtmp://[fe80::1%25]/a/s",
      "rtmp://[fe80::1%25]/a/s: IPv6 zone in "
      "'[fe80::1%25]' must be written %25 and a name" },
  { "rtmp://[fe80::1%25e/0]/a/s",
      "rtmp://[fe80::1%25e/0]/a/s: no ']' after "
      "IPv6 address" },
  { "rtmp://[fe80::1%25e+0]/a/s",
      "rtmp://[fe80::1%25e+0]/a/s: invalid "
      "character '+' in IPv6 zone" },
  /* found by fuzz-url: a multibyte character quoted by its first byte made
   * the message invalid UTF-8 */
  { "rtmp://[fe80::1%25e\xc3\xb6]/a/s",
      "rtmp://[fe80::1%25e\xc3\xb6]/a/s: "
      "invalid character '\xc3\xb6' in IPv6 zone" },
  { "rtmp://[::1]\xc3\xb6/a/s",
      "rtmp://[::1]\xc3\xb6/a/s: unexpected "
      "'\xc3\xb6' after ']'" },
  { "rtmp://ho st/a/s", "rtmp://ho st/a/s: invalid character ' ' in host" },
  { "rtmp://h?x/a/s", "rtmp://h?x/a/s: invalid character '?' in host" },
  { "rtmp://h\xc3\xb6/a/s",
      "rtmp://h\xc3\xb6/a/s: non-ASCII host name (use "
      "its IDNA form, xn--…)" },
  { "rtmp://999.1.1.1/a/s",
      "rtmp://999.1.1.1/a/s: '999.1.1.1' is not an "
      "IPv4 address" },
  { "rtmp://1.2.3/a/s", "rtmp://1.2.3/a/s: '1.2.3' is not an IPv4 address" },
  /* credentials: the password never shows in messages */
  { "rtmp://u:secret%zz@h/a/s",
      "rtmp://u:****@h/a/s: bad percent-encoding "
      "in the password (or an encoded NUL)" },
  { "rtmp://u%00:secret@h/a/s",
      "rtmp://u%00:****@h/a/s: bad "
      "percent-encoding in the user name (or an encoded NUL)" },
  { "rtmp://:secret@h/a/s",
      "rtmp://:****@h/a/s: empty user name before "
      "':'" },
  { "rtmp://@h/a/s", "rtmp://@h/a/s: empty user name before '@'" },
  { "rtmp://u:secret@h:99999/a/s",
      "rtmp://u:****@h:99999/a/s: port 99999 "
      "out of range" },
  { "rtmp://u:sec/ret@h/a/s",
      "rtmp://u:****@h/a/s: cannot parse the host: "
      "a '/' in the user name or password must be written %2F" },
  { "rtmp://u:secret@h",
      "rtmp://u:****@h: no application and stream "
      "(expected scheme://host/application/stream)" },
  { "rtmp://h/a/s\n", "location has a control character (0x0a) at byte 12" },
  { "rtmp://h/a/s\x7f",
      "location has a control character (0x7f) at byte "
      "12" },
  { "rtmp://h/a/\xff", "location is not valid UTF-8" },
};

GST_START_TEST (test_bad_urls)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad_urls); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (RtmpUrl) url = rtmp_url_parse (bad_urls[i].text, &error);

    fail_unless (url == NULL, "%s parsed", bad_urls[i].text);
    fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_BAD_URL), "%s",
        bad_urls[i].text);
    fail_unless_equals_string (error->message, bad_urls[i].message);
    fail_unless (g_utf8_validate (error->message, -1, NULL));
    fail_unless (strstr (error->message, "secret") == NULL);
    fail_unless (strstr (error->message, "sec/ret") == NULL);
    /* without an error to fill */
    fail_unless (rtmp_url_parse (bad_urls[i].text, NULL) == NULL);
  }
}

GST_END_TEST;

GST_START_TEST (test_host_length)
{
  g_autofree gchar *host = g_strnfill (255, 'a');
  g_autofree gchar *long_host = g_strnfill (256, 'a');
  g_autofree gchar *ok = g_strdup_printf ("rtmp://%s/a/s", host);
  g_autofree gchar *bad = g_strdup_printf ("rtmp://%s/a/s", long_host);
  g_autofree gchar *message
      = g_strdup_printf ("%s: host name of 256 bytes exceeds 255", bad);
  g_autoptr (RtmpUrl) url = rtmp_url_parse (ok, NULL);
  g_autoptr (GError) error = NULL;

  fail_unless (url != NULL);
  fail_unless (rtmp_url_parse (bad, &error) == NULL);
  fail_unless_equals_string (error->message, message);
}

GST_END_TEST;

GST_START_TEST (test_schemes)
{
  static const struct
  {
    const gchar *name;
    RtmpScheme scheme;
    guint16 port;
    gboolean tls;
  } table[] = {
    { "rtmp", RTMP_SCHEME_RTMP, 1935, FALSE },
    { "rtmps", RTMP_SCHEME_RTMPS, 443, TRUE },
    { "rtmpe", RTMP_SCHEME_RTMPE, 1935, FALSE },
    { "rtmpt", RTMP_SCHEME_RTMPT, 80, FALSE },
    { "rtmpte", RTMP_SCHEME_RTMPTE, 80, FALSE },
    { "rtmpts", RTMP_SCHEME_RTMPTS, 443, TRUE },
    { "rtmfp", RTMP_SCHEME_RTMFP, 1935, FALSE },
  };
  RtmpScheme scheme;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (table); i++) {
    g_autofree gchar *upper = g_ascii_strup (table[i].name, -1);

    fail_unless (rtmp_scheme_from_string (table[i].name, &scheme));
    fail_unless_equals_int (scheme, table[i].scheme);
    fail_unless (rtmp_scheme_from_string (upper, &scheme));
    fail_unless_equals_int (scheme, table[i].scheme);
    fail_unless_equals_string (rtmp_scheme_to_string (scheme), table[i].name);
    fail_unless_equals_int (rtmp_scheme_get_default_port (scheme),
        table[i].port);
    fail_unless_equals_int (rtmp_scheme_is_tls (scheme), table[i].tls);
  }
  fail_if (rtmp_scheme_from_string ("rtmpx", &scheme));
  fail_if (rtmp_scheme_from_string ("", &scheme));
  fail_if (rtmp_scheme_from_string ("rtm", NULL));
}

GST_END_TEST;

static Suite *
url_suite (void)
{
  Suite *s = suite_create ("rtmp-url");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_good_urls);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_password_only_when_asked);
  tcase_add_test (tc, test_bad_urls);
  tcase_add_test (tc, test_host_length);
  tcase_add_test (tc, test_schemes);
  return s;
}

GST_CHECK_MAIN (url);
