/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Connect-time authentication: the Adobe and Limelight challenge/response
 * exchanges (client and server side) and the secureToken TEA response. */

#ifndef __RTMP_AUTH_H__
#define __RTMP_AUTH_H__

#include <glib.h>
#include "rtmperror.h"

G_BEGIN_DECLS

typedef enum
{
  RTMP_AUTHMOD_NONE,
  RTMP_AUTHMOD_AUTO, /* plain connect; follow the method the server asks */
  RTMP_AUTHMOD_ADOBE,
  RTMP_AUTHMOD_LLNW,
} RtmpAuthmod;

const gchar *rtmp_authmod_to_string (RtmpAuthmod authmod);

/* Bytes of randomness one client step needs (the client challenge or
 * cnonce) */
#define RTMP_AUTH_RANDOM_SIZE 4

/* Client side. The state lives across the connections of one logical
 * connect: each rejection with an authentication request yields the query
 * to append to app and tcUrl on the next connection. */
typedef struct _RtmpAuthState RtmpAuthState;

/* @user/@password (nullable) */
RtmpAuthState *rtmp_auth_state_new (RtmpAuthmod authmod, const gchar *user,
    const gchar *password);
void rtmp_auth_state_free (RtmpAuthState *state);

/* (nullable) "authmod=adobe&user=bob" or the full response query: append
 * "?query" to app and tcUrl of the next connect */
const gchar *rtmp_auth_state_peek_query (const RtmpAuthState *state);

/* Before the first connect: an explicit authmod starts with
 * "authmod=X&user=U" (FALSE with RTMP_ERROR_AUTH when the user or the
 * password is missing). */
gboolean rtmp_auth_state_start (RtmpAuthState *state, GError **error);

/* connect was rejected with @description. TRUE: reconnect with the new
 * query. FALSE: @error says why not (RTMP_ERROR_AUTH for wrong or missing
 * credentials, an unsupported method or too many rounds; RTMP_ERROR_REJECTED
 * when the rejection was not about authentication). @app: the application
 * without query (Limelight hashes it). @random: RTMP_AUTH_RANDOM_SIZE
 * bytes. */
gboolean rtmp_auth_state_handle_rejection (RtmpAuthState *state,
    const gchar *description, const gchar *app, const guint8 *random,
    GError **error);

RtmpAuthmod rtmp_auth_state_get_authmod (const RtmpAuthState *state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpAuthState, rtmp_auth_state_free)

/* Server side of Adobe authentication, stateless across connections: the
 * salt and challenge are derived from a per-server @secret and the user. */
typedef enum
{
  RTMP_AUTH_VERDICT_ACCEPT,
  /* reject with the returned description; the client retries */
  RTMP_AUTH_VERDICT_CHALLENGE,
  /* reject: wrong credentials or malformed attempt */
  RTMP_AUTH_VERDICT_REFUSE,
} RtmpAuthVerdict;

/* A server challenge is valid for this period and the next one */
#define RTMP_AUTH_CHALLENGE_PERIOD_S 30

/* @app_with_query: connect's app as sent ("live?authmod=adobe&user=...").
 * @now_s: the caller's clock in seconds (any origin, monotonic): the
 * challenge changes every RTMP_AUTH_CHALLENGE_PERIOD_S, so a response
 * captured on the wire can be replayed for at most two periods.
 * @description (transfer full): what to put into the _error's description
 * for CHALLENGE and REFUSE. @app_out (transfer full, nullable): the
 * application without the authentication query. */
RtmpAuthVerdict rtmp_auth_server_check_adobe (const gchar *app_with_query,
    const gchar *user, const gchar *password, const guint8 *secret,
    gsize secret_len, guint64 now_s, gchar **description, gchar **app_out);

/* Removes authmod/user/challenge/response/opaque/salt/nonce/cnonce/nc
 * parameters from an app or stream name's query (transfer full). */
gchar *rtmp_auth_strip_query (const gchar *app_with_query);

/* secureToken (Wowza/FMS): the TEA-decrypted @challenge (hex) keyed by the
 * first 16 bytes of @token; NULL with an error when @challenge is not hex */
gchar *rtmp_auth_secure_token_response (const gchar *token,
    const gchar *challenge, GError **error);

G_END_DECLS

#endif /* __RTMP_AUTH_H__ */
