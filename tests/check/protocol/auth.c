/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for rtmpauth: Adobe and Limelight exchanges, server-side Adobe
 * verification and the secureToken response. */

#include <gst/check/gstcheck.h>
#include "rtmpauth.h"

/* The client challenge "deadbeef" comes from these random bytes */
static const guint8 random_bytes[RTMP_AUTH_RANDOM_SIZE]
    = { 0xde, 0xad, 0xbe, 0xef };

#define NEED_AUTH_ADOBE \
  "[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : "
#define NEED_AUTH_LLNW \
  "[ AccessManager.Reject ] : [ code=403 need auth; authmod=llnw ] : "

/* Expected responses were computed independently (Python hashlib) from
 * user "bob", password "s3cret" and the challenges below. */
GST_START_TEST (test_adobe_auto_flow)
{
  g_autoptr (RtmpAuthState) state
      = rtmp_auth_state_new (RTMP_AUTHMOD_AUTO, "bob", "s3cret");
  g_autoptr (GError) error = NULL;

  fail_unless (rtmp_auth_state_start (state, &error));
  fail_unless (rtmp_auth_state_peek_query (state) == NULL);

  fail_unless (rtmp_auth_state_handle_rejection (state, NEED_AUTH_ADOBE, "live",
      random_bytes, &error));
  fail_unless_equals_string (rtmp_auth_state_peek_query (state),
      "authmod=adobe&user=bob");
  fail_unless_equals_int (rtmp_auth_state_get_authmod (state),
      RTMP_AUTHMOD_ADOBE);

  fail_unless (rtmp_auth_state_handle_rejection (state,
      "[ AccessManager.Reject ] : [ authmod=adobe ] : "
      "?reason=needauth&user=bob&salt=SALT1234&challenge=CHAL5678"
      "&opaque=OPQ90",
      "live", random_bytes, &error));
  fail_unless_equals_string (rtmp_auth_state_peek_query (state),
      "authmod=adobe&user=bob&challenge=deadbeef"
      "&response=VDTaoEJAUEClygnMwkJd0w==&opaque=OPQ90");

  fail_if (rtmp_auth_state_handle_rejection (state,
      "[ AccessManager.Reject ] : [ authmod=adobe ] : "
      "?reason=authfailed&opaque=OPQ90",
      "live", random_bytes, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_AUTH));
  fail_unless (strstr (error->message, "authfailed") != NULL);
}

GST_END_TEST;

GST_START_TEST (test_adobe_without_opaque_uses_challenge)
{
  g_autoptr (RtmpAuthState) state
      = rtmp_auth_state_new (RTMP_AUTHMOD_ADOBE, "bob", "s3cret");
  g_autoptr (GError) error = NULL;

  fail_unless (rtmp_auth_state_start (state, &error));
  fail_unless_equals_string (rtmp_auth_state_peek_query (state),
      "authmod=adobe&user=bob");
  fail_unless (rtmp_auth_state_handle_rejection (state,
      "[ AccessManager.Reject ] : [ authmod=adobe ] : "
      "?reason=needauth&user=bob&salt=SALT1234&challenge=CHAL5678",
      "live", random_bytes, &error));
  fail_unless_equals_string (rtmp_auth_state_peek_query (state),
      "authmod=adobe&user=bob&challenge=deadbeef"
      "&response=8p13FPJ802qR3NNTOJgj4w==");
}

GST_END_TEST;

GST_START_TEST (test_llnw_flow)
{
  g_autoptr (RtmpAuthState) state
      = rtmp_auth_state_new (RTMP_AUTHMOD_AUTO, "bob", "s3cret");
  g_autoptr (GError) error = NULL;

  fail_unless (rtmp_auth_state_handle_rejection (state, NEED_AUTH_LLNW, "live",
      random_bytes, &error));
  fail_unless_equals_string (rtmp_auth_state_peek_query (state),
      "authmod=llnw&user=bob");
  fail_unless (rtmp_auth_state_handle_rejection (state,
      "[ AccessManager.Reject ] : [ authmod=llnw ] : "
      "?reason=needauth&user=bob&nonce=NONCE42",
      "live", random_bytes, &error));
  fail_unless_equals_string (rtmp_auth_state_peek_query (state),
      "authmod=llnw&user=bob&nonce=NONCE42&cnonce=deadbeef&nc=00000001"
      "&response=6137199ec2844fe80f713614db2851d8");
}

