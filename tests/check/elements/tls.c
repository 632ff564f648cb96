/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for gstrtmptls: handshakes, data, certificate validation and
 * failures between GstRtmpTls peers in memory, against plain OpenSSL peers
 * (renegotiation, key update, SNI, weak certificates) and against a real
 * `openssl s_server` over loopback. Certificates are made at run time. */

#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "gstrtmptls.h"

#define DAY (24 * 3600L)

/* ---- certificates, made once per run into a temporary directory ---- */

static gchar *cert_dir;

static gchar *
test_path (const gchar *name)
{
  return g_build_filename (cert_dir, name, NULL);
}

/* a path for this test; freed when the test's process ends is not enough
 * for the leak checkers, so keep them all */
static GPtrArray *paths;

static const gchar *
P (const gchar *name)
{
  gchar *path = test_path (name);

  if (paths == NULL)
    paths = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (paths, path);
  return path;
}

static void
add_ext (X509 *cert, X509V3_CTX *v3, int nid, const gchar *value)
{
  X509_EXTENSION *ext = X509V3_EXT_nconf_nid (NULL, v3, nid, value);

  fail_unless (ext != NULL, "extension %d=%s", nid, value);
  fail_unless (X509_add_ext (cert, ext, -1));
  X509_EXTENSION_free (ext);
}

typedef struct
{
  const gchar *cn;
  const gchar *san; /* nullable */
  gboolean is_ca;
  long not_before_s, not_after_s; /* from now */
} CertSpec;

static X509 *
make_cert (const CertSpec *spec, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *issuer_key)
{
  static long serial = 1;
  X509 *cert = X509_new ();
  X509_NAME *name;
  X509V3_CTX v3;

  fail_unless (X509_set_version (cert, X509_VERSION_3));
  ASN1_INTEGER_set (X509_get_serialNumber (cert), serial++);
  fail_unless (
      X509_gmtime_adj (X509_getm_notBefore (cert), spec->not_before_s) != NULL);
  fail_unless (
      X509_gmtime_adj (X509_getm_notAfter (cert), spec->not_after_s) != NULL);
  fail_unless (X509_set_pubkey (cert, key));
  name = X509_get_subject_name (cert);
  fail_unless (X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8,
      (const guchar *) spec->cn, -1, -1, 0));
  fail_unless (X509_set_issuer_name (cert,
      issuer ? X509_get_subject_name (issuer) : name));

  X509V3_set_ctx (&v3, issuer ? issuer : cert, cert, NULL, NULL, 0);
  add_ext (cert, &v3, NID_basic_constraints,
      spec->is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (spec->is_ca)
    add_ext (cert, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext (cert, &v3, NID_subject_key_identifier, "hash");
  if (issuer != NULL)
    add_ext (cert, &v3, NID_authority_key_identifier, "keyid:always");
  if (spec->san != NULL)
    add_ext (cert, &v3, NID_subject_alt_name, spec->san);

  fail_unless (
      X509_sign (cert, issuer_key ? issuer_key : key, EVP_sha256 ()) > 0);
  return cert;
}

static void
write_pem (const gchar *name, X509 *cert, X509 *chain, EVP_PKEY *key,
    const gchar *password)
{
  gchar *path = test_path (name);
  BIO *bio = BIO_new_file (path, "w");

  fail_unless (bio != NULL, "cannot write %s", path);
  if (cert != NULL)
    fail_unless (PEM_write_bio_X509 (bio, cert));
  if (chain != NULL)
    fail_unless (PEM_write_bio_X509 (bio, chain));
  if (key != NULL)
    fail_unless (PEM_write_bio_PrivateKey (bio, key,
        password ? EVP_aes_256_cbc () : NULL, (const guchar *) password,
        password ? strlen (password) : 0, NULL, NULL));
  BIO_free (bio);
  g_free (path);
}

static void
write_text (const gchar *name, const gchar *text)
{
  gchar *path = test_path (name);

  fail_unless (g_file_set_contents (path, text, -1, NULL));
  g_free (path);
}

/* Leaf certificates signed by the CA (or an intermediate), each written as
 * NAME.pem and NAME.key */
static void
make_leaf (const gchar *name, const CertSpec *spec, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *issuer_key, gboolean with_issuer_in_chain)
{
  gchar *cert_name = g_strdup_printf ("%s.pem", name);
  gchar *key_name = g_strdup_printf ("%s.key", name);
  X509 *cert = make_cert (spec, key, issuer, issuer_key);

  write_pem (cert_name, cert, with_issuer_in_chain ? issuer : NULL, NULL, NULL);
  write_pem (key_name, NULL, NULL, key, NULL);
  X509_free (cert);
  g_free (cert_name);
  g_free (key_name);
}

static void
make_certificates (void)
{
  const CertSpec ca_spec = { "RTMP Test CA", NULL, TRUE, -DAY, 365 * DAY };
  const CertSpec inter_spec
      = { "RTMP Test Intermediate", NULL, TRUE, -DAY, 365 * DAY };
  const CertSpec old_inter_spec
      = { "RTMP Old Intermediate", NULL, TRUE, -60 * DAY, -2 * DAY };
  const CertSpec server_spec = { "localhost",
    "DNS:localhost,IP:127.0.0.1,IP:::1", FALSE, -DAY, 365 * DAY };
  const CertSpec expired_spec
      = { "localhost", "DNS:localhost,IP:127.0.0.1", FALSE, -30 * DAY, -DAY };
  const CertSpec future_spec
      = { "localhost", "DNS:localhost", FALSE, 10 * DAY, 40 * DAY };
  const CertSpec wildcard_spec
      = { "*.rtmp.test", "DNS:*.rtmp.test", FALSE, -DAY, 365 * DAY };
  const CertSpec cn_only_spec = { "localhost", NULL, FALSE, -DAY, 365 * DAY };
  EVP_PKEY *ca_key = EVP_EC_gen ("P-256");
  EVP_PKEY *inter_key = EVP_EC_gen ("P-256");
  EVP_PKEY *old_inter_key = EVP_EC_gen ("P-256");
  EVP_PKEY *server_key = EVP_EC_gen ("P-256");
  EVP_PKEY *other_key = EVP_EC_gen ("P-256");
  /* below any security level above 0: EE_KEY_TOO_SMALL */
  EVP_PKEY *weak_key = EVP_RSA_gen (768);
  X509 *ca, *inter, *old_inter, *self_signed, *server;

  fail_unless (ca_key && inter_key && old_inter_key && server_key && other_key
      && weak_key);

  ca = make_cert (&ca_spec, ca_key, NULL, NULL);
  write_pem ("ca.pem", ca, NULL, NULL, NULL);
  inter = make_cert (&inter_spec, inter_key, ca, ca_key);
  write_pem ("intermediate.pem", inter, NULL, NULL, NULL);
  old_inter = make_cert (&old_inter_spec, old_inter_key, ca, ca_key);

  server = make_cert (&server_spec, server_key, ca, ca_key);
  write_pem ("server.pem", server, NULL, NULL, NULL);
  write_pem ("server.key", NULL, NULL, server_key, NULL);
  write_pem ("combined.pem", server, NULL, server_key, NULL);
  write_pem ("encrypted.key", NULL, NULL, server_key, "secret");
  write_pem ("other.key", NULL, NULL, other_key, NULL);
  X509_free (server);

  make_leaf ("chain", &server_spec, server_key, inter, inter_key, TRUE);
  make_leaf ("chain-leaf", &server_spec, server_key, inter, inter_key, FALSE);
  make_leaf ("old-chain", &server_spec, server_key, old_inter, old_inter_key,
      TRUE);
  make_leaf ("expired", &expired_spec, server_key, ca, ca_key, FALSE);
  make_leaf ("future", &future_spec, server_key, ca, ca_key, FALSE);
  make_leaf ("wildcard", &wildcard_spec, server_key, ca, ca_key, FALSE);
  make_leaf ("cn-only", &cn_only_spec, server_key, ca, ca_key, FALSE);
  make_leaf ("weak", &server_spec, weak_key, ca, ca_key, FALSE);

  self_signed = make_cert (&server_spec, server_key, NULL, NULL);
  write_pem ("self-signed.pem", self_signed, NULL, NULL, NULL);
  write_pem ("self-signed.key", NULL, NULL, server_key, NULL);
  X509_free (self_signed);

  write_text ("garbage.pem", "this is not a certificate\n");
  write_text ("damaged.pem",
      "-----BEGIN CERTIFICATE-----\n"
      "MIIB!!!!not base64\n-----END CERTIFICATE-----\n");

  X509_free (ca);
  X509_free (inter);
  X509_free (old_inter);
  EVP_PKEY_free (ca_key);
  EVP_PKEY_free (inter_key);
  EVP_PKEY_free (old_inter_key);
  EVP_PKEY_free (server_key);
  EVP_PKEY_free (other_key);
  EVP_PKEY_free (weak_key);
}

static void
suite_setup (void)
{
  GError *err = NULL;

  /* s_server may go away while we write to it */
  signal (SIGPIPE, SIG_IGN);
  cert_dir = g_dir_make_tmp ("rtmp-tls-test-XXXXXX", &err);
  fail_unless (cert_dir != NULL, "%s", err ? err->message : "");
  make_certificates ();
  fail_unless (ERR_peek_error () == 0);
}

static void
suite_teardown (void)
{
  GDir *dir = g_dir_open (cert_dir, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir))) {
    gchar *path = test_path (name);

    g_unlink (path);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  g_rmdir (cert_dir);
  g_clear_pointer (&cert_dir, g_free);
  g_clear_pointer (&paths, g_ptr_array_unref);
}

