/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Connect-time authentication: the Adobe and Limelight challenge/response
 * exchanges (client and server side) and the secureToken TEA response. */

#include "rtmpauth.h"
#include "rtmpbytes.h"

#include <string.h>

/* A client gives up after this many rejections in one logical connect:
 * Adobe needs three connections (plain, user, response). */
#define MAX_AUTH_ROUNDS 4

struct _RtmpAuthState
{
  RtmpAuthmod configured;
  RtmpAuthmod active; /* the method in use, NONE before one is */
  gchar *user;
  gchar *password;
  gchar *query;
  guint rounds;
};

const gchar *
rtmp_authmod_to_string (RtmpAuthmod authmod)
{
  switch (authmod) {
    case RTMP_AUTHMOD_NONE:
      return "none";
    case RTMP_AUTHMOD_AUTO:
      return "auto";
    case RTMP_AUTHMOD_ADOBE:
      return "adobe";
    case RTMP_AUTHMOD_LLNW:
      return "llnw";
  }
  return "unknown";
}

RtmpAuthState *
rtmp_auth_state_new (RtmpAuthmod authmod, const gchar *user,
    const gchar *password)
{
  RtmpAuthState *state = g_new0 (RtmpAuthState, 1);

  state->configured = authmod;
  state->user = g_strdup (user);
  state->password = g_strdup (password);
  return state;
}

void
rtmp_auth_state_free (RtmpAuthState *state)
{
  if (state == NULL)
    return;
  g_free (state->user);
  g_free (state->password);
  g_free (state->query);
  g_free (state);
}

const gchar *
rtmp_auth_state_peek_query (const RtmpAuthState *state)
{
  return state->query;
}

RtmpAuthmod
rtmp_auth_state_get_authmod (const RtmpAuthState *state)
{
  return state->active != RTMP_AUTHMOD_NONE ? state->active : state->configured;
}

static gboolean
check_credentials (RtmpAuthState *state, RtmpAuthmod authmod, GError **error)
{
  if (state->user == NULL || state->user[0] == '\0') {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AUTH,
        "%s authentication needs a user name",
        rtmp_authmod_to_string (authmod));
    return FALSE;
  }
  if (state->password == NULL) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AUTH,
        "%s authentication needs a password", rtmp_authmod_to_string (authmod));
    return FALSE;
  }
  return TRUE;
}

static void
set_user_query (RtmpAuthState *state, RtmpAuthmod authmod)
{
  const gchar *user = state->user;

  state->active = authmod;
  g_free (state->query);
  state->query = g_strdup_printf ("authmod=%s&user=%s",
      rtmp_authmod_to_string (authmod), user);
}

gboolean
rtmp_auth_state_start (RtmpAuthState *state, GError **error)
{
  if (state->configured != RTMP_AUTHMOD_ADOBE
      && state->configured != RTMP_AUTHMOD_LLNW)
    return TRUE;
  if (state->query != NULL)
    return TRUE;
  if (!check_credentials (state, state->configured, error))
    return FALSE;
  set_user_query (state, state->configured);
  return TRUE;
}

/* The parameters after the last '?' of a rejection description, such as
 * "[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=needauth&..." */
static GHashTable *
parse_description_query (const gchar *description)
{
  const gchar *q = strrchr (description, '?');
  GHashTable *params;

  if (q == NULL)
    return NULL;
  params = g_uri_parse_params (q + 1, -1, "&", G_URI_PARAMS_NONE, NULL);
  return params;
}

/* The method named by "authmod=" in a rejection description, or NONE */
static RtmpAuthmod
find_authmod (const gchar *description)
{
  const gchar *p = strstr (description, "authmod=");

  if (p == NULL)
    return RTMP_AUTHMOD_NONE;
  p += strlen ("authmod=");
  if (g_str_has_prefix (p, "adobe"))
    return RTMP_AUTHMOD_ADOBE;
  if (g_str_has_prefix (p, "llnw"))
    return RTMP_AUTHMOD_LLNW;
  return RTMP_AUTHMOD_AUTO; /* some method we do not know */
}

