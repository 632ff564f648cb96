/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TLS for RTMPS: OpenSSL driven over in-memory byte queues, client and
 * server role, without sockets, threads or blocking. */

/* Only OpenSSL 3 API: anything deprecated fails to compile */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1

#include "gstrtmptls.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <limits.h>
#include <sys/stat.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtmp_tls_debug);
#define GST_CAT_DEFAULT gst_rtmp_tls_debug

/* PEM files larger than this are not certificates or keys we could use */
#define MAX_PEM_FILE_BYTES (16 * 1024 * 1024)
/* An emptied queue keeps its buffer for the next burst unless it grew past
 * this (a 1 MB write once should not pin 1 MB for the connection's life) */
#define MAX_IDLE_QUEUE_BYTES (1024 * 1024)
/* Names listed in a "not valid for this host name" message */
#define MAX_NAMES_SHOWN 6
/* Bytes of one peer-controlled string (a certificate name) in a message */
#define MAX_NAME_CHARS 64

/* Bytes in order with cheap appends at the end and consumption at the start:
 * the BIO between OpenSSL and the caller. Space freed at the start is
 * reclaimed by moving the rest down only once at least half of the buffer is
 * free, else the buffer doubles, so each byte is moved O(1) times. */
typedef struct
{
  guint8 *data;
  gsize start; /* first byte not consumed yet */
  gsize end;   /* one past the last byte */
  gsize alloc;
} ByteQueue;

struct _GstRtmpTls
{
  gboolean is_server;
  gchar *host; /* client: as configured, for messages */
  GTlsCertificateFlags validation_flags;

  SSL_CTX *ctx;
  SSL *ssl;
  BIO_METHOD *bio_method; /* freed after ssl, which holds the BIO */

  ByteQueue in;  /* ciphertext received, not read by OpenSSL */
  ByteQueue out; /* ciphertext for the network */
  /* plaintext written before the handshake completed, or by a write that a
   * renegotiation interrupted: OpenSSL wants such a write repeated with the
   * same bytes first, so this always starts with them */
  ByteQueue held;

  gboolean handshake_complete;
  gboolean shutdown_requested;
  gboolean shutdown_sent;
  /* set once: every later call fails with a copy */
  GError *failure;

  /* client certificate validation */
  GTlsCertificateFlags ignored_errors;
  /* why the handshake was refused, written by verify_callback () */
  gchar *validation_failure;
};

/* ---- byte queues ---- */

static inline gsize
byte_queue_size (const ByteQueue *q)
{
  return q->end - q->start;
}

static inline const guint8 *
byte_queue_peek (const ByteQueue *q)
{
  return q->data + q->start;
}

static void
byte_queue_append (ByteQueue *q, const guint8 *data, gsize len)
{
  if (len == 0)
    return;
  if (len > q->alloc - q->end) {
    gsize size = byte_queue_size (q);

    if (len > G_MAXSIZE / 2 - size)
      g_error ("TLS queue of %" G_GSIZE_FORMAT
               " bytes cannot grow by %" G_GSIZE_FORMAT,
          size, len);

    if (q->start >= q->alloc / 2 && size + len <= q->alloc) {
      memmove (q->data, q->data + q->start, size);
    } else {
      /* doubling: a queue that stays nearly full is moved down once per
       * half buffer consumed, not once per append */
      gsize alloc = MAX (q->alloc * 2, 16 * 1024);
      guint8 *data;

      while (alloc < size + len)
        alloc *= 2;
      /* copy only the live bytes, not the consumed ones realloc would keep */
      data = g_malloc (alloc);
      if (size > 0)
        memcpy (data, q->data + q->start, size);
      g_free (q->data);
      q->data = data;
      q->alloc = alloc;
    }
    q->start = 0;
    q->end = size;
  }
  memcpy (q->data + q->end, data, len);
  q->end += len;
}

static void
byte_queue_consume (ByteQueue *q, gsize len)
{
  g_assert (len <= byte_queue_size (q));
  q->start += len;
  if (q->start == q->end) {
    q->start = q->end = 0;
    if (q->alloc > MAX_IDLE_QUEUE_BYTES) {
      g_clear_pointer (&q->data, g_free);
      q->alloc = 0;
    }
  }
}

static void
byte_queue_clear (ByteQueue *q)
{
  g_clear_pointer (&q->data, g_free);
  q->start = q->end = q->alloc = 0;
}

/* ---- the BIO OpenSSL reads ciphertext from and writes ciphertext to ---- */

/* A BIO_s_mem () would do the same with one more copy: its bytes can only
 * be consumed by copying them out, while the caller sends ours from the
 * queue and then drops them. */

static int
queue_bio_write (BIO *bio, const char *data, size_t len, size_t *written)
{
  GstRtmpTls *tls = BIO_get_data (bio);

  BIO_clear_retry_flags (bio);
  byte_queue_append (&tls->out, (const guint8 *) data, len);
  *written = len;
  return 1;
}