/* ---- peers: a GstRtmpTls, or plain OpenSSL over memory BIOs ---- */

typedef struct
{
  const gchar *name;
  GstRtmpTls *tls;
  /* raw OpenSSL peer */
  SSL_CTX *ctx;
  SSL *ssl;
  BIO *in, *out;
  gboolean raw_failed;
  gchar *raw_error;

  gsize read_chunk;     /* GstRtmpTls: buffer size given to read () */
  GByteArray *received; /* plaintext */
  GError *error;
} Peer;

static Peer *
peer_new (const gchar *name)
{
  Peer *p = g_new0 (Peer, 1);

  p->name = name;
  p->read_chunk = 65536;
  p->received = g_byte_array_new ();
  return p;
}

static void
peer_free (Peer *p)
{
  gst_rtmp_tls_free (p->tls);
  SSL_free (p->ssl);
  SSL_CTX_free (p->ctx);
  g_byte_array_unref (p->received);
  g_clear_error (&p->error);
  g_free (p->raw_error);
  g_free (p);
}

static gboolean
peer_failed (const Peer *p)
{
  return p->error != NULL || p->raw_failed;
}

static gboolean
peer_ready (const Peer *p)
{
  if (p->tls != NULL)
    return gst_rtmp_tls_is_handshake_complete (p->tls);
  return SSL_is_init_finished (p->ssl);
}

static Peer *
tls_peer (const gchar *name, const GstRtmpTlsConfig *config)
{
  Peer *p = peer_new (name);
  GError *err = NULL;

  p->tls = gst_rtmp_tls_new (config, &err);
  fail_unless (p->tls != NULL, "%s: %s", name, err ? err->message : "");
  fail_unless (ERR_peek_error () == 0, "%s left OpenSSL errors", name);
  return p;
}

static Peer *
client_peer (const gchar *host, const gchar *ca_file,
    GTlsCertificateFlags flags)
{
  GstRtmpTlsConfig config = {
    0,
  };

  config.host = host;
  config.ca_file = ca_file;
  config.validation_flags = flags;
  return tls_peer ("client", &config);
}

static Peer *
server_peer (const gchar *cert, const gchar *key)
{
  GstRtmpTlsConfig config = {
    0,
  };

  config.is_server = TRUE;
  config.certificate_file = cert;
  config.key_file = key;
  return tls_peer ("server", &config);
}

/* A plain OpenSSL peer; security level 0 so that it can present weak
 * certificates and old protocol versions */
static Peer *
raw_peer (gboolean is_server, const gchar *cert, const gchar *key,
    int max_version)
{
  Peer *p = peer_new (is_server ? "raw server" : "raw client");

  p->ctx
      = SSL_CTX_new (is_server ? TLS_server_method () : TLS_client_method ());
  fail_unless (p->ctx != NULL);
  SSL_CTX_set_security_level (p->ctx, 0);
  fail_unless (SSL_CTX_set_cipher_list (p->ctx, "DEFAULT:@SECLEVEL=0"));
  SSL_CTX_set_min_proto_version (p->ctx, 0);
  if (max_version)
    SSL_CTX_set_max_proto_version (p->ctx, max_version);
  if (cert) {
    fail_unless (SSL_CTX_use_certificate_chain_file (p->ctx, cert) == 1);
    fail_unless (
        SSL_CTX_use_PrivateKey_file (p->ctx, key, SSL_FILETYPE_PEM) == 1);
  }
  p->ssl = SSL_new (p->ctx);
  p->in = BIO_new (BIO_s_mem ());
  p->out = BIO_new (BIO_s_mem ());
  BIO_set_mem_eof_return (p->in, -1);
  SSL_set_bio (p->ssl, p->in, p->out);
  if (is_server) {
    SSL_set_accept_state (p->ssl);
  } else {
    SSL_set_connect_state (p->ssl);
    SSL_do_handshake (p->ssl);
  }
  ERR_clear_error ();
  return p;
}

static void
raw_check (Peer *p, int ret)
{
  int err;

  if (ret == 1)
    return;
  err = SSL_get_error (p->ssl, ret);
  if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE
      && err != SSL_ERROR_ZERO_RETURN && !p->raw_failed) {
    gchar text[256] = "";

    ERR_error_string_n (ERR_peek_error (), text, sizeof (text));
    p->raw_failed = TRUE;
    p->raw_error = g_strdup_printf ("SSL error %d: %s", err, text);
  }
  ERR_clear_error ();
}

/* Plaintext the peer can read now, into p->received */
static void
peer_drain (Peer *p)
{
  if (peer_failed (p))
    return;
  if (p->tls != NULL) {
    guint8 *buf = g_malloc (p->read_chunk);
    gssize n;

    while ((n = gst_rtmp_tls_read (p->tls, buf, p->read_chunk, &p->error)) > 0)
      g_byte_array_append (p->received, buf, n);
    fail_unless (n == 0 || p->error != NULL);
    g_free (buf);
  } else {
    guint8 buf[4096];
    size_t n;
    int ret;

    while ((ret = SSL_read_ex (p->ssl, buf, sizeof (buf), &n)) == 1)
      g_byte_array_append (p->received, buf, n);
    raw_check (p, ret);
  }
  fail_unless (ERR_peek_error () == 0, "%s left OpenSSL errors", p->name);
}

static void
peer_feed (Peer *p, const guint8 *data, gsize len)
{
  if (peer_failed (p))
    return;
  if (p->tls != NULL) {
    if (!gst_rtmp_tls_receive (p->tls, data, len, &p->error))
      fail_unless (p->error != NULL);
  } else {
    fail_unless (BIO_write (p->in, data, len) == (int) len);
    if (!SSL_is_init_finished (p->ssl))
      raw_check (p, SSL_do_handshake (p->ssl));
  }
  peer_drain (p);
}

static void
peer_write (Peer *p, const guint8 *data, gsize len)
{
  if (p->tls != NULL) {
    GError *err = NULL;

    fail_unless (gst_rtmp_tls_write (p->tls, data, len, &err), "%s",
        err ? err->message : "");
  } else {
    size_t written;

    fail_unless (SSL_write_ex (p->ssl, data, len, &written) == 1);
    fail_unless_equals_int (written, len);
  }
}

static void
peer_write_string (Peer *p, const gchar *text)
{
  peer_write (p, (const guint8 *) text, strlen (text));
}

static gsize
peer_output_size (Peer *p)
{
  const guint8 *data;

  if (p->tls != NULL)
    return gst_rtmp_tls_peek_output (p->tls, &data);
  return BIO_ctrl_pending (p->out);
}