GST_END_TEST;

GST_START_TEST (test_rejections_that_are_not_auth)
{
  g_autoptr (RtmpAuthState) state
      = rtmp_auth_state_new (RTMP_AUTHMOD_AUTO, "bob", "s3cret");
  g_autoptr (RtmpAuthState) none
      = rtmp_auth_state_new (RTMP_AUTHMOD_NONE, NULL, NULL);
  g_autoptr (RtmpAuthState) llnw_only
      = rtmp_auth_state_new (RTMP_AUTHMOD_LLNW, "bob", "s3cret");
  g_autoptr (RtmpAuthState) no_user
      = rtmp_auth_state_new (RTMP_AUTHMOD_ADOBE, NULL, "x");
  GError *error = NULL;

  fail_if (rtmp_auth_state_handle_rejection (state, "Application not found",
      "live", random_bytes, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_REJECTED));
  g_clear_error (&error);

  fail_if (rtmp_auth_state_handle_rejection (none, NEED_AUTH_ADOBE, "live",
      random_bytes, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_AUTH));
  fail_unless (strstr (error->message, "authmod is none") != NULL);
  g_clear_error (&error);

  fail_if (rtmp_auth_state_handle_rejection (llnw_only, NEED_AUTH_ADOBE, "live",
      random_bytes, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_AUTH));
  fail_unless (strstr (error->message, "configured llnw") != NULL);
  g_clear_error (&error);

  fail_if (rtmp_auth_state_start (no_user, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_AUTH));
  fail_unless (strstr (error->message, "user name") != NULL);
  g_clear_error (&error);

  fail_if (rtmp_auth_state_handle_rejection (state,
      "[ AccessManager.Reject ] : [ code=403 need auth; authmod=foo ] : ",
      "live", random_bytes, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_AUTH));
  g_clear_error (&error);
}

GST_END_TEST;

GST_START_TEST (test_rounds_are_bounded)
{
  g_autoptr (RtmpAuthState) state
      = rtmp_auth_state_new (RTMP_AUTHMOD_ADOBE, "bob", "s3cret");
  GError *error = NULL;
  guint i;

  for (i = 0; i < 10; i++) {
    if (!rtmp_auth_state_handle_rejection (state,
            "[ AccessManager.Reject ] : [ authmod=adobe ] : "
            "?reason=needauth&user=bob&salt=a&challenge=b",
            "live", random_bytes, &error))
      break;
  }
  fail_unless (i < 10);
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_AUTH));
  g_clear_error (&error);
}

GST_END_TEST;

/* Runs our client against our server side until it accepts or refuses */
static RtmpAuthVerdict
run_exchange (const gchar *client_password, guint64 delay_s, gchar **app_out)
{
  /* the challenge comes at 1000 s, the response @delay_s later */
  const guint64 challenged_s = 1000;
  static const guint8 secret[] = "server secret";
  g_autoptr (RtmpAuthState) client
      = rtmp_auth_state_new (RTMP_AUTHMOD_AUTO, "alice", client_password);
  guint round;

  for (round = 0; round < 4; round++) {
    const gchar *query = rtmp_auth_state_peek_query (client);
    g_autofree gchar *app
        = query ? g_strconcat ("live?", query, NULL) : g_strdup ("live");
    g_autofree gchar *description = NULL;
    g_autoptr (GError) error = NULL;
    RtmpAuthVerdict verdict;

    verdict = rtmp_auth_server_check_adobe (app, "alice", "wonderland", secret,
        sizeof (secret), round < 2 ? challenged_s : challenged_s + delay_s,
        &description, app_out);
    if (verdict != RTMP_AUTH_VERDICT_CHALLENGE)
      return verdict;
    fail_unless (rtmp_auth_state_handle_rejection (client, description, "live",
                     random_bytes, &error),
        "%s", error ? error->message : "");
  }
  fail ("no verdict after 4 rounds");
  return RTMP_AUTH_VERDICT_REFUSE;
}

GST_START_TEST (test_server_adobe_accepts_right_password)
{
  g_autofree gchar *app = NULL;

  fail_unless_equals_int (run_exchange ("wonderland", 0, &app),
      RTMP_AUTH_VERDICT_ACCEPT);
  fail_unless_equals_string (app, "live");
}