static int
queue_bio_read (BIO *bio, char *data, size_t len, size_t *read_bytes)
{
  GstRtmpTls *tls = BIO_get_data (bio);
  gsize n = MIN (len, byte_queue_size (&tls->in));

  BIO_clear_retry_flags (bio);
  *read_bytes = n;
  if (n == 0) {
    /* not the end of the stream: more may come with the next receive */
    BIO_set_retry_read (bio);
    return 0;
  }
  memcpy (data, byte_queue_peek (&tls->in), n);
  byte_queue_consume (&tls->in, n);
  return 1;
}

static long
queue_bio_ctrl (BIO *bio, int cmd, long num, void *ptr)
{
  GstRtmpTls *tls = BIO_get_data (bio);

  if (tls == NULL)
    return 0;
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return MIN (byte_queue_size (&tls->in), LONG_MAX);
    case BIO_CTRL_WPENDING:
      return MIN (byte_queue_size (&tls->out), LONG_MAX);
    default:
      return 0;
  }
}

static int
queue_bio_create (BIO *bio)
{
  BIO_set_init (bio, 1);
  return 1;
}

static int
queue_bio_type (void)
{
  static gsize type = 0;

  /* BIO_get_new_index () hands out few indexes: take one per process */
  if (g_once_init_enter (&type)) {
    int index = BIO_get_new_index ();

    g_once_init_leave (&type, (index == -1 ? 0 : index) | BIO_TYPE_SOURCE_SINK);
  }
  return type;
}

static BIO_METHOD *
queue_bio_method_new (void)
{
  BIO_METHOD *method = BIO_meth_new (queue_bio_type (), "rtmp-tls-queue");

  if (method == NULL)
    return NULL;
  if (!BIO_meth_set_write_ex (method, queue_bio_write)
      || !BIO_meth_set_read_ex (method, queue_bio_read)
      || !BIO_meth_set_ctrl (method, queue_bio_ctrl)
      || !BIO_meth_set_create (method, queue_bio_create)) {
    BIO_meth_free (method);
    return NULL;
  }
  return method;
}

/* ---- messages ---- */

/* The OpenSSL error queue is per thread and other users share it: read it
 * only after a failure of ours and leave it empty behind us. */
static gchar *
take_openssl_error_string (void)
{
  unsigned long err = ERR_get_error ();
  gchar text[256];

  if (err == 0)
    return NULL;
  ERR_error_string_n (err, text, sizeof (text));
  ERR_clear_error ();
  return g_strdup (text);
}

/* Certificate contents come from the peer: printable ASCII only, bounded */
static gchar *
printable (const guint8 *data, gsize len)
{
  GString *s = g_string_sized_new (MIN (len, MAX_NAME_CHARS) + 3);
  gsize i;

  for (i = 0; i < len && i < MAX_NAME_CHARS; i++)
    g_string_append_c (s, data[i] >= 0x20 && data[i] < 0x7f ? data[i] : '?');
  if (len > MAX_NAME_CHARS)
    g_string_append (s, "...");
  return g_string_free (s, FALSE);
}

static gchar *
ip_address_string (const ASN1_OCTET_STRING *ip)
{
  const guint8 *bytes = ASN1_STRING_get0_data (ip);
  gint len = ASN1_STRING_length (ip);
  GInetAddress *address;
  gchar *text;

  if (len != 4 && len != 16)
    return NULL;
  address = g_inet_address_new_from_bytes (bytes,
      len == 4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
  text = g_inet_address_to_string (address);
  g_object_unref (address);
  return text;
}

static gchar *
common_name (X509 *cert)
{
  const X509_NAME *subject = X509_get_subject_name (cert);
  int index = X509_NAME_get_index_by_NID (subject, NID_commonName, -1);
  const X509_NAME_ENTRY *entry;
  unsigned char *utf8 = NULL;
  int len;
  gchar *text;

  if (index < 0)
    return NULL;
  entry = X509_NAME_get_entry (subject, index);
  len = ASN1_STRING_to_UTF8 (&utf8, X509_NAME_ENTRY_get_data (entry));
  if (len < 0)
    return NULL;
  text = printable (utf8, len);
  OPENSSL_free (utf8);
  return text;
}

/* "localhost, 127.0.0.1": the names a certificate is valid for, from its
 * subjectAltName, else its common name */
static gchar *
describe_names (X509 *cert)
{
  GENERAL_NAMES *names;
  GString *s = g_string_new (NULL);
  guint shown = 0, total = 0;
  gchar *cn;

  names = X509_get_ext_d2i (cert, NID_subject_alt_name, NULL, NULL);
  if (names != NULL) {
    int i;

    for (i = 0; i < sk_GENERAL_NAME_num (names); i++) {
      const GENERAL_NAME *name = sk_GENERAL_NAME_value (names, i);
      gchar *text = NULL;

      if (name->type == GEN_DNS)
        text = printable (ASN1_STRING_get0_data (name->d.dNSName),
            ASN1_STRING_length (name->d.dNSName));
      else if (name->type == GEN_IPADD)
        text = ip_address_string (name->d.iPAddress);
      if (text == NULL)
        continue;
      total++;
      if (shown < MAX_NAMES_SHOWN) {
        g_string_append_printf (s, "%s%s", shown > 0 ? ", " : "", text);
        shown++;
      }
      g_free (text);
    }
    GENERAL_NAMES_free (names);
  }
  if (total > shown)
    g_string_append_printf (s, " and %u more", total - shown);
  if (total == 0 && (cn = common_name (cert)) != NULL) {
    g_string_append (s, cn);
    g_free (cn);
  }
  if (s->len == 0)
    g_string_append (s, "no host name");
  return g_string_free (s, FALSE);
}

static gchar *
describe_subject (X509 *cert)
{
  gchar *cn = cert != NULL ? common_name (cert) : NULL;
  gchar *text;

  if (cn == NULL)
    return g_strdup ("a certificate without common name");
  text = g_strdup_printf ("\"%s\"", cn);
  g_free (cn);
  return text;
}

static gchar *
format_time (const ASN1_TIME *t)
{
  struct tm tm;

  if (t == NULL || !ASN1_TIME_to_tm (t, &tm))
    return g_strdup ("an unreadable date");
  return g_strdup_printf ("%04d-%02d-%02d %02d:%02d:%02d UTC",
      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
      tm.tm_sec);
}

/* ---- certificate validation (client) ---- */

/* OpenSSL's verification errors in GTlsCertificateFlags' categories, as
 * rtmp2sink (GIO) would report them */
static GTlsCertificateFlags
flag_for_verify_error (int err)
{
  switch (err) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
    case X509_V_ERR_INVALID_CA:
      return G_TLS_CERTIFICATE_UNKNOWN_CA;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return G_TLS_CERTIFICATE_BAD_IDENTITY;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return G_TLS_CERTIFICATE_NOT_ACTIVATED;
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return G_TLS_CERTIFICATE_EXPIRED;
    case X509_V_ERR_CERT_REVOKED:
      return G_TLS_CERTIFICATE_REVOKED;
    case X509_V_ERR_CA_MD_TOO_WEAK:
    case X509_V_ERR_CA_KEY_TOO_SMALL:
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_EC_KEY_EXPLICIT_PARAMS:
      return G_TLS_CERTIFICATE_INSECURE;
    default:
      return G_TLS_CERTIFICATE_GENERIC_ERROR;
  }
}

