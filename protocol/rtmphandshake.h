/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The RTMP handshake (RTMP 1.0 §5.2) in both roles: simple, and digest
 * ("complex", Flash Player 9 style) with HMAC-SHA256 at either schema. */

#ifndef __RTMP_HANDSHAKE_H__
#define __RTMP_HANDSHAKE_H__

#include <glib.h>
#include "rtmperror.h"
#include "rtmplimits.h"

G_BEGIN_DECLS

#define RTMP_HANDSHAKE_PACKET_SIZE 1536
/* Random bytes a handshake needs from its caller. Both roles use them the
 * same way, so that vectors are reproducible:
 *   C1/S1 bytes 8..1535 = random[8..1535] (bytes 0..7 of @random are
 *     unused: C1/S1 start with the time and version fields), then the
 *     digest, if any, overwrites 32 of them;
 *   a digest C2/S2 = random[1536..3039] + its 32-byte digest.
 * A simple C2/S2 is a copy of the peer's C1/S1 and uses no random bytes. */
#define RTMP_HANDSHAKE_RANDOM_SIZE (2 * RTMP_HANDSHAKE_PACKET_SIZE)

/* The C0/S0 version byte (RTMP 1.0 §5.2.2) */
typedef enum
{
  RTMP_HANDSHAKE_VERSION_PLAIN = 3,
  /* RTMPE: Diffie-Hellman + RC4 (6) and its XTEA/Blowfish variants (8, 9);
   * recognised, not yet implemented */
  RTMP_HANDSHAKE_VERSION_ENCRYPTED = 6,
  RTMP_HANDSHAKE_VERSION_ENCRYPTED_XTEA = 8,
  RTMP_HANDSHAKE_VERSION_ENCRYPTED_BLOWFISH = 9,
} RtmpHandshakeVersion;

typedef enum
{
  RTMP_HANDSHAKE_ROLE_CLIENT,
  RTMP_HANDSHAKE_ROLE_SERVER,
} RtmpHandshakeRole;

/* What a client sends. A server answers in the kind the client used: digest
 * when C1 has a nonzero version field and a valid digest at either schema,
 * simple otherwise. */
typedef enum
{
  RTMP_HANDSHAKE_SIMPLE,
  RTMP_HANDSHAKE_DIGEST,
} RtmpHandshakeType;

/* The version field a digest C1 carries: Flash Player 9.0.124.2, as FFmpeg
 * sends (servers such as FFmpeg's only check the digest when the first byte
 * is at least 3) */
#define RTMP_HANDSHAKE_CLIENT_VERSION 0x09007c02u
/* The version field of our digest S1: FMS 5.0.3.1 */
#define RTMP_HANDSHAKE_SERVER_VERSION 0x05000301u

typedef struct
{
  RtmpHandshakeRole role;
  RtmpHandshakeType type; /* client only */
  /* client only: C0; 0 means RTMP_HANDSHAKE_VERSION_PLAIN, the only one
   * implemented (see rtmp_handshake_config_check ()) */
  RtmpHandshakeVersion version;
  guint32 epoch_ms; /* the time field of C1/S1 */
  /* RTMP_HANDSHAKE_RANDOM_SIZE bytes (borrowed during _new only) */
  const guint8 *random;
  RtmpLogFunc log_func;
  gpointer log_user_data;
  /* levels passed to log_func (a mask, as in RtmpSessionConfig): WARNING
   * for tolerated peer quirks, DEBUG for progress; 0 = none */
  GLogLevelFlags log_level;
} RtmpHandshakeConfig;

typedef struct _RtmpHandshake RtmpHandshake;

/* FALSE and RTMP_ERROR_UNSUPPORTED when @config asks for what is not
 * implemented: a client C0 of 6, 8 or 9 (RTMPE). rtmp_handshake_new ()
 * requires a config that passes. */
gboolean rtmp_handshake_config_check (const RtmpHandshakeConfig *config,
    GError **error);

/* A client queues C0+C1 at once. */
RtmpHandshake *rtmp_handshake_new (const RtmpHandshakeConfig *config);
void rtmp_handshake_free (RtmpHandshake *handshake);

/* Feeds peer bytes. RTMP_READ_OK: the handshake is complete and *consumed
 * bytes were used (bytes after it belong to the chunk stream and are never
 * consumed; called again after completion it consumes nothing and returns
 * RTMP_READ_OK); RTMP_READ_NEED_MORE: all bytes were consumed, more are
 * needed; RTMP_READ_ERROR: the peer is not speaking a handshake we accept.
 * Answers are queued as they become due: a client queues C2 once S1 has
 * been checked, a server queues S0+S1+S2 once C1 is in. */
RtmpReadResult rtmp_handshake_receive (RtmpHandshake *handshake,
    const guint8 *data, gsize len, gsize *consumed, GError **error);

/* (transfer full, nullable): bytes to send now */
GBytes *rtmp_handshake_take_output (RtmpHandshake *handshake);

gboolean rtmp_handshake_is_complete (const RtmpHandshake *handshake);
/* The kind the peer used (known once its C1/S1 arrived; SIMPLE before) */
RtmpHandshakeType rtmp_handshake_get_peer_type (const RtmpHandshake *handshake);
/* The time field of the peer's C1/S1 */
guint32 rtmp_handshake_get_peer_epoch (const RtmpHandshake *handshake);
/* The version field of the peer's C1/S1 (0 from simple peers), e.g.
 * 0x0d0e0a0d from nginx-rtmp; for logs */
guint32 rtmp_handshake_get_peer_version (const RtmpHandshake *handshake);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpHandshake, rtmp_handshake_free)

G_END_DECLS

#endif /* __RTMP_HANDSHAKE_H__ */