/* Moves up to @max bytes of @from's output into @to; returns how many */
static gsize
move_bytes (Peer *from, Peer *to, gsize max)
{
  gsize n;

  if (from->tls != NULL) {
    const guint8 *data;

    n = MIN (gst_rtmp_tls_peek_output (from->tls, &data), max);
    if (n > 0) {
      /* a copy: feeding may not touch the sender's queue, but prove it */
      guint8 *copy = g_memdup2 (data, n);

      gst_rtmp_tls_consume_output (from->tls, n);
      peer_feed (to, copy, n);
      g_free (copy);
    }
  } else {
    guint8 *buf = g_malloc (MIN (max, 65536));
    int r = BIO_read (from->out, buf, MIN (max, 65536));

    n = r > 0 ? r : 0;
    if (n > 0)
      peer_feed (to, buf, n);
    g_free (buf);
  }
  return n;
}

/* Everything one way, in pieces of the sizes given (cycled) */
static gsize
pump_one_way (Peer *from, Peer *to, const gsize *pieces, guint n_pieces)
{
  static guint next = 0;
  gsize total = 0, n;

  do {
    n = move_bytes (from, to, pieces[next++ % n_pieces]);
    total += n;
  } while (n > 0);
  return total;
}

/* Until neither side has anything to send; a side that failed still sends
 * its alert, and what reaches a failed side is dropped */
static void
pump_pieces (Peer *a, Peer *b, const gsize *pieces, guint n_pieces)
{
  gsize moved;

  do {
    moved = pump_one_way (a, b, pieces, n_pieces);
    moved += pump_one_way (b, a, pieces, n_pieces);
  } while (moved > 0);
}

static const gsize WHOLE[] = { G_MAXSIZE };

static void
pump (Peer *a, Peer *b)
{
  pump_pieces (a, b, WHOLE, 1);
}

static void
assert_connected (Peer *client, Peer *server, gint line)
{
  fail_unless (client->error == NULL && !client->raw_failed,
      "line %d: client failed: %s", line,
      client->error ? client->error->message : client->raw_error);
  fail_unless (server->error == NULL && !server->raw_failed,
      "line %d: server failed: %s", line,
      server->error ? server->error->message : server->raw_error);
  fail_unless (peer_ready (client), "line %d: client not connected", line);
  fail_unless (peer_ready (server), "line %d: server not connected", line);
}

static void
assert_received (Peer *p, const gchar *text, gint line)
{
  gsize len = strlen (text);

  fail_unless (p->received->len == len
          && memcmp (p->received->data, text, len) == 0,
      "line %d: %s received \"%.*s\", expected \"%s\"", line, p->name,
      (int) p->received->len, p->received->data, text);
  g_byte_array_set_size (p->received, 0);
}

/* NAME.key next to NAME.pem, else NULL (the key is in the .pem) */
static const gchar *
key_for (const gchar *cert)
{
  gchar *key;

  if (!g_str_has_suffix (cert, ".pem"))
    return NULL;
  key = g_strdup (cert);
  strcpy (key + strlen (key) - 4, ".key");
  if (!g_file_test (key, G_FILE_TEST_EXISTS)) {
    g_free (key);
    return NULL;
  }
  g_ptr_array_add (paths, key);
  return key;
}

/* Connects a client to a GstRtmpTls server with @cert and reports how the
 * client's validation ended: NULL when connected, else the client's error
 * (and the server saw an alert). */
static GError *
try_validation (const gchar *host, const gchar *ca_file,
    GTlsCertificateFlags flags, const gchar *cert,
    GTlsCertificateFlags *ignored)
{
  Peer *client = client_peer (host, ca_file, flags);
  Peer *server = server_peer (cert, key_for (cert));
  GError *err = NULL;

  pump (client, server);
  *ignored = gst_rtmp_tls_get_ignored_errors (client->tls);
  if (client->error != NULL) {
    err = g_steal_pointer (&client->error);
    fail_unless (!gst_rtmp_tls_is_handshake_complete (client->tls));
    /* the alert reached the server */
    fail_unless (server->error != NULL, "server did not see the alert");
    fail_unless (
        g_error_matches (server->error, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE),
        "%s", server->error->message);
    fail_unless (strstr (server->error->message, "alert") != NULL, "%s",
        server->error->message);
  } else {
    assert_connected (client, server, __LINE__);
    peer_write_string (client, "ping");
    pump (client, server);
    assert_received (server, "ping", __LINE__);
  }
  peer_free (client);
  peer_free (server);
  return err;
}

static void
assert_validation_fails (const gchar *host, const gchar *ca_file,
    GTlsCertificateFlags flags, const gchar *cert, const gchar *message,
    gint line)
{
  GTlsCertificateFlags ignored;
  GError *err = try_validation (host, ca_file, flags, cert, &ignored);

  fail_unless (err != NULL, "line %d: validation passed", line);
  fail_unless (g_error_matches (err, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE),
      "line %d: %s", line, err->message);
  fail_unless (g_str_has_prefix (err->message, message),
      "line %d: \"%s\" does not start with \"%s\"", line, err->message,
      message);
  g_error_free (err);
}

static void
assert_validation_passes (const gchar *host, const gchar *ca_file,
    GTlsCertificateFlags flags, const gchar *cert,
    GTlsCertificateFlags expected_ignored, gint line)
{
  GTlsCertificateFlags ignored;
  GError *err = try_validation (host, ca_file, flags, cert, &ignored);

  fail_unless (err == NULL, "line %d: %s", line, err ? err->message : "");
  fail_unless_equals_int_hex (ignored, expected_ignored);
}

#define ALL G_TLS_CERTIFICATE_VALIDATE_ALL

/* ---- handshake and data ---- */

GST_START_TEST (test_handshake_and_data)
{
  Peer *client = client_peer ("localhost", P ("ca.pem"), ALL);
  Peer *server = server_peer (P ("server.pem"), P ("server.key"));
  const guint8 *data;

  /* the ClientHello is ready before anything was received */
  fail_unless (gst_rtmp_tls_peek_output (client->tls, &data) > 0);
  fail_unless_equals_int (data[0], 0x16);
  fail_unless_equals_int (peer_output_size (server), 0);
  fail_if (gst_rtmp_tls_is_handshake_complete (client->tls));

  pump (client, server);
  assert_connected (client, server, __LINE__);
  fail_unless_equals_int (gst_rtmp_tls_get_ignored_errors (client->tls), 0);
  fail_if (gst_rtmp_tls_peer_closed (client->tls));
  fail_if (gst_rtmp_tls_peer_closed (server->tls));

  peer_write_string (client, "hello server");
  peer_write_string (server, "hello client");
  pump (client, server);
  assert_received (server, "hello server", __LINE__);
  assert_received (client, "hello client", __LINE__);

  /* nothing left behind, and a read with nothing to read is just 0 */
  fail_unless_equals_int (peer_output_size (client), 0);
  fail_unless_equals_int (peer_output_size (server), 0);
  peer_drain (client);
  fail_unless_equals_int (client->received->len, 0);

  peer_free (client);
  peer_free (server);
}

GST_END_TEST;

/* The handshake and data fed in pieces of many sizes, down to one byte, and
 * read back through buffers of many sizes, down to one byte */
GST_START_TEST (test_piece_sizes)
{
  static const gsize ONE[] = { 1 };
  static const gsize SMALL[] = { 7, 1, 2, 300 };
  static const gsize MIXED[] = { 5000, 3, 16384 + 5, 1, 1, 200 };
  static const gsize RECORD_SPLIT[] = { 5, 16384, 21 };
  static const struct
  {
    const gsize *pieces;
    guint n_pieces;
    gsize read_chunk;
  } cases[] = {
    { ONE, 1, 1 },
    { ONE, 1, 65536 },
    { SMALL, G_N_ELEMENTS (SMALL), 3 },
    { MIXED, G_N_ELEMENTS (MIXED), 100 },
    { RECORD_SPLIT, G_N_ELEMENTS (RECORD_SPLIT), 16384 },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    Peer *client = client_peer ("localhost", P ("ca.pem"), ALL);
    Peer *server = server_peer (P ("server.pem"), P ("server.key"));
    gchar *text = g_strdup_printf ("case %u: a message a bit longer than a "
                                   "few bytes, so that pieces cut it",
        i);

    client->read_chunk = server->read_chunk = cases[i].read_chunk;
    pump_pieces (client, server, cases[i].pieces, cases[i].n_pieces);
    assert_connected (client, server, __LINE__);

    peer_write_string (client, text);
    peer_write_string (server, text);
    pump_pieces (client, server, cases[i].pieces, cases[i].n_pieces);
    assert_received (server, text, __LINE__);
    assert_received (client, text, __LINE__);

    g_free (text);
    peer_free (client);
    peer_free (server);
  }
}