/* What a user reads when the handshake is refused: the host, what is wrong
 * and the detail to act on (names, dates, OpenSSL's reason) */
static gchar *
describe_validation_failure (const gchar *host, GTlsCertificateFlags flag,
    int err, int depth, X509 *leaf, X509 *cert)
{
  const gchar *reason = X509_verify_cert_error_string (err);
  gchar *detail, *what, *message;

  switch (flag) {
    case G_TLS_CERTIFICATE_UNKNOWN_CA:
      return g_strdup_printf ("TLS certificate of %s is signed by an unknown "
                              "authority (%s)",
          host, reason);
    case G_TLS_CERTIFICATE_BAD_IDENTITY:
      detail = leaf != NULL ? describe_names (leaf) : g_strdup ("unknown");
      message = g_strdup_printf ("TLS certificate of %s is not valid for this "
                                 "host name (certificate is for %s)",
          host, detail);
      g_free (detail);
      return message;
    case G_TLS_CERTIFICATE_NOT_ACTIVATED:
      detail = format_time (cert != NULL ? X509_get0_notBefore (cert) : NULL);
      if (depth == 0) {
        message = g_strdup_printf ("TLS certificate of %s is not valid yet "
                                   "(valid from %s)",
            host, detail);
      } else {
        what = describe_subject (cert);
        message = g_strdup_printf (
            "TLS certificate of %s is issued by a "
            "certificate that is not valid yet (%s, valid from %s)",
            host, what, detail);
        g_free (what);
      }
      g_free (detail);
      return message;
    case G_TLS_CERTIFICATE_EXPIRED:
      detail = format_time (cert != NULL ? X509_get0_notAfter (cert) : NULL);
      if (depth == 0) {
        message = g_strdup_printf ("TLS certificate of %s has expired "
                                   "(valid until %s)",
            host, detail);
      } else {
        what = describe_subject (cert);
        message = g_strdup_printf ("TLS certificate of %s is issued by an "
                                   "expired certificate (%s, valid until %s)",
            host, what, detail);
        g_free (what);
      }
      g_free (detail);
      return message;
    case G_TLS_CERTIFICATE_REVOKED:
      return g_strdup_printf ("TLS certificate of %s %s been revoked", host,
          depth == 0 ? "has" : "is issued by a certificate that has");
    case G_TLS_CERTIFICATE_INSECURE:
      return g_strdup_printf ("TLS certificate of %s uses an insecure "
                              "algorithm or key size (%s)",
          host, reason);
    default:
      return g_strdup_printf ("TLS certificate of %s is not valid (%s)", host,
          reason);
  }
}

/* Called by OpenSSL for each problem found: records it, accepts it when its
 * category is not among validation_flags (OpenSSL then goes on checking
 * and may report more), refuses it otherwise, which ends the handshake. */
