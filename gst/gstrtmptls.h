/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TLS for RTMPS: OpenSSL over in-memory byte queues, between a socket and a
 * session. Neither side is touched here: the connection feeds ciphertext in,
 * takes plaintext out, and the reverse. Client and server roles. */

#ifndef __GST_RTMP_TLS_H__
#define __GST_RTMP_TLS_H__

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  gboolean is_server;
  /* client: the host name for SNI and certificate validation (required).
   * An IP literal (IPv6 with or without brackets) is matched against the
   * certificate's IP addresses and sent without SNI; a trailing dot is
   * dropped and an internationalised name is converted to ASCII. */
  const gchar *host;
  /* client: PEM CA bundle to trust instead of the system store
   * (nullable). Every certificate in it is a trust anchor, intermediates
   * included. */
  const gchar *ca_file;
  /* client: which problems fail the connection, with rtmp2sink's meaning of
   * tls-validation-flags: a problem whose bit is set fails the handshake, a
   * problem whose bit is clear is ignored (and reported by
   * gst_rtmp_tls_get_ignored_errors ()). G_TLS_CERTIFICATE_VALIDATE_ALL is
   * the usual value; 0 accepts any certificate. Revocation is not checked
   * (no CRL or OCSP), as with rtmp2sink. */
  GTlsCertificateFlags validation_flags;
  /* server: certificate chain (leaf first) and key, PEM files; when
   * key_file is NULL the key is read from certificate_file. Client:
   * optional client certificate, same rules. Encrypted keys are refused
   * (there is nobody to ask for a password). */
  const gchar *certificate_file;
  const gchar *key_file;
} GstRtmpTlsConfig;

typedef struct _GstRtmpTls GstRtmpTls;

/* NULL with an error when the configuration cannot be used: G_IO_ERROR when
 * a file cannot be read (G_IO_ERROR_NOT_FOUND...), G_TLS_ERROR_BAD_CERTIFICATE
 * when its contents are unusable (no certificate, key not matching the
 * certificate, encrypted key...), G_IO_ERROR_INVALID_ARGUMENT for a server
 * without certificate. A client has its ClientHello ready in the output
 * queue when this returns. */
GstRtmpTls *gst_rtmp_tls_new (const GstRtmpTlsConfig *config, GError **error);
void gst_rtmp_tls_free (GstRtmpTls *tls);

/* Ciphertext from the network: all of it is taken (copied once). Drives the
 * handshake as needed. FALSE with an error when the peer's TLS is broken or
 * its certificate fails validation:
 *  - G_TLS_ERROR_BAD_CERTIFICATE for validation failures, the message names
 *    the host and the reason ("TLS certificate of example.com is signed by
 *    an unknown authority (self-signed certificate)");
 *  - G_TLS_ERROR_NOT_TLS when the first bytes from the peer are not TLS at
 *    all (a plain RTMP or HTTP peer);
 *  - G_TLS_ERROR_HANDSHAKE for other failures during the handshake,
 *    G_TLS_ERROR_MISC after it, with OpenSSL's reason string.
 * After an error every call fails with the same error; free @tls.
 * May queue output (handshake messages, alerts): check
 * gst_rtmp_tls_peek_output () after each call. */
gboolean gst_rtmp_tls_receive (GstRtmpTls *tls, const guint8 *data, gsize len,
    GError **error);

/* Decrypted bytes, up to @len, written straight into @buffer: returns how
 * many (0 when none are ready, or once the peer closed: see
 * gst_rtmp_tls_peer_closed ()), or -1 with an error (see
 * gst_rtmp_tls_receive ()). Processes post-handshake messages
 * (renegotiation, key updates), which may queue output. */
gssize gst_rtmp_tls_read (GstRtmpTls *tls, guint8 *buffer, gsize len,
    GError **error);

/* Plaintext to send: all of it is accepted (encrypted into the outgoing
 * ciphertext queue; before the handshake completes, or while a
 * renegotiation waits for the peer, it is held and sent as soon as it can
 * be). FALSE with an error when TLS failed, G_IO_ERROR_CLOSED after
 * gst_rtmp_tls_shutdown (). */
gboolean gst_rtmp_tls_write (GstRtmpTls *tls, const guint8 *data, gsize len,
    GError **error);

/* Ciphertext waiting to go to the network: a pointer to it (one contiguous
 * piece) and its length (0 when none), valid until the next call on @tls;
 * then gst_rtmp_tls_consume_output () what was sent. */
gsize gst_rtmp_tls_peek_output (GstRtmpTls *tls, const guint8 **data);
void gst_rtmp_tls_consume_output (GstRtmpTls *tls, gsize n_bytes);

/* TRUE once the first handshake completed (and stays TRUE during a later
 * renegotiation) */
gboolean gst_rtmp_tls_is_handshake_complete (const GstRtmpTls *tls);

/* Client: the certificate problems that were found and ignored because their
 * bit is clear in validation_flags (0 when none, and before the peer's
 * certificate arrived). The connection may log them. */
GTlsCertificateFlags gst_rtmp_tls_get_ignored_errors (const GstRtmpTls *tls);

/* Queues a close_notify alert (sent with the output) after any plaintext
 * still held; before the handshake completes it is sent once it does.
 * Later writes fail. */
void gst_rtmp_tls_shutdown (GstRtmpTls *tls);

/* The peer sent close_notify (seen by gst_rtmp_tls_read ()) */
gboolean gst_rtmp_tls_peer_closed (const GstRtmpTls *tls);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstRtmpTls, gst_rtmp_tls_free)

G_END_DECLS

#endif /* __GST_RTMP_TLS_H__ */