GST_END_TEST;

static guint8 *
pattern (gsize len, guint32 seed)
{
  guint8 *p = g_malloc (len);
  gsize i;

  for (i = 0; i < len; i++) {
    seed = seed * 1103515245u + 12345u;
    p[i] = seed >> 16;
  }
  return p;
}

/* 1 MB each way at the same time, written in uneven pieces */
GST_START_TEST (test_one_megabyte_both_ways)
{
  static const gsize PIECES[] = { 1000, 16389, 3, 70000, 512 };
  static const gsize WRITES[] = { 1, 4095, 100000, 16384, 333333 };
  const gsize total = 1024 * 1024;
  Peer *client = client_peer ("localhost", P ("ca.pem"), ALL);
  Peer *server = server_peer (P ("server.pem"), P ("server.key"));
  guint8 *up = pattern (total, 1), *down = pattern (total, 2);
  gsize off = 0;
  guint i = 0;

  client->read_chunk = 4096;
  server->read_chunk = 100000;
  pump (client, server);
  assert_connected (client, server, __LINE__);

  while (off < total) {
    gsize n = MIN (WRITES[i++ % G_N_ELEMENTS (WRITES)], total - off);

    peer_write (client, up + off, n);
    peer_write (server, down + off, n);
    off += n;
    if (i % 3 == 0)
      pump_pieces (client, server, PIECES, G_N_ELEMENTS (PIECES));
  }
  pump_pieces (client, server, PIECES, G_N_ELEMENTS (PIECES));
  assert_connected (client, server, __LINE__);

  fail_unless_equals_int (server->received->len, total);
  fail_unless_equals_int (client->received->len, total);
  fail_unless (memcmp (server->received->data, up, total) == 0);
  fail_unless (memcmp (client->received->data, down, total) == 0);

  g_free (up);
  g_free (down);
  peer_free (client);
  peer_free (server);
}

GST_END_TEST;

/* Writes before the handshake completes are held and sent once it does */
GST_START_TEST (test_write_before_handshake)
{
  Peer *client = client_peer ("localhost", P ("ca.pem"), ALL);
  Peer *server = server_peer (P ("server.pem"), P ("server.key"));
  gsize hello_len = peer_output_size (client);

  peer_write_string (client, "early ");
  peer_write_string (client, "words");
  /* held: still only the ClientHello */
  fail_unless_equals_int (peer_output_size (client), hello_len);

  /* the server writes as soon as it has the ClientHello */
  pump_one_way (client, server, WHOLE, 1);
  peer_write_string (server, "early reply");
  pump (client, server);
  assert_connected (client, server, __LINE__);
  assert_received (server, "early words", __LINE__);
  assert_received (client, "early reply", __LINE__);

  peer_free (client);
  peer_free (server);
}

GST_END_TEST;

/* A server certificate file holding the chain (leaf, intermediate) and one
 * holding certificate and key together */
GST_START_TEST (test_chain_and_combined_files)
{
  assert_validation_passes ("localhost", P ("ca.pem"), ALL, P ("chain.pem"), 0,
      __LINE__);
  /* an intermediate alone is a trust anchor too */
  assert_validation_passes ("localhost", P ("intermediate.pem"), ALL,
      P ("chain.pem"), 0, __LINE__);
  /* without the intermediate in the file the chain is broken */
  assert_validation_fails ("localhost", P ("ca.pem"), ALL, P ("chain-leaf.pem"),
      "TLS certificate of localhost is signed by an "
      "unknown authority (unable to get local issuer certificate)",
      __LINE__);
  /* with no .key file, the key is read from the certificate file */
  assert_validation_passes ("localhost", P ("ca.pem"), ALL, P ("combined.pem"),
      0, __LINE__);
}

GST_END_TEST;

/* ---- certificate validation ---- */