static gchar *
md5_base64 (const gchar *a, const gchar *b, const gchar *c)
{
  g_autoptr (GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  guint8 digest[16];
  gsize digest_len = sizeof (digest);

  g_checksum_update (md5, (const guchar *) a, -1);
  if (b)
    g_checksum_update (md5, (const guchar *) b, -1);
  if (c)
    g_checksum_update (md5, (const guchar *) c, -1);
  g_checksum_get_digest (md5, digest, &digest_len);
  return g_base64_encode (digest, digest_len);
}

/* Adobe: response = b64(md5(b64(md5(user salt password)) (opaque or
 * challenge) client_challenge)), as FMS, Wowza and FFmpeg compute it. */
static gchar *
adobe_response (const gchar *user, const gchar *password, const gchar *salt,
    const gchar *opaque_or_challenge, const gchar *client_challenge)
{
  g_autofree gchar *hash1 = md5_base64 (user, salt, password);
  g_autofree gchar *tail = g_strconcat (
      opaque_or_challenge ? opaque_or_challenge : "", client_challenge, NULL);

  return md5_base64 (hash1, tail, NULL);
}

static gchar *
md5_hex (const gchar *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}

/* Limelight: HTTP-digest style, realm "live", method "publish", qop "auth",
 * the URI being "/app" plus "/_definst_" when app has no instance. */
static gchar *
llnw_response (const gchar *user, const gchar *password, const gchar *app,
    const gchar *nonce, const gchar *nc, const gchar *cnonce)
{
  g_autofree gchar *a1 = g_strdup_printf ("%s:live:%s", user, password);
  g_autofree gchar *a2 = g_strdup_printf ("publish:/%s%s", app,
      strchr (app, '/') ? "" : "/_definst_");
  g_autofree gchar *ha1 = md5_hex (a1);
  g_autofree gchar *ha2 = md5_hex (a2);
  g_autofree gchar *all
      = g_strdup_printf ("%s:%s:%s:%s:auth:%s", ha1, nonce, nc, cnonce, ha2);

  return md5_hex (all);
}

gboolean
rtmp_auth_state_handle_rejection (RtmpAuthState *state,
    const gchar *description, const gchar *app, const guint8 *random,
    GError **error)
{
  RtmpAuthmod asked;
  g_autoptr (GHashTable) params = NULL;
  const gchar *reason;
  const gchar *user = state->user;
  gchar client_challenge[9];

  if (description == NULL)
    description = "";
  asked = find_authmod (description);

  if (asked == RTMP_AUTHMOD_NONE) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_REJECTED, "connect rejected: %s",
        description[0] ? description : "(no description)");
    return FALSE;
  }

  if (state->configured == RTMP_AUTHMOD_NONE) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AUTH,
        "the server requires authentication (%s) and authmod is none: %s",
        asked == RTMP_AUTHMOD_AUTO ? "unknown method"
                                   : rtmp_authmod_to_string (asked),
        description);
    return FALSE;
  }
  if (asked == RTMP_AUTHMOD_AUTO) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AUTH,
        "the server asks for an authentication method not supported: %s",
        description);
    return FALSE;
  }
  if (state->configured != RTMP_AUTHMOD_AUTO && state->configured != asked) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AUTH,
        "the server uses authmod %s, configured %s: %s",
        rtmp_authmod_to_string (asked),
        rtmp_authmod_to_string (state->configured), description);
    return FALSE;
  }
  if (++state->rounds > MAX_AUTH_ROUNDS) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AUTH,
        "authentication did not complete after %u attempts: %s",
        MAX_AUTH_ROUNDS, description);
    return FALSE;
  }
  if (!check_credentials (state, asked, error))
    return FALSE;

  /* "[ code=403 need auth; authmod=adobe ]": the first step, send the user */
  if (strstr (description, "code=403 need auth") != NULL) {
    if (state->active == asked && state->query != NULL
        && g_str_has_prefix (state->query, "authmod=")
        && strstr (state->query, "&response=") != NULL) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_AUTH,
          "the server refused the %s credentials: %s",
          rtmp_authmod_to_string (asked), description);
      return FALSE;
    }
    set_user_query (state, asked);
    return TRUE;
  }

  params = parse_description_query (description);
  reason = params ? g_hash_table_lookup (params, "reason") : NULL;
  if (reason == NULL) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AUTH,
        "%s authentication rejected without a reason: %s",
        rtmp_authmod_to_string (asked), description);
    return FALSE;
  }
  if (g_strcmp0 (reason, "authfailed") == 0
      || g_strcmp0 (reason, "nosuchuser") == 0) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AUTH,
        "the server refused the user name or password (%s): %s", reason,
        description);
    return FALSE;
  }
  if (g_strcmp0 (reason, "needauth") != 0) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AUTH,
        "%s authentication failed, reason \"%s\": %s",
        rtmp_authmod_to_string (asked), reason, description);
    return FALSE;
  }

  g_snprintf (client_challenge, sizeof (client_challenge), "%02x%02x%02x%02x",
      random[0], random[1], random[2], random[3]);
  state->active = asked;

  if (asked == RTMP_AUTHMOD_ADOBE) {
    const gchar *salt = g_hash_table_lookup (params, "salt");
    const gchar *challenge = g_hash_table_lookup (params, "challenge");
    const gchar *opaque = g_hash_table_lookup (params, "opaque");
    g_autofree gchar *response = NULL;

    if (salt == NULL) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_AUTH,
          "adobe authentication request without salt: %s", description);
      return FALSE;
    }
    response = adobe_response (state->user, state->password, salt,
        opaque ? opaque : challenge, client_challenge);
    /* sent unescaped, as FFmpeg, librtmp and rtmp2 do: servers take the
     * base64 '+', '/' and '=' literally */
    g_free (state->query);
    state->query
        = g_strdup_printf ("authmod=adobe&user=%s&challenge=%s&response=%s%s%s",
            user, client_challenge, response, opaque ? "&opaque=" : "",
            opaque ? opaque : "");
  } else {
    const gchar *nonce = g_hash_table_lookup (params, "nonce");
    const gchar *nc = "00000001";
    g_autofree gchar *response = NULL;

    if (nonce == NULL) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_AUTH,
          "llnw authentication request without nonce: %s", description);
      return FALSE;
    }
    response = llnw_response (state->user, state->password, app, nonce, nc,
        client_challenge);
    g_free (state->query);
    state->query = g_strdup_printf (
        "authmod=llnw&user=%s&nonce=%s&cnonce=%s&nc=%s&response=%s", user,
        nonce, client_challenge, nc, response);
  }
  return TRUE;
}

