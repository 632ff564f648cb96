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
/* Random bytes a handshake needs from its caller: the filler of C1/S1 and of
 * S2/C2 (digest mode writes its own random-looking S2/C2 bodies too). */
#define RTMP_HANDSHAKE_RANDOM_SIZE (2 * RTMP_HANDSHAKE_PACKET_SIZE)

/* The C0/S0 version byte */
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
 * when C1 carries a valid digest at either schema, simple otherwise. */
typedef enum
{
  RTMP_HANDSHAKE_SIMPLE,
  RTMP_HANDSHAKE_DIGEST,
} RtmpHandshakeType;

typedef struct
{
  RtmpHandshakeRole role;
  RtmpHandshakeType type;       /* client only */
  RtmpHandshakeVersion version; /* client only: C0 */
  guint32 epoch_ms;             /* the time field of C1/S1 */
  /* RTMP_HANDSHAKE_RANDOM_SIZE bytes (borrowed during _new only) */
  const guint8 *random;
  RtmpLogFunc log_func;
  gpointer log_user_data;
} RtmpHandshakeConfig;

typedef struct _RtmpHandshake RtmpHandshake;

/* A client queues C0+C1 at once. */
RtmpHandshake *rtmp_handshake_new (const RtmpHandshakeConfig *config);
void rtmp_handshake_free (RtmpHandshake *handshake);

/* Feeds peer bytes. RTMP_READ_OK: the handshake is complete and *consumed
 * bytes were used (bytes after it belong to the chunk stream);
 * RTMP_READ_NEED_MORE: all bytes were consumed, more are needed. Answers
 * are queued as they become due. */
RtmpReadResult rtmp_handshake_receive (RtmpHandshake *handshake,
    const guint8 *data, gsize len, gsize *consumed, GError **error);

/* (transfer full, nullable): bytes to send now */
GBytes *rtmp_handshake_take_output (RtmpHandshake *handshake);

gboolean rtmp_handshake_is_complete (const RtmpHandshake *handshake);
/* The kind the peer used (known once its C1/S1 arrived) */
RtmpHandshakeType rtmp_handshake_get_peer_type (const RtmpHandshake *handshake);
/* The time field of the peer's C1/S1 */
guint32 rtmp_handshake_get_peer_epoch (const RtmpHandshake *handshake);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpHandshake, rtmp_handshake_free)

G_END_DECLS

#endif /* __RTMP_HANDSHAKE_H__ */