static int
verify_callback (int preverify_ok, X509_STORE_CTX *store_ctx)
{
  SSL *ssl = X509_STORE_CTX_get_ex_data (store_ctx,
      SSL_get_ex_data_X509_STORE_CTX_idx ());
  GstRtmpTls *tls = SSL_get_app_data (ssl);
  int err, depth;
  GTlsCertificateFlags flag;

  if (preverify_ok)
    return 1;

  err = X509_STORE_CTX_get_error (store_ctx);
  depth = X509_STORE_CTX_get_error_depth (store_ctx);
  flag = flag_for_verify_error (err);

  if (!(tls->validation_flags & flag)) {
    GST_INFO ("TLS certificate of %s: ignoring \"%s\" (error %d at depth %d) "
              "as tls-validation-flags allow",
        tls->host, X509_verify_cert_error_string (err), err, depth);
    tls->ignored_errors |= flag;
    return 1;
  }

  if (tls->validation_failure == NULL)
    tls->validation_failure = describe_validation_failure (tls->host, flag, err,
        depth, X509_STORE_CTX_get0_cert (store_ctx),
        X509_STORE_CTX_get_current_cert (store_ctx));
  return 0;
}

/* ---- failures ---- */

static void
record_failure (GstRtmpTls *tls, GQuark domain, gint code, gchar *message)
{
  if (tls->failure == NULL) {
    GST_DEBUG ("%s", message);
    tls->failure = g_error_new_literal (domain, code, message);
  }
  g_free (message);
  ERR_clear_error ();
}

static gboolean
return_failure (GstRtmpTls *tls, GError **error)
{
  g_assert (tls->failure != NULL);
  if (error != NULL)
    *error = g_error_copy (tls->failure);
  return FALSE;
}

/* OpenSSL's reasons for a first record that is not TLS at all (a TLS peer
 * sending the wrong message is a handshake failure, not this) */
static gboolean
is_not_tls_reason (unsigned long err)
{
  if (ERR_GET_LIB (err) != ERR_LIB_SSL)
    return FALSE;
  switch (ERR_GET_REASON (err)) {
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_UNKNOWN_PROTOCOL:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
      return TRUE;
    default:
      return FALSE;
  }
}

/* Still waiting for the peer's first handshake message? */
static gboolean
awaiting_first_message (GstRtmpTls *tls)
{
  OSSL_HANDSHAKE_STATE state = SSL_get_state (tls->ssl);

  if (tls->handshake_complete)
    return FALSE;
  return tls->is_server ? state == TLS_ST_BEFORE
                        : state == TLS_ST_CW_CLNT_HELLO;
}

/* After an SSL call returned @ret <= 0: TRUE when it only waits for more
 * bytes from the peer, FALSE when the connection failed (recorded). */
static gboolean
check_ssl_result (GstRtmpTls *tls, int ret)
{
  int ssl_error = SSL_get_error (tls->ssl, ret);
  const gchar *peer = tls->is_server ? "the client" : tls->host;
  unsigned long err;
  gchar *reason;

  switch (ssl_error) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:  /* not from our queues, but not fatal */
    case SSL_ERROR_ZERO_RETURN: /* the peer closed: see peer_closed () */
      ERR_clear_error ();
      return TRUE;
    default:
      break;
  }

  if (tls->validation_failure != NULL) {
    record_failure (tls, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
        g_strdup (tls->validation_failure));
    return FALSE;
  }

  err = ERR_peek_error ();
  reason = take_openssl_error_string ();
  if (reason == NULL)
    reason = g_strdup_printf ("SSL error %d without details", ssl_error);

  if (err != 0 && awaiting_first_message (tls) && is_not_tls_reason (err)) {
    record_failure (tls, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS,
        g_strdup_printf ("TLS handshake with %s failed: the peer does not "
                         "speak TLS (%s)",
            peer, reason));
  } else if (!tls->handshake_complete) {
    record_failure (tls, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE,
        g_strdup_printf ("TLS handshake with %s failed: %s", peer, reason));
  } else {
    record_failure (tls, G_TLS_ERROR, G_TLS_ERROR_MISC,
        g_strdup_printf ("TLS connection with %s failed: %s", peer, reason));
  }
  g_free (reason);
  return FALSE;
}

/* ---- driving OpenSSL ---- */

/* Encrypts held plaintext; TRUE when done or waiting for the peer */
static gboolean
flush_held (GstRtmpTls *tls)
{
  while (byte_queue_size (&tls->held) > 0) {
    size_t written = 0;
    int ret = SSL_write_ex (tls->ssl, byte_queue_peek (&tls->held),
        byte_queue_size (&tls->held), &written);

    if (ret != 1)
      return check_ssl_result (tls, ret);
    byte_queue_consume (&tls->held, written);
  }
  return TRUE;
}

/* Everything that can move without the caller: the handshake, held
 * plaintext, a requested close_notify. FALSE when the connection failed. */
static gboolean
progress (GstRtmpTls *tls)
{
  if (!tls->handshake_complete) {
    int ret = SSL_do_handshake (tls->ssl);

    if (ret != 1)
      return check_ssl_result (tls, ret);
    tls->handshake_complete = TRUE;
    GST_DEBUG ("TLS handshake with %s complete: %s, %s%s",
        tls->is_server ? "client" : tls->host, SSL_get_version (tls->ssl),
        SSL_get_cipher_name (tls->ssl),
        tls->ignored_errors ? ", certificate problems ignored" : "");
  }

  if (!flush_held (tls))
    return FALSE;

  if (tls->shutdown_requested && !tls->shutdown_sent
      && byte_queue_size (&tls->held) == 0 && !SSL_in_init (tls->ssl)) {
    /* 0 (sent, the peer's has not come yet) and 1 are both fine; a failure
     * to close cleanly is not worth failing the connection for */
    SSL_shutdown (tls->ssl);
    tls->shutdown_sent = TRUE;
    ERR_clear_error ();
  }
  return TRUE;
}