/* --- server side --- */

#define ADOBE_NEED_AUTH \
  "[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : "
#define ADOBE_REJECT "[ AccessManager.Reject ] : [ authmod=adobe ] : "

static gchar *
derive_token (const guint8 *secret, gsize secret_len, const gchar *what,
    const gchar *user)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, secret, secret_len);
  const gchar *hex;

  g_hmac_update (hmac, (const guchar *) what, -1);
  g_hmac_update (hmac, (const guchar *) ":", 1);
  g_hmac_update (hmac, (const guchar *) user, -1);
  hex = g_hmac_get_string (hmac);
  return g_strndup (hex, 16);
}

static gchar *
derive_challenge (const guint8 *secret, gsize secret_len, const gchar *user,
    guint64 period)
{
  g_autofree gchar *what
      = g_strdup_printf ("challenge-%" G_GUINT64_FORMAT, period);

  return derive_token (secret, secret_len, what, user);
}

static gboolean
strings_equal_constant_time (const gchar *a, const gchar *b)
{
  gsize len = strlen (a), i;
  guint8 diff = 0;

  if (len != strlen (b))
    return FALSE;
  for (i = 0; i < len; i++)
    diff |= (guint8) a[i] ^ (guint8) b[i];
  return diff == 0;
}

static const gchar *const auth_params[] = { "authmod", "user", "challenge",
  "response", "opaque", "salt", "nonce", "cnonce", "nc", NULL };