GST_END_TEST;

GST_START_TEST (test_server_adobe_refuses_wrong_password)
{
  g_autofree gchar *app = NULL;

  fail_unless_equals_int (run_exchange ("looking-glass", 0, &app),
      RTMP_AUTH_VERDICT_REFUSE);
  fail_unless (app == NULL);
}

GST_END_TEST;

GST_START_TEST (test_server_adobe_refuses_unknown_user_late)
{
  static const guint8 secret[] = "k";
  g_autofree gchar *description = NULL;
  RtmpAuthVerdict verdict;

  /* an unknown user is challenged like a known one */
  verdict = rtmp_auth_server_check_adobe ("live?authmod=adobe&user=mallory",
      "alice", "pw", secret, sizeof (secret), 1000, &description, NULL);
  fail_unless_equals_int (verdict, RTMP_AUTH_VERDICT_CHALLENGE);
  fail_unless (
      strstr (description, "reason=needauth&user=mallory&salt=") != NULL);
  g_clear_pointer (&description, g_free);

  verdict = rtmp_auth_server_check_adobe (
      "live?authmod=adobe&user=mallory&challenge=00&response=xx", "alice", "pw",
      secret, sizeof (secret), 1000, &description, NULL);
  fail_unless_equals_int (verdict, RTMP_AUTH_VERDICT_REFUSE);
  fail_unless (strstr (description, "reason=authfailed") != NULL);
}

GST_END_TEST;

GST_START_TEST (test_strip_query)
{
  static const struct
  {
    const gchar *in, *out;
  } cases[] = {
    { "live", "live" },
    { "live?authmod=adobe&user=bob", "live" },
    { "live?key=1&authmod=adobe&user=bob&response=x==", "live?key=1" },
    { "live?a=1&&b=2&opaque=z", "live?a=1&b=2" },
    { "live?", "live" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *out = rtmp_auth_strip_query (cases[i].in);

    fail_unless_equals_string (out, cases[i].out);
  }
}

GST_END_TEST;

/* The challenge is "hello world12345" XXTEA-encrypted (Python reference
 * implementation) with the key "0123456789abcdef" */
GST_START_TEST (test_secure_token)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *response = NULL;

  response = rtmp_auth_secure_token_response ("0123456789abcdefIGNORED",
      "af25c4852d9547585580de3168349d48", &error);
  fail_unless (response != NULL);
  fail_unless_equals_string (response, "hello world12345");

  fail_if (rtmp_auth_secure_token_response ("k", "zz", &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_MALFORMED));
  g_clear_error (&error);
  fail_if (rtmp_auth_secure_token_response ("k", "abc", &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_MALFORMED));
}

GST_END_TEST;

/* A response answers the challenge of its period or the previous one:
 * captured on the wire, it is worth at most two periods */
GST_START_TEST (test_server_adobe_challenge_expires)
{
  g_autofree gchar *app = NULL;

  fail_unless_equals_int (
      run_exchange ("wonderland", RTMP_AUTH_CHALLENGE_PERIOD_S, &app),
      RTMP_AUTH_VERDICT_ACCEPT);
  g_clear_pointer (&app, g_free);
  fail_unless_equals_int (
      run_exchange ("wonderland", 3 * RTMP_AUTH_CHALLENGE_PERIOD_S, &app),
      RTMP_AUTH_VERDICT_REFUSE);
}

GST_END_TEST;

static Suite *
auth_suite (void)
{
  Suite *s = suite_create ("rtmpauth");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_adobe_auto_flow);
  tcase_add_test (tc, test_adobe_without_opaque_uses_challenge);
  tcase_add_test (tc, test_llnw_flow);
  tcase_add_test (tc, test_rejections_that_are_not_auth);
  tcase_add_test (tc, test_rounds_are_bounded);
  tcase_add_test (tc, test_server_adobe_accepts_right_password);
  tcase_add_test (tc, test_server_adobe_refuses_wrong_password);
  tcase_add_test (tc, test_server_adobe_refuses_unknown_user_late);
  tcase_add_test (tc, test_strip_query);
  tcase_add_test (tc, test_server_adobe_challenge_expires);
  tcase_add_test (tc, test_secure_token);
  return s;
}

GST_CHECK_MAIN (auth);
