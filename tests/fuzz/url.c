/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: parses the input as a location; what parses must print and
 * parse back to the same parts. */

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "rtmpurl.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static gboolean initialised = FALSE;
  gchar *text;
  RtmpUrl *url;
  GError *error = NULL;

  if (!initialised) {
    g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    initialised = TRUE;
  }

  /* a NUL-terminated copy: parsing stops at an embedded NUL */
  text = g_strndup ((const gchar *) data, size);
  url = rtmp_url_parse (text, &error);
  if (url == NULL) {
    g_assert (error != NULL);
    g_assert (error->domain == RTMP_ERROR);
    g_assert (error->code == RTMP_ERROR_BAD_URL);
    g_assert (g_utf8_validate (error->message, -1, NULL));
    g_error_free (error);
  } else {
    gchar *full = rtmp_url_to_string (url, TRUE);
    gchar *safe = rtmp_url_to_string (url, FALSE);
    gchar *tc_url = rtmp_url_get_tc_url (url);
    RtmpUrl *again = rtmp_url_parse (full, NULL);
    RtmpUrl *again_safe = rtmp_url_parse (safe, NULL);

    g_assert (error == NULL);
    g_assert (
        url->host != NULL && url->application != NULL && url->stream != NULL);
    g_assert (url->port != 0);
    g_assert (again != NULL);
    g_assert (rtmp_url_equal (url, again));
    g_assert (again_safe != NULL);
    g_assert (again_safe->password == NULL);
    g_clear_pointer (&url->password, g_free);
    g_assert (rtmp_url_equal (url, again_safe));
    g_assert (g_str_has_prefix (tc_url, rtmp_scheme_to_string (url->scheme)));

    rtmp_url_free (again);
    rtmp_url_free (again_safe);
    g_free (full);
    g_free (safe);
    g_free (tc_url);
    rtmp_url_free (url);
  }
  g_free (text);
  return 0;
}