GST_START_TEST (test_host_names)
{
  assert_validation_passes ("localhost", P ("ca.pem"), ALL, P ("combined.pem"),
      0, __LINE__);
  assert_validation_passes ("LOCALHOST", P ("ca.pem"), ALL, P ("combined.pem"),
      0, __LINE__);
  assert_validation_passes ("localhost.", P ("ca.pem"), ALL, P ("combined.pem"),
      0, __LINE__);
  assert_validation_passes ("127.0.0.1", P ("ca.pem"), ALL, P ("combined.pem"),
      0, __LINE__);
  assert_validation_passes ("::1", P ("ca.pem"), ALL, P ("combined.pem"), 0,
      __LINE__);
  assert_validation_passes ("[::1]", P ("ca.pem"), ALL, P ("combined.pem"), 0,
      __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_bad_identity)
{
  const GTlsCertificateFlags no_identity
      = ALL & ~G_TLS_CERTIFICATE_BAD_IDENTITY;

  assert_validation_fails ("example.com", P ("ca.pem"), ALL, P ("combined.pem"),
      "TLS certificate of example.com is not valid for "
      "this host name (certificate is for localhost, 127.0.0.1, ::1)",
      __LINE__);
  assert_validation_fails ("127.0.0.2", P ("ca.pem"), ALL, P ("combined.pem"),
      "TLS certificate of 127.0.0.2 is not valid for "
      "this host name (certificate is for localhost, 127.0.0.1, ::1)",
      __LINE__);
  /* a name is not an address, and an address is not a name */
  assert_validation_fails ("127.0.0.1", P ("ca.pem"), ALL, P ("wildcard.pem"),
      "TLS certificate of 127.0.0.1 is not valid for "
      "this host name (certificate is for *.rtmp.test)",
      __LINE__);
  /* wildcards match one label */
  assert_validation_passes ("live.rtmp.test", P ("ca.pem"), ALL,
      P ("wildcard.pem"), 0, __LINE__);
  assert_validation_fails ("a.live.rtmp.test", P ("ca.pem"), ALL,
      P ("wildcard.pem"),
      "TLS certificate of a.live.rtmp.test is not valid "
      "for this host name",
      __LINE__);
  /* without subjectAltName the common name counts */
  assert_validation_passes ("localhost", P ("ca.pem"), ALL, P ("cn-only.pem"),
      0, __LINE__);
  assert_validation_fails ("example.com", P ("ca.pem"), ALL, P ("cn-only.pem"),
      "TLS certificate of example.com is not valid for "
      "this host name (certificate is for localhost)",
      __LINE__);

  /* ignored when the flag is clear */
  assert_validation_passes ("example.com", P ("ca.pem"), no_identity,
      P ("combined.pem"), G_TLS_CERTIFICATE_BAD_IDENTITY, __LINE__);
  assert_validation_passes ("127.0.0.2", P ("ca.pem"), no_identity,
      P ("combined.pem"), G_TLS_CERTIFICATE_BAD_IDENTITY, __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_unknown_ca)
{
  const gchar *self_signed = P ("self-signed.pem");

  assert_validation_fails ("localhost", P ("ca.pem"), ALL, self_signed,
      "TLS certificate of localhost is signed by an unknown authority "
      "(self-signed certificate)",
      __LINE__);
  /* the system store does not know our test CA */
  assert_validation_fails ("localhost", NULL, ALL, P ("combined.pem"),
      "TLS certificate of localhost is signed by an unknown authority "
      "(unable to get local issuer certificate)",
      __LINE__);
  /* a CA file that does not hold the issuer */
  assert_validation_fails ("localhost", P ("self-signed.pem"), ALL,
      P ("combined.pem"),
      "TLS certificate of localhost is signed by an "
      "unknown authority",
      __LINE__);

  assert_validation_passes ("localhost", P ("ca.pem"),
      ALL & ~G_TLS_CERTIFICATE_UNKNOWN_CA, self_signed,
      G_TLS_CERTIFICATE_UNKNOWN_CA, __LINE__);
  assert_validation_passes ("localhost", NULL,
      ALL & ~G_TLS_CERTIFICATE_UNKNOWN_CA, P ("combined.pem"),
      G_TLS_CERTIFICATE_UNKNOWN_CA, __LINE__);
  /* trusting the certificate itself */
  assert_validation_passes ("localhost", P ("self-signed.pem"), ALL,
      self_signed, 0, __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_expired_and_not_yet_valid)
{
  const gchar *expired = P ("expired.pem");
  const gchar *future = P ("future.pem");
  const gchar *old_chain = P ("old-chain.pem");

  assert_validation_fails ("localhost", P ("ca.pem"), ALL, expired,
      "TLS certificate of localhost has expired (valid until 2", __LINE__);
  assert_validation_fails ("localhost", P ("ca.pem"), ALL, future,
      "TLS certificate of localhost is not valid yet (valid from 2", __LINE__);
  assert_validation_fails ("localhost", P ("ca.pem"), ALL, old_chain,
      "TLS certificate of localhost is issued by an expired certificate "
      "(\"RTMP Old Intermediate\", valid until 2",
      __LINE__);

  assert_validation_passes ("localhost", P ("ca.pem"),
      ALL & ~G_TLS_CERTIFICATE_EXPIRED, expired, G_TLS_CERTIFICATE_EXPIRED,
      __LINE__);
  assert_validation_passes ("localhost", P ("ca.pem"),
      ALL & ~G_TLS_CERTIFICATE_NOT_ACTIVATED, future,
      G_TLS_CERTIFICATE_NOT_ACTIVATED, __LINE__);
  assert_validation_passes ("localhost", P ("ca.pem"),
      ALL & ~G_TLS_CERTIFICATE_EXPIRED, old_chain, G_TLS_CERTIFICATE_EXPIRED,
      __LINE__);
}

GST_END_TEST;

/* Several problems at once: each flag decides for its own problem */
GST_START_TEST (test_flags_combine)
{
  const gchar *expired = P ("expired.pem");
  const gchar *self_signed = P ("self-signed.pem");

  assert_validation_fails ("example.com", P ("ca.pem"),
      ALL & ~G_TLS_CERTIFICATE_BAD_IDENTITY, expired,
      "TLS certificate of example.com has expired", __LINE__);
  assert_validation_fails ("example.com", P ("ca.pem"),
      ALL & ~G_TLS_CERTIFICATE_EXPIRED, expired,
      "TLS certificate of example.com is not valid for this host name",
      __LINE__);
  assert_validation_fails ("example.com", P ("ca.pem"),
      G_TLS_CERTIFICATE_EXPIRED, expired,
      "TLS certificate of example.com has expired", __LINE__);
  assert_validation_passes ("example.com", P ("ca.pem"),
      G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_NOT_ACTIVATED, expired,
      G_TLS_CERTIFICATE_EXPIRED | G_TLS_CERTIFICATE_BAD_IDENTITY, __LINE__);

  /* 0 accepts anything */
  assert_validation_passes ("example.com", NULL, 0, expired,
      G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_EXPIRED
          | G_TLS_CERTIFICATE_BAD_IDENTITY,
      __LINE__);
  assert_validation_passes ("127.0.0.2", P ("ca.pem"), 0, self_signed,
      G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_BAD_IDENTITY, __LINE__);
}

GST_END_TEST;

/* A server presenting @cert with plain OpenSSL at security level 0 */
static GError *
try_raw_server (const gchar *host, GTlsCertificateFlags flags,
    const gchar *cert, const gchar *key, int max_version,
    GTlsCertificateFlags *ignored, gchar **sni)
{
  Peer *client = client_peer (host, P ("ca.pem"), flags);
  Peer *server = raw_peer (TRUE, cert, key, max_version);
  GError *err;

  pump (client, server);
  if (ignored)
    *ignored = gst_rtmp_tls_get_ignored_errors (client->tls);
  if (sni) {
    const char *name
        = SSL_get_servername (server->ssl, TLSEXT_NAMETYPE_host_name);

    *sni = g_strdup (name);
  }
  if (client->error == NULL) {
    assert_connected (client, server, __LINE__);
    peer_write_string (client, "ping");
    peer_write_string (server, "pong");
    pump (client, server);
    assert_received (server, "ping", __LINE__);
    assert_received (client, "pong", __LINE__);
  } else {
    fail_unless (server->raw_failed);
  }
  err = g_steal_pointer (&client->error);
  peer_free (client);
  peer_free (server);
  return err;
}

GST_START_TEST (test_insecure)
{
  GTlsCertificateFlags ignored = 0;
  GError *err;

  err = try_raw_server ("localhost", ALL, P ("weak.pem"), P ("weak.key"), 0,
      NULL, NULL);
  fail_unless (err != NULL);
  fail_unless (g_error_matches (err, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE),
      "%s", err->message);
  fail_unless (
      g_str_has_prefix (err->message,
          "TLS certificate of localhost uses an insecure algorithm or key "
          "size (EE certificate key too weak)"),
      "%s", err->message);
  g_error_free (err);

  err = try_raw_server ("localhost", ALL & ~G_TLS_CERTIFICATE_INSECURE,
      P ("weak.pem"), P ("weak.key"), 0, &ignored, NULL);
  fail_unless (err == NULL, "%s", err ? err->message : "");
  fail_unless_equals_int_hex (ignored, G_TLS_CERTIFICATE_INSECURE);
}

GST_END_TEST;

/* SNI carries DNS names, never addresses (RFC 6066 §3) */
GST_START_TEST (test_sni)
{
  static const struct
  {
    const gchar *host;
    const gchar *sni;
  } cases[] = {
    { "localhost", "localhost" },
    { "localhost.", "localhost" },
    { "127.0.0.1", NULL },
    { "::1", NULL },
    { "[::1]", NULL },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *sni = NULL;
    GError *err = try_raw_server (cases[i].host, ALL, P ("server.pem"),
        P ("server.key"), 0, NULL, &sni);

    fail_unless (err == NULL, "%s: %s", cases[i].host, err ? err->message : "");
    fail_unless_equals_string (sni, cases[i].sni);
    g_free (sni);
  }
}

GST_END_TEST;

/* ---- protocol versions, renegotiation, key update ---- */

GST_START_TEST (test_tls12_minimum)
{
  GError *err;
  Peer *server, *client;

  err = try_raw_server ("localhost", ALL, P ("server.pem"), P ("server.key"),
      TLS1_1_VERSION, NULL, NULL);
  fail_unless (err != NULL);
  fail_unless (g_error_matches (err, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE), "%s",
      err->message);
  fail_unless (
      g_str_has_prefix (err->message, "TLS handshake with localhost failed: "),
      "%s", err->message);
  g_error_free (err);

  /* TLS 1.2 itself is fine */
  err = try_raw_server ("localhost", ALL, P ("server.pem"), P ("server.key"),
      TLS1_2_VERSION, NULL, NULL);
  fail_unless (err == NULL, "%s", err ? err->message : "");

  /* our server refuses a TLS 1.1 client */
  server = server_peer (P ("server.pem"), P ("server.key"));
  client = raw_peer (FALSE, NULL, NULL, TLS1_1_VERSION);
  pump (client, server);
  fail_unless (server->error != NULL);
  fail_unless (
      g_error_matches (server->error, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE), "%s",
      server->error->message);
  fail_unless (g_str_has_prefix (server->error->message,
                   "TLS handshake with the client failed: "),
      "%s", server->error->message);
  fail_unless (client->raw_failed);
  peer_free (client);
  peer_free (server);
}

GST_END_TEST;

/* A TLS 1.2 server renegotiates while data flows both ways, and our client
 * writes while the renegotiation waits for the server */
GST_START_TEST (test_renegotiation)
{
  Peer *client = client_peer ("localhost", P ("ca.pem"), ALL);
  Peer *server
      = raw_peer (TRUE, P ("server.pem"), P ("server.key"), TLS1_2_VERSION);
  guint8 *big = pattern (100000, 3);
  GByteArray *expected = g_byte_array_new ();

  pump (client, server);
  assert_connected (client, server, __LINE__);

  peer_write_string (client, "before ");
  g_byte_array_append (expected, (const guint8 *) "before ", 7);
  fail_unless (SSL_renegotiate (server->ssl) == 1);
  /* sends the HelloRequest */
  raw_check (server, SSL_do_handshake (server->ssl));
  fail_unless (peer_output_size (server) > 0);
  peer_write_string (server, "during");

  /* the client answers the HelloRequest with a ClientHello... */
  pump_one_way (server, client, WHOLE, 1);
  assert_received (client, "during", __LINE__);
  fail_unless (peer_output_size (client) > 0);
  /* ...and writes while it waits for the ServerHello */
  peer_write (client, big, 100000);
  g_byte_array_append (expected, big, 100000);

  pump (client, server);
  assert_connected (client, server, __LINE__);
  fail_if (SSL_renegotiate_pending (server->ssl));

  peer_write_string (client, " after");
  g_byte_array_append (expected, (const guint8 *) " after", 6);
  peer_write_string (server, "after");
  pump (client, server);
  assert_received (client, "after", __LINE__);
  fail_unless_equals_int (server->received->len, expected->len);
  fail_unless (
      memcmp (server->received->data, expected->data, expected->len) == 0);

  g_byte_array_unref (expected);
  g_free (big);
  peer_free (client);
  peer_free (server);
}

GST_END_TEST;

/* A TLS 1.3 server updates its keys and asks for ours to be updated */
GST_START_TEST (test_key_update)
{
  Peer *client = client_peer ("localhost", P ("ca.pem"), ALL);
  Peer *server = raw_peer (TRUE, P ("server.pem"), P ("server.key"), 0);

  pump (client, server);
  assert_connected (client, server, __LINE__);
  fail_unless_equals_int (SSL_version (server->ssl), TLS1_3_VERSION);

  fail_unless (SSL_key_update (server->ssl, SSL_KEY_UPDATE_REQUESTED));
  peer_write_string (server, "new keys");
  peer_write_string (client, "old keys");
  pump (client, server);
  assert_received (client, "new keys", __LINE__);
  assert_received (server, "old keys", __LINE__);

  peer_write_string (client, "client's new keys");
  peer_write_string (server, "again");
  pump (client, server);
  assert_connected (client, server, __LINE__);
  assert_received (server, "client's new keys", __LINE__);
  assert_received (client, "again", __LINE__);
  fail_unless_equals_int (SSL_get_key_update_type (server->ssl),
      SSL_KEY_UPDATE_NONE);

  peer_free (client);
  peer_free (server);
}

GST_END_TEST;

/* ---- close_notify ---- */

GST_START_TEST (test_close_notify)
{
  Peer *client = client_peer ("localhost", P ("ca.pem"), ALL);
  Peer *server = server_peer (P ("server.pem"), P ("server.key"));
  GError *err = NULL;

  pump (client, server);
  assert_connected (client, server, __LINE__);

  peer_write_string (client, "last words");
  gst_rtmp_tls_shutdown (client->tls);
  gst_rtmp_tls_shutdown (client->tls); /* twice is harmless */
  fail_if (gst_rtmp_tls_write (client->tls, (const guint8 *) "x", 1, &err));
  fail_unless (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CLOSED));
  g_clear_error (&err);

  pump (client, server);
  assert_received (server, "last words", __LINE__);
  fail_unless (gst_rtmp_tls_peer_closed (server->tls));
  fail_if (gst_rtmp_tls_peer_closed (client->tls));
  peer_drain (server);
  fail_unless_equals_int (server->received->len, 0);
  fail_unless (server->error == NULL);

  /* the server may still answer, then closes too */
  peer_write_string (server, "goodbye");
  gst_rtmp_tls_shutdown (server->tls);
  pump (client, server);
  assert_received (client, "goodbye", __LINE__);
  fail_unless (gst_rtmp_tls_peer_closed (client->tls));
  assert_connected (client, server, __LINE__);

  peer_free (client);
  peer_free (server);
}

GST_END_TEST;

/* Shut down before the handshake completed: what was written still goes
 * first, and a plain OpenSSL peer sees a clean close */
GST_START_TEST (test_shutdown_before_handshake)
{
  Peer *client = client_peer ("localhost", P ("ca.pem"), ALL);
  Peer *server = raw_peer (TRUE, P ("server.pem"), P ("server.key"), 0);

  peer_write_string (client, "early");
  gst_rtmp_tls_shutdown (client->tls);
  pump (client, server);
  assert_connected (client, server, __LINE__);
  assert_received (server, "early", __LINE__);
  fail_unless (SSL_get_shutdown (server->ssl) & SSL_RECEIVED_SHUTDOWN);

  fail_unless (SSL_shutdown (server->ssl) >= 0);
  pump (client, server);
  fail_unless (gst_rtmp_tls_peer_closed (client->tls));

  peer_free (client);
  peer_free (server);
}

GST_END_TEST;

/* ---- garbage from the network ---- */

static void
assert_tls_error (GError *err, gint code, const gchar *prefix, gint line)
{
  fail_unless (err != NULL, "line %d: no error", line);
  fail_unless (g_error_matches (err, G_TLS_ERROR, code), "line %d: %s (%d)",
      line, err->message, err->code);
  fail_unless (g_str_has_prefix (err->message, prefix),
      "line %d: \"%s\" does not start with \"%s\"", line, err->message, prefix);
}

/* After a failure every call fails the same way, and OpenSSL's per-thread
 * error queue is left empty */
static void
assert_failed_for_good (GstRtmpTls *tls, const GError *original, gint line)
{
  GError *err = NULL;
  guint8 buf[16];

  fail_unless (ERR_peek_error () == 0, "line %d: OpenSSL errors left", line);
  fail_if (gst_rtmp_tls_receive (tls, (const guint8 *) "more", 4, &err));
  fail_unless (g_error_matches (err, original->domain, original->code));
  fail_unless_equals_string (err->message, original->message);
  g_clear_error (&err);
  fail_unless_equals_int (gst_rtmp_tls_read (tls, buf, sizeof (buf), &err), -1);
  fail_unless (g_error_matches (err, original->domain, original->code));
  g_clear_error (&err);
  fail_if (gst_rtmp_tls_write (tls, buf, sizeof (buf), &err));
  fail_unless (g_error_matches (err, original->domain, original->code));
  g_clear_error (&err);
  gst_rtmp_tls_shutdown (tls);
  fail_unless (ERR_peek_error () == 0, "line %d: OpenSSL errors left", line);
}

static void
feed_garbage (gboolean to_server, const guint8 *data, gsize len, gint code,
    const gchar *prefix, gint line)
{
  Peer *p = to_server ? server_peer (P ("server.pem"), P ("server.key"))
                      : client_peer ("localhost", P ("ca.pem"), ALL);

  peer_feed (p, data, len);
  assert_tls_error (p->error, code, prefix, line);
  assert_failed_for_good (p->tls, p->error, line);
  peer_free (p);
}

GST_START_TEST (test_garbage_before_handshake)
{
  static const gchar http[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  guint8 rtmp_c0c1[1537] = {
    0x03,
  };
  guint8 *noise = pattern (300, 4);
  /* a handshake record announcing more than a record may hold */
  static const guint8 too_long[] = { 0x16, 0x03, 0x01, 0xff, 0xff, 0x01 };
  /* a well-framed record holding a broken ClientHello */
  static const guint8 bad_hello[] = { 0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00,
    0x00, 0x04, 0x03, 0x03, 0x00, 0x00 };

  feed_garbage (TRUE, (const guint8 *) http, strlen (http), G_TLS_ERROR_NOT_TLS,
      "TLS handshake with the client failed: the peer "
      "does not speak TLS (",
      __LINE__);
  feed_garbage (TRUE, rtmp_c0c1, sizeof (rtmp_c0c1), G_TLS_ERROR_NOT_TLS,
      "TLS handshake with the client failed: the peer does not speak TLS (",
      __LINE__);
  feed_garbage (FALSE, rtmp_c0c1, sizeof (rtmp_c0c1), G_TLS_ERROR_NOT_TLS,
      "TLS handshake with localhost failed: the peer does not speak TLS (",
      __LINE__);
  feed_garbage (FALSE, noise, 300, G_TLS_ERROR_NOT_TLS,
      "TLS handshake with localhost failed: ", __LINE__);
  feed_garbage (TRUE, too_long, sizeof (too_long), G_TLS_ERROR_NOT_TLS,
      "TLS handshake with the client failed: ", __LINE__);
  feed_garbage (TRUE, bad_hello, sizeof (bad_hello), G_TLS_ERROR_HANDSHAKE,
      "TLS handshake with the client failed: error:", __LINE__);
  g_free (noise);
}

GST_END_TEST;

/* One byte changed anywhere in the handshake: an error or, where the byte
 * does not matter (random values), success; never a crash */
GST_START_TEST (test_corrupted_handshake)
{
  guint i;

  for (i = 0; i < 48; i++) {
    Peer *client = client_peer ("localhost", P ("ca.pem"), ALL);
    Peer *server = server_peer (P ("server.pem"), P ("server.key"));
    Peer *victim = i % 2 ? client : server;
    Peer *sender = i % 2 ? server : client;
    const guint8 *data;
    guint8 *copy;
    gsize len;

    /* the server's flight needs the ClientHello first */
    if (victim == client)
      pump_one_way (client, server, WHOLE, 1);
    len = gst_rtmp_tls_peek_output (sender->tls, &data);
    fail_unless (len > 0);
    copy = g_memdup2 (data, len);
    gst_rtmp_tls_consume_output (sender->tls, len);
    copy[(i * 7919) % len] ^= 1 << (i % 8);
    peer_feed (victim, copy, len);
    g_free (copy);
    pump (client, server);

    if (peer_failed (client) || peer_failed (server)) {
      if (client->error)
        assert_failed_for_good (client->tls, client->error, __LINE__);
      if (server->error)
        assert_failed_for_good (server->tls, server->error, __LINE__);
    } else {
      assert_connected (client, server, __LINE__);
    }
    peer_free (client);
    peer_free (server);
  }
}

GST_END_TEST;

GST_START_TEST (test_garbage_after_handshake)
{
  Peer *client = client_peer ("localhost", P ("ca.pem"), ALL);
  Peer *server = server_peer (P ("server.pem"), P ("server.key"));
  const guint8 *data;
  guint8 *copy;
  gsize len;

  pump (client, server);
  assert_connected (client, server, __LINE__);

  /* a good record, then one with a flipped bit: the first is delivered */
  peer_write_string (client, "intact");
  pump (client, server);
  peer_write_string (client, "tampered");
  len = gst_rtmp_tls_peek_output (client->tls, &data);
  copy = g_memdup2 (data, len);
  gst_rtmp_tls_consume_output (client->tls, len);
  copy[len - 3] ^= 0x40;
  peer_feed (server, copy, len);
  g_free (copy);
  assert_received (server, "intact", __LINE__);
  assert_tls_error (server->error, G_TLS_ERROR_MISC,
      "TLS connection with the client failed: error:", __LINE__);
  assert_failed_for_good (server->tls, server->error, __LINE__);

  /* a record header announcing 64 kB */
  {
    static const guint8 huge[] = { 0x17, 0x03, 0x03, 0xff, 0xff, 0, 0, 0 };

    peer_feed (client, huge, sizeof (huge));
    assert_tls_error (client->error, G_TLS_ERROR_MISC,
        "TLS connection with localhost failed: error:", __LINE__);
    assert_failed_for_good (client->tls, client->error, __LINE__);
  }

  peer_free (client);
  peer_free (server);
}

GST_END_TEST;

/* Errors other users left on this thread's OpenSSL error queue do not make
 * a healthy connection fail */
GST_START_TEST (test_foreign_openssl_errors)
{
  Peer *client = client_peer ("localhost", P ("ca.pem"), ALL);
  Peer *server = server_peer (P ("server.pem"), P ("server.key"));

  ERR_raise (ERR_LIB_USER, 1);
  pump (client, server);
  assert_connected (client, server, __LINE__);
  ERR_raise (ERR_LIB_USER, 2);
  peer_write_string (client, "fine");
  ERR_raise (ERR_LIB_USER, 3);
  pump (client, server);
  assert_received (server, "fine", __LINE__);
  ERR_clear_error ();

  peer_free (client);
  peer_free (server);
}

GST_END_TEST;

/* ---- configuration errors ---- */

static void
assert_new_fails (const GstRtmpTlsConfig *config, GQuark domain, gint code,
    const gchar *fragment, gint line)
{
  GError *err = NULL;
  GstRtmpTls *tls = gst_rtmp_tls_new (config, &err);

  fail_unless (tls == NULL, "line %d: created", line);
  fail_unless (err != NULL, "line %d: no error", line);
  fail_unless (g_error_matches (err, domain, code), "line %d: %s (%s %d)", line,
      err->message, g_quark_to_string (err->domain), err->code);
  fail_unless (strstr (err->message, fragment) != NULL,
      "line %d: \"%s\" lacks \"%s\"", line, err->message, fragment);
  fail_unless (ERR_peek_error () == 0, "line %d: OpenSSL errors left", line);
  g_error_free (err);
}

GST_START_TEST (test_server_configuration_errors)
{
  GstRtmpTlsConfig config = {
    0,
  };
  gchar *text;

  config.is_server = TRUE;
  config.certificate_file = P ("server.pem");
  config.key_file = P ("other.key");
  text = g_strdup_printf ("The TLS key in %s does not match the certificate "
                          "in %s",
      P ("other.key"), P ("server.pem"));
  assert_new_fails (&config, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, text,
      __LINE__);
  g_free (text);

  config.key_file = P ("missing.key");
  assert_new_fails (&config, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
      "Cannot read the TLS key file", __LINE__);

  config.key_file = P ("encrypted.key");
  assert_new_fails (&config, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      "is encrypted", __LINE__);

  config.key_file = P ("ca.pem");
  assert_new_fails (&config, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      "contains no usable PEM private key", __LINE__);

  /* server.pem holds no key */
  config.key_file = NULL;
  assert_new_fails (&config, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      "contains no usable PEM private key", __LINE__);

  config.key_file = P ("server.key");
  config.certificate_file = P ("missing.pem");
  assert_new_fails (&config, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
      "Cannot read the TLS certificate file", __LINE__);
  config.certificate_file = P ("garbage.pem");
  assert_new_fails (&config, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      "contains no usable PEM certificate", __LINE__);
  config.certificate_file = P ("damaged.pem");
  assert_new_fails (&config, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      "contains no usable PEM certificate", __LINE__);
  config.certificate_file = cert_dir;
  assert_new_fails (&config, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY,
      "Cannot read the TLS certificate file", __LINE__);
  /* never read to the end */
  config.certificate_file = "/dev/zero";
  assert_new_fails (&config, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "not a regular file", __LINE__);
  /* our server refuses to present a key below the security level */
  config.certificate_file = P ("weak.pem");
  config.key_file = P ("weak.key");
  assert_new_fails (&config, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      "Cannot use the TLS certificate file", __LINE__);

  config.certificate_file = NULL;
  config.key_file = NULL;
  assert_new_fails (&config, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "needs a certificate", __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_client_configuration_errors)
{
  GstRtmpTlsConfig config = {
    0,
  };

  config.host = "localhost";
  config.validation_flags = ALL;
  config.ca_file = P ("missing.pem");
  assert_new_fails (&config, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
      "Cannot read the TLS CA file", __LINE__);
  config.ca_file = P ("garbage.pem");
  assert_new_fails (&config, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      "contains no PEM certificate", __LINE__);
  config.ca_file = P ("damaged.pem");
  assert_new_fails (&config, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      "Cannot use the TLS CA file", __LINE__);

  config.ca_file = NULL;
  config.host = "bad host name";
  assert_new_fails (&config, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "Cannot use \"bad host name\" as host name", __LINE__);
  config.host = "";
  assert_new_fails (&config, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "as host name", __LINE__);
}

GST_END_TEST;

/* A client certificate is loaded like a server's */
GST_START_TEST (test_client_certificate)
{
  GstRtmpTlsConfig config = {
    0,
  };
  GError *err = NULL;
  GstRtmpTls *tls;

  config.host = "localhost";
  config.ca_file = P ("ca.pem");
  config.validation_flags = ALL;
  config.certificate_file = P ("combined.pem");
  tls = gst_rtmp_tls_new (&config, &err);
  fail_unless (tls != NULL, "%s", err ? err->message : "");
  gst_rtmp_tls_free (tls);

  config.key_file = P ("other.key");
  assert_new_fails (&config, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      "does not match", __LINE__);
}

GST_END_TEST;

/* ---- against a real peer: openssl s_server on loopback ---- */

typedef struct
{
  GPid pid;
  gint stdin_fd, stdout_fd;
  GString *output;
} SServer;

static guint16
free_port (void)
{
  struct sockaddr_in addr = {
    0,
  };
  socklen_t len = sizeof (addr);
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  guint16 port;

  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fail_unless (bind (fd, (struct sockaddr *) &addr, sizeof (addr)) == 0);
  fail_unless (getsockname (fd, (struct sockaddr *) &addr, &len) == 0);
  port = ntohs (addr.sin_port);
  close (fd);
  return port;
}

/* Reads what s_server printed; FALSE at its end of output */
static gboolean
s_server_read (SServer *s)
{
  gchar buf[4096];
  gssize n = read (s->stdout_fd, buf, sizeof (buf));

  if (n <= 0)
    return FALSE;
  g_string_append_len (s->output, buf, n);
  return TRUE;
}

static void
s_server_start (SServer *s, guint16 port)
{
  gchar *openssl = g_find_program_in_path ("openssl");
  gchar *accept = g_strdup_printf ("127.0.0.1:%u", port);
  gchar *argv[] = { openssl, (gchar *) "s_server", (gchar *) "-accept", accept,
    (gchar *) "-cert", (gchar *) P ("server.pem"), (gchar *) "-key",
    (gchar *) P ("server.key"), (gchar *) "-naccept", (gchar *) "1", NULL };
  GError *err = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;

  fail_unless (openssl != NULL, "the openssl program is not installed");
  fail_unless (g_spawn_async_with_pipes (NULL, argv, NULL,
                   G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                   NULL, &s->pid, &s->stdin_fd, &s->stdout_fd, NULL, &err),
      "%s", err ? err->message : "");
  s->output = g_string_new (NULL);
  g_free (openssl);
  g_free (accept);

  /* it prints ACCEPT once it listens */
  while (strstr (s->output->str, "ACCEPT") == NULL) {
    struct pollfd pfd = { s->stdout_fd, POLLIN, 0 };

    fail_unless (g_get_monotonic_time () < deadline,
        "s_server did not start: %s", s->output->str);
    if (poll (&pfd, 1, 100) > 0)
      fail_unless (s_server_read (s), "s_server exited: %s", s->output->str);
  }
}

static void
s_server_stop (SServer *s)
{
  int status;

  kill (s->pid, SIGTERM);
  fail_unless (waitpid (s->pid, &status, 0) == s->pid);
  g_spawn_close_pid (s->pid);
  close (s->stdin_fd);
  close (s->stdout_fd);
  g_string_free (s->output, TRUE);
}

static int
connect_loopback (guint16 port)
{
  struct sockaddr_in addr = {
    0,
  };
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fail_unless (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) == 0,
      "connect: %s", g_strerror (errno));
  return fd;
}

/* Sends all TLS output on the (blocking) socket */
static void
flush_to_socket (GstRtmpTls *tls, int fd)
{
  const guint8 *data;
  gsize len;

  while ((len = gst_rtmp_tls_peek_output (tls, &data)) > 0) {
    gssize n = send (fd, data, len, MSG_NOSIGNAL);

    fail_unless (n > 0, "send: %s", g_strerror (errno));
    gst_rtmp_tls_consume_output (tls, n);
  }
}

GST_START_TEST (test_openssl_s_server)
{
  static const gchar to_server[] = "hello from rtmp\n";
  static const gchar to_client[] = "hello from s_server\n";
  guint16 port = free_port ();
  SServer s = {
    0,
  };
  Peer *client;
  gboolean told_server = FALSE, told_client = FALSE;
  gboolean socket_open = TRUE;
  gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  int fd;

  s_server_start (&s, port);
  client = client_peer ("127.0.0.1", P ("ca.pem"), ALL);
  fd = connect_loopback (port);

  /* until each side printed the other's line and the client saw the
   * server's close_notify */
  while (socket_open && !gst_rtmp_tls_peer_closed (client->tls)) {
    struct pollfd pfds[2] = { { fd, POLLIN, 0 }, { s.stdout_fd, POLLIN, 0 } };

    fail_unless (g_get_monotonic_time () < deadline,
        "timed out; s_server printed: %s", s.output->str);
    flush_to_socket (client->tls, fd);

    if (gst_rtmp_tls_is_handshake_complete (client->tls) && !told_server) {
      peer_write_string (client, to_server);
      flush_to_socket (client->tls, fd);
      /* s_server sends its stdin to the client */
      fail_unless (write (s.stdin_fd, to_client, strlen (to_client))
          == (gssize) strlen (to_client));
      told_server = TRUE;
    }
    if (told_server && !told_client
        && strstr (s.output->str, "hello from rtmp") != NULL
        && g_strstr_len ((const gchar *) client->received->data,
               client->received->len, "hello from s_server")
            != NULL) {
      /* both lines arrived: close; s_server answers with its own
       * close_notify and exits (-naccept 1) */
      told_client = TRUE;
      gst_rtmp_tls_shutdown (client->tls);
      flush_to_socket (client->tls, fd);
    }

    if (poll (pfds, 2, 100) <= 0)
      continue;
    if (pfds[1].revents)
      s_server_read (&s);
    if (pfds[0].revents) {
      guint8 buf[16384];
      gssize n = recv (fd, buf, sizeof (buf), 0);

      if (n <= 0) {
        socket_open = FALSE;
        continue;
      }
      peer_feed (client, buf, n);
      fail_unless (client->error == NULL, "%s",
          client->error ? client->error->message : "");
    }
  }

  fail_unless (told_client, "s_server printed: %s", s.output->str);
  fail_unless (gst_rtmp_tls_peer_closed (client->tls),
      "no close_notify from s_server");
  assert_received (client, to_client, __LINE__);

  close (fd);
  s_server_stop (&s);
  peer_free (client);
}

GST_END_TEST;

static Suite *
tls_suite (void)
{
  Suite *s = suite_create ("rtmptls");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_unchecked_fixture (tc, suite_setup, suite_teardown);
  tcase_add_test (tc, test_handshake_and_data);
  tcase_add_test (tc, test_piece_sizes);
  tcase_add_test (tc, test_one_megabyte_both_ways);
  tcase_add_test (tc, test_write_before_handshake);
  tcase_add_test (tc, test_chain_and_combined_files);
  tcase_add_test (tc, test_host_names);
  tcase_add_test (tc, test_bad_identity);
  tcase_add_test (tc, test_unknown_ca);
  tcase_add_test (tc, test_expired_and_not_yet_valid);
  tcase_add_test (tc, test_flags_combine);
  tcase_add_test (tc, test_insecure);
  tcase_add_test (tc, test_sni);
  tcase_add_test (tc, test_tls12_minimum);
  tcase_add_test (tc, test_renegotiation);
  tcase_add_test (tc, test_key_update);
  tcase_add_test (tc, test_close_notify);
  tcase_add_test (tc, test_shutdown_before_handshake);
  tcase_add_test (tc, test_garbage_before_handshake);
  tcase_add_test (tc, test_corrupted_handshake);
  tcase_add_test (tc, test_garbage_after_handshake);
  tcase_add_test (tc, test_foreign_openssl_errors);
  tcase_add_test (tc, test_server_configuration_errors);
  tcase_add_test (tc, test_client_configuration_errors);
  tcase_add_test (tc, test_client_certificate);
  tcase_add_test (tc, test_openssl_s_server);
  return s;
}

GST_CHECK_MAIN (tls);