gchar *
rtmp_auth_strip_query (const gchar *app_with_query)
{
  const gchar *q = strchr (app_with_query, '?');
  g_autoptr (GString) out = NULL;
  g_auto (GStrv) pairs = NULL;
  gboolean first = TRUE;
  guint i;

  if (q == NULL)
    return g_strdup (app_with_query);

  out = g_string_new_len (app_with_query, q - app_with_query);
  pairs = g_strsplit (q + 1, "&", -1);
  for (i = 0; pairs[i] != NULL; i++) {
    g_autofree gchar *key = NULL;
    const gchar *eq = strchr (pairs[i], '=');

    if (pairs[i][0] == '\0')
      continue;
    key = eq ? g_strndup (pairs[i], eq - pairs[i]) : g_strdup (pairs[i]);
    if (g_strv_contains (auth_params, key))
      continue;
    g_string_append_c (out, first ? '?' : '&');
    g_string_append (out, pairs[i]);
    first = FALSE;
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

RtmpAuthVerdict
rtmp_auth_server_check_adobe (const gchar *app_with_query, const gchar *user,
    const gchar *password, const guint8 *secret, gsize secret_len,
    guint64 now_s, gchar **description, gchar **app_out)
{
  guint64 period = now_s / RTMP_AUTH_CHALLENGE_PERIOD_S;
  g_autofree gchar *previous = NULL;
  g_autofree gchar *expected_previous = NULL;
  const gchar *q = strchr (app_with_query, '?');
  g_autoptr (GHashTable) params = NULL;
  const gchar *authmod, *client_user, *response, *client_challenge;
  g_autofree gchar *salt = NULL;
  g_autofree gchar *challenge = NULL;
  g_autofree gchar *expected = NULL;

  *description = NULL;
  if (app_out)
    *app_out = NULL;

  if (q != NULL)
    params = g_uri_parse_params (q + 1, -1, "&", G_URI_PARAMS_NONE, NULL);
  authmod = params ? g_hash_table_lookup (params, "authmod") : NULL;
  client_user = params ? g_hash_table_lookup (params, "user") : NULL;

  if (g_strcmp0 (authmod, "adobe") != 0 || client_user == NULL) {
    *description = g_strdup (ADOBE_NEED_AUTH);
    return RTMP_AUTH_VERDICT_CHALLENGE;
  }

  /* Unknown users get a challenge too and fail at the response, so the
   * answers do not tell which user names exist. */
  salt = derive_token (secret, secret_len, "salt", client_user);
  /* the challenge changes every period: a response answers this period's
   * or the previous one's, so a captured response is worth at most two
   * periods */
  challenge = derive_challenge (secret, secret_len, client_user, period);
  previous = derive_challenge (secret, secret_len, client_user, period - 1);
  response = g_hash_table_lookup (params, "response");
  client_challenge = g_hash_table_lookup (params, "challenge");

  if (response == NULL || client_challenge == NULL) {
    *description = g_strdup_printf ("%s?reason=needauth&user=%s&salt=%s&"
                                    "challenge=%s&opaque=%s",
        ADOBE_REJECT, client_user, salt, challenge, challenge);
    return RTMP_AUTH_VERDICT_CHALLENGE;
  }

  expected = adobe_response (client_user, password ? password : "", salt,
      challenge, client_challenge);
  expected_previous = adobe_response (client_user, password ? password : "",
      salt, previous, client_challenge);
  if (g_strcmp0 (client_user, user) != 0 || password == NULL
      || (!strings_equal_constant_time (response, expected)
          && !strings_equal_constant_time (response, expected_previous))) {
    *description = g_strdup_printf ("%s?reason=authfailed&opaque=%s",
        ADOBE_REJECT, challenge);
    return RTMP_AUTH_VERDICT_REFUSE;
  }

  if (app_out)
    *app_out = rtmp_auth_strip_query (app_with_query);
  return RTMP_AUTH_VERDICT_ACCEPT;
}

/* --- secureToken --- */

/* XXTEA ("corrected block TEA") decryption, as Wowza/FMS's secureToken
 * challenge uses it: @v holds @n little-endian words. */
static void
xxtea_decrypt (guint32 *v, guint n, const guint32 key[4])
{
  const guint32 delta = 0x9e3779b9;
  guint32 rounds = 6 + 52 / n;
  guint32 sum = rounds * delta;
  guint32 y = v[0], z, e;
  guint p;

  while (sum != 0) {
    e = (sum >> 2) & 3;
    for (p = n - 1; p > 0; p--) {
      z = v[p - 1];
      v[p] -= (((z >> 5) ^ (y << 2)) + ((y >> 3) ^ (z << 4)))
          ^ ((sum ^ y) + (key[(p & 3) ^ e] ^ z));
      y = v[p];
    }
    z = v[n - 1];
    v[0] -= (((z >> 5) ^ (y << 2)) + ((y >> 3) ^ (z << 4)))
        ^ ((sum ^ y) + (key[(p & 3) ^ e] ^ z));
    y = v[0];
    sum -= delta;
  }
}

gchar *
rtmp_auth_secure_token_response (const gchar *token, const gchar *challenge,
    GError **error)
{
  gsize hex_len = strlen (challenge), n_bytes, n_words, i;
  guint8 key_bytes[16] = { 0 };
  guint32 key[4];
  g_autofree guint8 *bytes = NULL;
  g_autofree guint32 *words = NULL;
  RtmpBytesReader r;
  gchar *out;

  if (hex_len == 0 || hex_len % 2 != 0) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "secureToken challenge of %" G_GSIZE_FORMAT " hex digits", hex_len);
    return NULL;
  }
  n_bytes = hex_len / 2;
  n_words = (n_bytes + 3) / 4;
  bytes = g_malloc0 (n_words * 4);
  for (i = 0; i < n_bytes; i++) {
    gint hi = g_ascii_xdigit_value (challenge[2 * i]);
    gint lo = g_ascii_xdigit_value (challenge[2 * i + 1]);

    if (hi < 0 || lo < 0) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
          "secureToken challenge: not hex at offset %" G_GSIZE_FORMAT, 2 * i);
      return NULL;
    }
    bytes[i] = (hi << 4) | lo;
  }

  memcpy (key_bytes, token, MIN (strlen (token), sizeof (key_bytes)));
  rtmp_bytes_reader_init (&r, key_bytes, sizeof (key_bytes));
  for (i = 0; i < 4; i++)
    rtmp_bytes_read_u32_le (&r, &key[i]);

  words = g_new (guint32, n_words);
  rtmp_bytes_reader_init (&r, bytes, n_words * 4);
  for (i = 0; i < n_words; i++)
    rtmp_bytes_read_u32_le (&r, &words[i]);

  xxtea_decrypt (words, n_words, key);

  out = g_malloc0 (n_words * 4 + 1);
  for (i = 0; i < n_words; i++)
    rtmp_bytes_put_u32_le ((guint8 *) out + 4 * i, words[i]);
  return out;
}