/* ---- configuration ---- */

static int
refuse_password (char *buf, int size, int rwflag, void *user_data)
{
  gboolean *asked = user_data;

  /* without a callback OpenSSL would prompt on the terminal and block */
  if (asked != NULL)
    *asked = TRUE;
  return -1;
}

static gboolean
read_pem_file (const gchar *path, const gchar *what, gchar **contents,
    gsize *len, GError **error)
{
  GError *err = NULL;
  GStatBuf st;

  /* a device or a FIFO given by mistake could be read forever (a missing
   * file is reported by g_file_get_contents ()) */
  if (g_stat (path, &st) == 0) {
    if (!S_ISREG (st.st_mode)) {
      g_set_error (error, G_IO_ERROR,
          S_ISDIR (st.st_mode) ? G_IO_ERROR_IS_DIRECTORY
                               : G_IO_ERROR_INVALID_ARGUMENT,
          "Cannot read the %s %s: not a regular file", what, path);
      return FALSE;
    }
    if (st.st_size > MAX_PEM_FILE_BYTES)
      goto too_large;
  }
  if (!g_file_get_contents (path, contents, len, &err)) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_file_error (err->code),
        "Cannot read the %s: %s", what, err->message);
    g_error_free (err);
    return FALSE;
  }
  if (*len > MAX_PEM_FILE_BYTES) {
    g_clear_pointer (contents, g_free);
    goto too_large;
  }
  return TRUE;

  /* ERRORS */
too_large : {
  g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      "The %s %s is too large to be PEM (more than %d bytes)", what, path,
      MAX_PEM_FILE_BYTES);
  return FALSE;
}
}

static void
free_secret (gchar *contents, gsize len)
{
  if (contents != NULL) {
    OPENSSL_cleanse (contents, len);
    g_free (contents);
  }
}

/* After a loop of PEM reads: TRUE when it stopped at the end of the data
 * (and not on a damaged block) */
static gboolean
pem_ended_cleanly (void)
{
  unsigned long err = ERR_peek_last_error ();

  if (err == 0
      || (ERR_GET_LIB (err) == ERR_LIB_PEM
          && ERR_GET_REASON (err) == PEM_R_NO_START_LINE)) {
    ERR_clear_error ();
    return TRUE;
  }
  return FALSE;
}

static gboolean
load_ca_file (SSL_CTX *ctx, const gchar *path, GError **error)
{
  X509_STORE *store = SSL_CTX_get_cert_store (ctx);
  gchar *contents = NULL, *reason;
  gsize len;
  BIO *bio;
  X509 *cert;
  guint count = 0;

  if (!read_pem_file (path, "TLS CA file", &contents, &len, error))
    return FALSE;
  bio = BIO_new_mem_buf (contents, len);
  if (bio == NULL)
    goto openssl_error;
  while ((cert = PEM_read_bio_X509_AUX (bio, NULL, refuse_password, NULL))) {
    int ok = X509_STORE_add_cert (store, cert);

    X509_free (cert);
    if (!ok)
      goto openssl_error;
    count++;
  }
  if (!pem_ended_cleanly ())
    goto openssl_error;
  BIO_free (bio);
  g_free (contents);

  if (count == 0) {
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
        "The TLS CA file %s contains no PEM certificate", path);
    return FALSE;
  }
  return TRUE;

  /* ERRORS */
openssl_error : {
  reason = take_openssl_error_string ();
  g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      "Cannot use the TLS CA file %s: %s", path,
      reason ? reason : "unknown error");
  g_free (reason);
  BIO_free (bio);
  g_free (contents);
  return FALSE;
}
}

/* The leaf, then the rest of the chain, from one PEM file */
static gboolean
load_certificate_chain (SSL_CTX *ctx, const gchar *path, GError **error)
{
  gchar *contents = NULL, *reason;
  gsize len;
  BIO *bio;
  X509 *cert;
  int ok;

  if (!read_pem_file (path, "TLS certificate file", &contents, &len, error))
    return FALSE;
  bio = BIO_new_mem_buf (contents, len);
  if (bio == NULL)
    goto openssl_error;

  cert = PEM_read_bio_X509_AUX (bio, NULL, refuse_password, NULL);
  if (cert == NULL) {
    reason = take_openssl_error_string ();
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
        "The TLS certificate file %s contains no usable PEM certificate (%s)",
        path, reason ? reason : "empty");
    g_free (reason);
    BIO_free (bio);
    g_free (contents);
    return FALSE;
  }
  ok = SSL_CTX_use_certificate (ctx, cert);
  X509_free (cert);
  if (!ok)
    goto openssl_error;

  if (!SSL_CTX_clear_chain_certs (ctx))
    goto openssl_error;
  while ((cert = PEM_read_bio_X509 (bio, NULL, refuse_password, NULL))) {
    if (!SSL_CTX_add0_chain_cert (ctx, cert)) {
      X509_free (cert);
      goto openssl_error;
    }
  }
  if (!pem_ended_cleanly ())
    goto openssl_error;

  BIO_free (bio);
  g_free (contents);
  return TRUE;

  /* ERRORS */
openssl_error : {
  reason = take_openssl_error_string ();
  g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      "Cannot use the TLS certificate file %s: %s", path,
      reason ? reason : "unknown error");
  g_free (reason);
  BIO_free (bio);
  g_free (contents);
  return FALSE;
}
}

static gboolean
load_private_key (SSL_CTX *ctx, const gchar *path,
    const gchar *certificate_path, GError **error)
{
  gchar *contents = NULL, *reason;
  gsize len;
  BIO *bio;
  EVP_PKEY *key;
  gboolean asked_password = FALSE;
  int ok;

  if (!read_pem_file (path, "TLS key file", &contents, &len, error))
    return FALSE;
  bio = BIO_new_mem_buf (contents, len);
  if (bio == NULL) {
    free_secret (contents, len);
    goto key_unusable;
  }
  key = PEM_read_bio_PrivateKey (bio, NULL, refuse_password, &asked_password);
  BIO_free (bio);
  free_secret (contents, len);

  if (key == NULL) {
    if (asked_password)
      goto encrypted;
    goto key_unusable;
  }
  ok = SSL_CTX_use_PrivateKey (ctx, key);
  EVP_PKEY_free (key);
  if (!ok || !SSL_CTX_check_private_key (ctx))
    goto mismatch;
  return TRUE;

  /* ERRORS */
encrypted : {
  ERR_clear_error ();
  g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      "The TLS key in %s is encrypted: give an unencrypted key", path);
  return FALSE;
}
key_unusable : {
  reason = take_openssl_error_string ();
  g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      "The TLS key file %s contains no usable PEM private key (%s)", path,
      reason ? reason : "unknown error");
  g_free (reason);
  return FALSE;
}
mismatch : {
  reason = take_openssl_error_string ();
  g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      "The TLS key in %s does not match the certificate in %s (%s)", path,
      certificate_path, reason ? reason : "unknown error");
  g_free (reason);
  return FALSE;
}
}

/* Letters, digits, '-' and '_' (seen in the wild) in dot-separated labels
 * of 1 to 63 characters, 253 in all */
static gboolean
is_dns_name (const gchar *name)
{
  gsize len = strlen (name), label = 0, i;

  if (len == 0 || len > 253)
    return FALSE;
  for (i = 0; i < len; i++) {
    if (name[i] == '.') {
      if (label == 0)
        return FALSE;
      label = 0;
    } else if (g_ascii_isalnum (name[i]) || name[i] == '-' || name[i] == '_') {
      if (++label > 63)
        return FALSE;
    } else {
      return FALSE;
    }
  }
  return label > 0;
}

/* The host name as OpenSSL wants it: brackets and a trailing dot dropped,
 * IDN in ASCII. NULL when it is not a host name. */
static gchar *
normalize_host (const gchar *host, gboolean *is_ip)
{
  gsize len = strlen (host);
  gchar *h, *ascii;

  if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    h = g_strndup (host + 1, len - 2);
  else
    h = g_strdup (host);

  *is_ip = g_hostname_is_ip_address (h);
  if (*is_ip)
    return h;

  len = strlen (h);
  if (len > 1 && h[len - 1] == '.')
    h[len - 1] = '\0';
  ascii = g_hostname_to_ascii (h);
  g_free (h);
  if (ascii != NULL && !is_dns_name (ascii))
    g_clear_pointer (&ascii, g_free);
  return ascii;
}

static gboolean
setup_client_identity (GstRtmpTls *tls, GError **error)
{
  X509_VERIFY_PARAM *param = SSL_get0_param (tls->ssl);
  gboolean is_ip;
  gchar *host = normalize_host (tls->host, &is_ip);
  gboolean ok;

  if (host == NULL || *host == '\0') {
    g_free (host);
    goto bad_host;
  }
  if (is_ip) {
    /* RFC 6066 §3: no SNI for IP literals */
    ok = X509_VERIFY_PARAM_set1_ip_asc (param, host);
  } else {
    X509_VERIFY_PARAM_set_hostflags (param,
        X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    ok = SSL_set_tlsext_host_name (tls->ssl, host)
        && X509_VERIFY_PARAM_set1_host (param, host, 0);
  }
  g_free (host);
  if (!ok)
    goto bad_host;
  return TRUE;

  /* ERRORS */
bad_host : {
  ERR_clear_error ();
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "Cannot use \"%s\" as host name for TLS", tls->host);
  return FALSE;
}
}

/* The system's CA store, loaded once per process: parsing the whole
 * bundle (some 150 certificates) would take 30 ms per connection.
 * X509_STORE is made to be shared between contexts and threads; a CA
 * bundle updated later is seen after a restart. */
static X509_STORE *
system_store (void)
{
  static X509_STORE *store = NULL;

  if (g_once_init_enter (&store)) {
    X509_STORE *s = X509_STORE_new ();

    if (s == NULL)
      g_error ("out of memory for the TLS CA store");
    /* without a usable system store every server is unknown: the
     * handshake says so, or passes when UNKNOWN_CA is not validated */
    if (!X509_STORE_set_default_paths (s))
      GST_WARNING ("cannot load the system's TLS CA store");
    ERR_clear_error ();
    g_once_init_leave (&store, s);
  }
  return store;
}

static SSL_CTX *
create_context (const GstRtmpTlsConfig *config, GError **error)
{
  SSL_CTX *ctx;

  ctx = SSL_CTX_new (
      config->is_server ? TLS_server_method () : TLS_client_method ());
  if (ctx == NULL)
    goto openssl_error;
  if (!SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION))
    goto openssl_error;
  /* held plaintext may move between a write OpenSSL interrupted and its
   * retry (ByteQueue reallocates) */
  SSL_CTX_set_mode (ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  /* take whole 16 kB records from the queue at once, not header then body */
  SSL_CTX_set_read_ahead (ctx, 1);
  /* one context per connection: a session could never be resumed */
  SSL_CTX_set_session_cache_mode (ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_default_passwd_cb (ctx, refuse_password);

  if (config->is_server) {
    SSL_CTX_set_options (ctx, SSL_OP_NO_TICKET);
    if (!SSL_CTX_set_num_tickets (ctx, 0))
      goto openssl_error;
    if (config->certificate_file == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "A TLS server needs a certificate file");
      goto failed;
    }
  }

  if (config->certificate_file != NULL) {
    const gchar *key_file
        = config->key_file ? config->key_file : config->certificate_file;

    if (!load_certificate_chain (ctx, config->certificate_file, error)
        || !load_private_key (ctx, key_file, config->certificate_file, error))
      goto failed;
  }

  if (!config->is_server) {
    if (config->ca_file != NULL) {
      if (!load_ca_file (ctx, config->ca_file, error))
        goto failed;
    } else {
      SSL_CTX_set1_cert_store (ctx, system_store ());
    }
    ERR_clear_error ();
    /* every certificate of the CA file is a trust anchor, as in GIO and
     * curl, so that an intermediate alone can be trusted */
    X509_VERIFY_PARAM_set_flags (SSL_CTX_get0_param (ctx),
        X509_V_FLAG_PARTIAL_CHAIN);
    SSL_CTX_set_verify (ctx, SSL_VERIFY_PEER, verify_callback);
  }
  return ctx;

  /* ERRORS */
openssl_error : {
  gchar *reason = take_openssl_error_string ();

  g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC, "Cannot set up TLS: %s",
      reason ? reason : "unknown error");
  g_free (reason);
  goto failed;
}
failed : {
  SSL_CTX_free (ctx);
  ERR_clear_error ();
  return NULL;
}
}

/* ---- public API ---- */

GstRtmpTls *
gst_rtmp_tls_new (const GstRtmpTlsConfig *config, GError **error)
{
  static gsize debug_initialized = 0;
  GstRtmpTls *tls;
  BIO *bio;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->is_server || config->host != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_once_init_enter (&debug_initialized)) {
    /* the connection layer's category: TLS is part of the connection */
    GST_DEBUG_CATEGORY_INIT (gst_rtmp_tls_debug, "rtmpconnection", 0,
        "RTMP connection");
    g_once_init_leave (&debug_initialized, 1);
  }

  ERR_clear_error ();
  tls = g_new0 (GstRtmpTls, 1);
  tls->is_server = config->is_server;
  tls->host = g_strdup (config->is_server ? "client" : config->host);
  tls->validation_flags = config->validation_flags;

  tls->ctx = create_context (config, error);
  if (tls->ctx == NULL)
    goto failed;
  tls->bio_method = queue_bio_method_new ();
  tls->ssl = SSL_new (tls->ctx);
  bio = tls->bio_method ? BIO_new (tls->bio_method) : NULL;
  if (tls->ssl == NULL || bio == NULL) {
    BIO_free (bio);
    goto openssl_error;
  }
  BIO_set_data (bio, tls);
  /* one BIO both ways: each of rbio and wbio owns a reference */
  BIO_up_ref (bio);
  SSL_set0_rbio (tls->ssl, bio);
  SSL_set0_wbio (tls->ssl, bio);
  SSL_set_app_data (tls->ssl, tls);

  if (tls->is_server) {
    SSL_set_accept_state (tls->ssl);
  } else {
    if (!setup_client_identity (tls, error))
      goto failed;
    SSL_set_connect_state (tls->ssl);
    /* the ClientHello, ready to be sent */
    if (!progress (tls)) {
      g_propagate_error (error, g_steal_pointer (&tls->failure));
      goto failed;
    }
  }
  ERR_clear_error ();
  return tls;

  /* ERRORS */
openssl_error : {
  gchar *reason = take_openssl_error_string ();

  g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC, "Cannot set up TLS: %s",
      reason ? reason : "out of memory");
  g_free (reason);
  goto failed;
}
failed : {
  gst_rtmp_tls_free (tls);
  ERR_clear_error ();
  return NULL;
}
}

void
gst_rtmp_tls_free (GstRtmpTls *tls)
{
  if (tls == NULL)
    return;
  SSL_free (tls->ssl);
  SSL_CTX_free (tls->ctx);
  BIO_meth_free (tls->bio_method);
  byte_queue_clear (&tls->in);
  byte_queue_clear (&tls->out);
  byte_queue_clear (&tls->held);
  g_clear_error (&tls->failure);
  g_free (tls->validation_failure);
  g_free (tls->host);
  g_free (tls);
}

gboolean
gst_rtmp_tls_receive (GstRtmpTls *tls, const guint8 *data, gsize len,
    GError **error)
{
  gboolean ok;

  g_return_val_if_fail (tls != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (tls->failure != NULL)
    return return_failure (tls, error);
  if (len == 0)
    return TRUE;

  byte_queue_append (&tls->in, data, len);
  /* errors other users left would make SSL_get_error () lie */
  ERR_clear_error ();
  ok = progress (tls);
  ERR_clear_error ();
  return ok ? TRUE : return_failure (tls, error);
}

gssize
gst_rtmp_tls_read (GstRtmpTls *tls, guint8 *buffer, gsize len, GError **error)
{
  gsize total = 0;

  g_return_val_if_fail (tls != NULL, -1);
  g_return_val_if_fail (buffer != NULL || len == 0, -1);

  if (tls->failure != NULL) {
    return_failure (tls, error);
    return -1;
  }
  if (!tls->handshake_complete)
    return 0;

  len = MIN (len, G_MAXSSIZE);
  ERR_clear_error ();
  while (total < len) {
    size_t n = 0;
    int ret = SSL_read_ex (tls->ssl, buffer + total, len - total, &n);

    if (ret != 1) {
      if (!check_ssl_result (tls, ret))
        break;
      /* more needed, or the peer closed: both done for now */
      break;
    }
    total += n;
  }
  /* a renegotiation may have completed and released held writes */
  if (tls->failure == NULL)
    progress (tls);
  ERR_clear_error ();

  /* bytes decrypted before a failure are delivered first; the next call
   * reports it */
  if (total == 0 && tls->failure != NULL) {
    return_failure (tls, error);
    return -1;
  }
  return total;
}

gboolean
gst_rtmp_tls_write (GstRtmpTls *tls, const guint8 *data, gsize len,
    GError **error)
{
  size_t written = 0;
  gboolean ok = TRUE;
  int ret;

  g_return_val_if_fail (tls != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (tls->failure != NULL)
    return return_failure (tls, error);
  if (tls->shutdown_requested) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
        "Cannot write to a TLS connection that is shut down");
    return FALSE;
  }
  if (len == 0)
    return TRUE;

  ERR_clear_error ();
  if (!tls->handshake_complete) {
    byte_queue_append (&tls->held, data, len);
  } else if (byte_queue_size (&tls->held) > 0) {
    /* after what OpenSSL waits to repeat */
    byte_queue_append (&tls->held, data, len);
    ok = progress (tls);
  } else {
    /* the usual case: encrypted straight from the caller's memory */
    ret = SSL_write_ex (tls->ssl, data, len, &written);
    if (ret != 1) {
      /* a renegotiation interrupted it: repeat the whole call later */
      GST_LOG ("write of %" G_GSIZE_FORMAT " bytes waits for the peer", len);
      byte_queue_append (&tls->held, data, len);
      ok = check_ssl_result (tls, ret);
    } else if (written < len) {
      byte_queue_append (&tls->held, data + written, len - written);
    }
  }
  ERR_clear_error ();
  return ok ? TRUE : return_failure (tls, error);
}

gsize
gst_rtmp_tls_peek_output (GstRtmpTls *tls, const guint8 **data)
{
  g_return_val_if_fail (tls != NULL, 0);
  g_return_val_if_fail (data != NULL, 0);

  *data = byte_queue_peek (&tls->out);
  return byte_queue_size (&tls->out);
}

void
gst_rtmp_tls_consume_output (GstRtmpTls *tls, gsize n_bytes)
{
  g_return_if_fail (tls != NULL);
  g_return_if_fail (n_bytes <= byte_queue_size (&tls->out));

  byte_queue_consume (&tls->out, n_bytes);
}

gboolean
gst_rtmp_tls_is_handshake_complete (const GstRtmpTls *tls)
{
  g_return_val_if_fail (tls != NULL, FALSE);

  return tls->handshake_complete;
}

GTlsCertificateFlags
gst_rtmp_tls_get_ignored_errors (const GstRtmpTls *tls)
{
  g_return_val_if_fail (tls != NULL, 0);

  return tls->ignored_errors;
}

void
gst_rtmp_tls_shutdown (GstRtmpTls *tls)
{
  g_return_if_fail (tls != NULL);

  if (tls->failure != NULL || tls->shutdown_requested)
    return;
  tls->shutdown_requested = TRUE;
  if (tls->handshake_complete) {
    ERR_clear_error ();
    /* a failure here is recorded for the next call */
    progress (tls);
    ERR_clear_error ();
  }
}

gboolean
gst_rtmp_tls_peer_closed (const GstRtmpTls *tls)
{
  g_return_val_if_fail (tls != NULL, FALSE);

  return (SSL_get_shutdown (tls->ssl) & SSL_RECEIVED_SHUTDOWN) != 0;
}
