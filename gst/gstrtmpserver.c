/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Server mode's process-wide listeners: one listening socket per address and
 * port for every server-mode element of the process, the routes elements
 * register on it, accepting (with the cap on pending connections) and the
 * sweep of clients that queue more than they read. What happens on one
 * accepted connection is gstrtmpserverclient.c's.
 *
 * Threading: a listener accepts on one of the shared I/O threads
 * (gstrtmpioloop.c); each connection runs on the I/O thread the connection
 * layer picks; nothing here starts a thread. Connection callbacks (events,
 * close) arrive on the connection's I/O thread; route callbacks are called
 * from them under the route's callback_lock.
 *
 * Lock order: connection callback_lock, route callback_lock, element locks,
 * listener lock, connection lock. registry_lock is taken before a
 * listener's lock, never after. The listener's lock is never held while
 * calling out (callbacks, posting messages, closing connections). */

#include "config.h"
#include "gstrtmpserverprivate.h"

#include <string.h>

GST_DEBUG_CATEGORY (gst_rtmp_server_debug);
#define GST_CAT_DEFAULT gst_rtmp_server_debug

/* the open listeners: "address|port" -> GstRtmpServerListener * (borrowed),
 * under registry_lock */
static GMutex registry_lock;
static GHashTable *registry;

static void
init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_rtmp_server_debug, "rtmpserver", 0,
        "RTMP server mode: listeners and routing");
    g_once_init_leave (&done, 1);
  }
}

/* --- names --- */

const gchar *
gst_rtmp_server_kind_name (GstRtmpServerRouteKind kind)
{
  return kind == GST_RTMP_SERVER_ROUTE_PLAY ? "play" : "publish";
}

/* "live?x=1" or "live/" -> "live" */
gchar *
gst_rtmp_server_base_app (const gchar *app)
{
  gchar *base = g_strndup (app, strcspn (app, "?"));
  gsize len = strlen (base);

  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  return base;
}

/* "key?token=1" -> "key" */
gchar *
gst_rtmp_server_stream_key (const gchar *stream)
{
  return g_strndup (stream, strcspn (stream, "?"));
}

/* --- listeners --- */

GstRtmpServerListener *
gst_rtmp_server_listener_ref (GstRtmpServerListener *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
gst_rtmp_server_listener_unref (GstRtmpServerListener *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_assert (self->accept_source == NULL && self->sweep_source == NULL);
  g_assert (self->clients->len == 0 && self->routes->len == 0);
  g_ptr_array_unref (self->routes);
  g_ptr_array_unref (self->clients);
  g_clear_object (&self->socket);
  g_free (self->key);
  g_free (self->display);
  g_free (self->tls_certificate_file);
  g_free (self->tls_key_file);
  g_mutex_clear (&self->lock);
  gst_rtmp_io_loop_release (self->loop);
  g_free (self);
}

static void
unref_element (gpointer element)
{
  gst_object_unref (element);
}

/* (transfer full) the elements of the listener's routes, of @app only when
 * @app is set and some route has it */
static GPtrArray *
dup_elements_locked (GstRtmpServerListener *self, const gchar *app)
{
  GPtrArray *elements = g_ptr_array_new_with_free_func (unref_element);
  gboolean any_app = TRUE;
  guint i;

  for (i = 0; app != NULL && i < self->routes->len; i++) {
    GstRtmpServerRoute *route = self->routes->pdata[i];

    if (g_strcmp0 (route->application, app) == 0)
      any_app = FALSE;
  }
  for (i = 0; i < self->routes->len; i++) {
    GstRtmpServerRoute *route = self->routes->pdata[i];

    if (!any_app && g_strcmp0 (route->application, app) != 0)
      continue;
    if (!g_ptr_array_find (elements, route->element, NULL))
      g_ptr_array_add (elements, gst_object_ref (route->element));
  }
  return elements;
}

void
gst_rtmp_server_post_client_message (GstElement *element, const gchar *name,
    const gchar *address, const gchar *app, const gchar *stream,
    const gchar *kind, const gchar *reason, const gchar *code)
{
  GstStructure *s = gst_structure_new (name, "address", G_TYPE_STRING, address,
      "app", G_TYPE_STRING, app, "stream", G_TYPE_STRING, stream, "kind",
      G_TYPE_STRING, kind, NULL);

  if (reason)
    gst_structure_set (s, "reason", G_TYPE_STRING, reason, NULL);
  if (code)
    gst_structure_set (s, "code", G_TYPE_STRING, code, NULL);
  gst_element_post_message (element,
      gst_message_new_element (GST_OBJECT (element), s));
}

/* "rtmp-client-refused" on every element concerned (see
 * dup_elements_locked) */
void
gst_rtmp_server_post_refused_to_all (GstRtmpServerListener *self,
    GstRtmpServerClient *client, const gchar *app, const gchar *stream,
    const gchar *kind, const gchar *reason, const gchar *code)
{
  g_autoptr (GPtrArray) elements = NULL;
  guint i;

  g_mutex_lock (&self->lock);
  elements = dup_elements_locked (self, app);
  g_mutex_unlock (&self->lock);
  GST_INFO ("%s: refused %s: %s", client ? client->address : "peer",
      stream ? stream : (app ? app : ""), reason);
  for (i = 0; i < elements->len; i++)
    gst_rtmp_server_post_client_message (elements->pdata[i],
        "rtmp-client-refused", client ? client->address : NULL, app, stream,
        kind, reason, code);
}

/* "rtmp-client-refused" for @count connections closed over the pending
 * cap, the last from @address */
static void
post_refused_count (GstRtmpServerListener *self, const gchar *address,
    guint count)
{
  g_autoptr (GPtrArray) elements = NULL;
  g_autofree gchar *reason = g_strdup_printf ("too many connections that "
                                              "neither play nor publish (%u)",
      GST_RTMP_SERVER_MAX_PENDING);
  guint i;

  g_mutex_lock (&self->lock);
  elements = dup_elements_locked (self, NULL);
  g_mutex_unlock (&self->lock);
  GST_INFO ("%s: %u connection(s) closed at once: %s", self->display, count,
      reason);
  for (i = 0; i < elements->len; i++) {
    GstStructure *s = gst_structure_new ("rtmp-client-refused", "address",
        G_TYPE_STRING, address, "reason", G_TYPE_STRING, reason, "count",
        G_TYPE_UINT, count, NULL);
    GstElement *element = elements->pdata[i];

    gst_element_post_message (element,
        gst_message_new_element (GST_OBJECT (element), s));
  }
}

/* --- routes --- */

GstRtmpServerRoute *
gst_rtmp_server_route_ref (GstRtmpServerRoute *route)
{
  g_atomic_int_inc (&route->ref_count);
  return route;
}

void
gst_rtmp_server_route_unref (GstRtmpServerRoute *route)
{
  if (!g_atomic_int_dec_and_test (&route->ref_count))
    return;
  gst_rtmp_server_listener_unref (route->listener);
  g_free (route->application);
  g_free (route->stream_key);
  g_free (route->username);
  g_free (route->password);
  g_rec_mutex_clear (&route->callback_lock);
  g_free (route);
}

/* TRUE with the callback lock held when the route still takes callbacks */
gboolean
gst_rtmp_server_route_enter (GstRtmpServerRoute *route)
{
  g_rec_mutex_lock (&route->callback_lock);
  if (g_atomic_int_get (&route->is_removed)) {
    g_rec_mutex_unlock (&route->callback_lock);
    return FALSE;
  }
  return TRUE;
}

void
gst_rtmp_server_route_leave (GstRtmpServerRoute *route)
{
  g_rec_mutex_unlock (&route->callback_lock);
}

/* under the listener's lock */
GstRtmpServerRoute *
gst_rtmp_server_find_route_locked (GstRtmpServerListener *self,
    const gchar *app, const gchar *key, GstRtmpServerRouteKind kind)
{
  guint i;

  for (i = 0; i < self->routes->len; i++) {
    GstRtmpServerRoute *route = self->routes->pdata[i];

    if (route->kind == kind && g_str_equal (route->application, app)
        && g_str_equal (route->stream_key, key))
      return route;
  }
  return NULL;
}

/* --- accepting --- */

static gchar *
socket_peer_address (GSocket *socket)
{
  g_autoptr (GSocketAddress) address
      = g_socket_get_remote_address (socket, NULL);
  g_autofree gchar *host = NULL;
  guint16 port;

  if (address == NULL || !G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("unknown");
  host = g_inet_address_to_string (
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  return g_strdup_printf (strchr (host, ':') ? "[%s]:%u" : "%s:%u", host, port);
}

/* The session settings of the listener's routes: the smallest timeouts */
static void
connection_config_locked (GstRtmpServerListener *self,
    GstRtmpConnectionConfig *config)
{
  guint timeout_s = 0, idle_s = 0, i;
  guint32 chunk_size = 0;
  RtmpSessionConfig *session = &config->session;

  for (i = 0; i < self->routes->len; i++) {
    GstRtmpServerRoute *route = self->routes->pdata[i];

    if (route->timeout_s > 0
        && (timeout_s == 0 || route->timeout_s < timeout_s))
      timeout_s = route->timeout_s;
    if (route->idle_timeout_s > 0
        && (idle_s == 0 || route->idle_timeout_s < idle_s))
      idle_s = route->idle_timeout_s;
    if (chunk_size == 0)
      chunk_size = route->chunk_size;
  }

  memset (config, 0, sizeof (*config));
  rtmp_session_config_init (session, RTMP_SESSION_ROLE_SERVER);
  session->phase_timeout_ms
      = (timeout_s ? timeout_s : DEFAULT_TIMEOUT_S) * 1000;
  session->idle_timeout_ms = (idle_s ? idle_s : DEFAULT_IDLE_TIMEOUT_S) * 1000;
  /* players that only read answer pings: ping three times per idle
   * timeout at least */
  session->ping_interval_ms
      = MIN (PING_INTERVAL_MS, MAX (session->idle_timeout_ms / 3, 100));
  session->chunk_size = chunk_size ? chunk_size : DEFAULT_CHUNK_SIZE;
  session->limits.max_message_bytes = GST_RTMP_SERVER_MAX_MESSAGE_BYTES;
  session->limits.max_buffered_bytes = GST_RTMP_SERVER_MAX_BUFFERED_BYTES;
  session->limits.max_chunk_streams = GST_RTMP_SERVER_MAX_CHUNK_STREAMS;
  session->limits.amf_max_elements = GST_RTMP_SERVER_AMF_MAX_ELEMENTS;
  session->limits.amf_max_bytes = GST_RTMP_SERVER_AMF_MAX_BYTES;
  config->use_tls = self->use_tls;
#if HAVE_TLS
  config->tls.is_server = TRUE;
  config->tls.certificate_file = self->tls_certificate_file;
  config->tls.key_file = self->tls_key_file;
#endif
}

static void
start_client (GstRtmpServerListener *self, GSocket *socket)
{
  g_autofree gchar *address = socket_peer_address (socket);
  GstRtmpConnectionConfig config;
  GstRtmpServerClient *client;
  GstRtmpConnection *connection;
  GError *error = NULL;
  gboolean finished;
  guint n_pending;

  g_mutex_lock (&self->lock);
  if (self->is_closed || self->n_pending >= GST_RTMP_SERVER_MAX_PENDING) {
    gint64 now = g_get_monotonic_time ();
    guint count = 0;

    /* a flood of connects must not flood the bus: one message a second
     * says how many were closed since the last one */
    if (!self->is_closed) {
      self->n_over_cap++;
      if (now - self->over_cap_posted_us >= G_USEC_PER_SEC) {
        count = self->n_over_cap;
        self->n_over_cap = 0;
        self->over_cap_posted_us = now;
      }
    }
    g_mutex_unlock (&self->lock);
    g_socket_close (socket, NULL);
    if (count > 0)
      post_refused_count (self, address, count);
    return;
  }
  connection_config_locked (self, &config);
  client = g_new0 (GstRtmpServerClient, 1);
  client->ref_count = 1;
  client->listener = gst_rtmp_server_listener_ref (self);
  client->socket = g_object_ref (socket);
  client->address = g_steal_pointer (&address);
  client->accepted_us = g_get_monotonic_time ();
  g_ptr_array_add (self->clients, client);
  /* ours until the end: the connection may run, fail and finish the
   * client on another I/O thread before new_server () returns */
  gst_rtmp_server_client_ref (client);
  n_pending = ++self->n_pending;
  g_mutex_unlock (&self->lock);

  GST_DEBUG ("%s: accepted on %s (%u pending)", client->address, self->display,
      n_pending);
  /* the connection borrows the client: gst_rtmp_server_client_finish () closes the
   * connection (no callback after that) before the client can go */
  connection = gst_rtmp_connection_new_server (socket, &config,
      &gst_rtmp_server_connection_callbacks, client, NULL, &error);
  if (connection == NULL) {
    GST_WARNING ("%s: %s", client->address, error->message);
    gst_rtmp_server_client_finish (client, error->message);
    g_error_free (error);
    gst_rtmp_server_client_unref (client);
    return;
  }
  gst_rtmp_server_client_set_connection (client, connection);

  /* finished before the connection was known: close it now */
  g_mutex_lock (&self->lock);
  finished = client->is_finished;
  g_mutex_unlock (&self->lock);
  if (finished)
    gst_rtmp_connection_close (connection);
  gst_rtmp_connection_unref (connection);
  gst_rtmp_server_client_unref (client);
}

static gboolean
on_incoming (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  GstRtmpServerListener *self = user_data;
  guint i;

  for (i = 0; i < MAX_ACCEPTS_PER_DISPATCH; i++) {
    GError *error = NULL;
    GSocket *accepted = g_socket_accept (self->socket, NULL, &error);

    if (accepted == NULL) {
      /* EMFILE and friends: try again on the next wakeup */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        GST_WARNING ("accepting on %s: %s", self->display, error->message);
      g_error_free (error);
      break;
    }
    start_client (self, accepted);
    g_object_unref (accepted);
  }
  return G_SOURCE_CONTINUE;
}

/* Drops clients that queue more than they read: floods of commands whose
 * answers are never read, players over their route's hard bound */
static gboolean
on_sweep (gpointer user_data)
{
  GstRtmpServerListener *self = user_data;
  g_autoptr (GPtrArray) clients = NULL;
  guint i, n_over_cap;

  clients = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_rtmp_server_client_unref);
  g_mutex_lock (&self->lock);
  /* report what the rate limit of start_client () held back */
  n_over_cap = self->n_over_cap;
  self->n_over_cap = 0;
  if (n_over_cap > 0)
    self->over_cap_posted_us = g_get_monotonic_time ();
  for (i = 0; i < self->clients->len; i++)
    g_ptr_array_add (clients,
        gst_rtmp_server_client_ref (self->clients->pdata[i]));
  g_mutex_unlock (&self->lock);
  if (n_over_cap > 0)
    post_refused_count (self, NULL, n_over_cap);

  for (i = 0; i < clients->len; i++) {
    GstRtmpServerClient *client = clients->pdata[i];
    gsize backlog = gst_rtmp_server_client_get_backlog (client);
    gsize limit;

    g_mutex_lock (&self->lock);
    limit = client->route ? client->route->max_backlog_bytes
                          : PENDING_MAX_BACKLOG;
    g_mutex_unlock (&self->lock);
    if (limit > 0 && backlog > limit) {
      g_autofree gchar *reason = g_strdup_printf (
          "%" G_GSIZE_FORMAT " bytes queued that the client does not read "
          "(limit %" G_GSIZE_FORMAT ")",
          backlog, limit);

      gst_rtmp_server_client_finish (client, reason);
    }
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
attach_sources (gpointer user_data)
{
  GstRtmpServerListener *self = user_data;

  g_mutex_lock (&self->lock);
  if (!self->is_closed) {
    GMainContext *context = gst_rtmp_io_loop_get_context (self->loop);

    self->accept_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
    g_source_set_callback (self->accept_source, G_SOURCE_FUNC (on_incoming),
        gst_rtmp_server_listener_ref (self),
        (GDestroyNotify) gst_rtmp_server_listener_unref);
    g_source_attach (self->accept_source, context);
    self->sweep_source = g_timeout_source_new (SWEEP_INTERVAL_MS);
    g_source_set_callback (self->sweep_source, on_sweep,
        gst_rtmp_server_listener_ref (self),
        (GDestroyNotify) gst_rtmp_server_listener_unref);
    g_source_attach (self->sweep_source, context);
  }
  g_mutex_unlock (&self->lock);
  return G_SOURCE_REMOVE;
}

static GInetAddress *
resolve (const gchar *host, GError **error)
{
  GInetAddress *address = g_inet_address_new_from_string (host);
  g_autoptr (GResolver) resolver = NULL;
  GList *list;

  if (address)
    return address;
  resolver = g_resolver_get_default ();
  list = g_resolver_lookup_by_name (resolver, host, NULL, error);
  if (list == NULL)
    return NULL;
  address = g_object_ref (list->data);
  g_resolver_free_addresses (list);
  return address;
}

/* A listening socket on @host:@port, non-blocking (with SO_REUSEADDR: a
 * restarted pipeline gets its port back while old connections linger in
 * TIME_WAIT) */
static GSocket *
listen_on (const gchar *host, guint16 port, guint16 *bound_port,
    gchar **key_out, GError **error)
{
  g_autoptr (GInetAddress) address = resolve (host, error);
  g_autoptr (GSocketAddress) socket_address = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autofree gchar *text = NULL;

  if (address == NULL)
    return NULL;
  socket = g_socket_new (g_inet_address_get_family (address),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  socket_address = g_inet_socket_address_new (address, port);
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, socket_address, TRUE, error)
      || !g_socket_listen (socket, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  local = g_socket_get_local_address (socket, error);
  if (local == NULL)
    return NULL;
  *bound_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  text = g_inet_address_to_string (address);
  *key_out = g_strdup_printf ("%s|%u", text, *bound_port);
  return g_steal_pointer (&socket);
}

/* The registry key of @host:@port without binding: NULL when @host does
 * not resolve or @port is 0 (never shared) */
static gchar *
lookup_key (const gchar *host, guint16 port)
{
  g_autoptr (GInetAddress) address = NULL;
  g_autofree gchar *text = NULL;

  if (port == 0)
    return NULL;
  address = resolve (host, NULL);
  if (address == NULL)
    return NULL;
  text = g_inet_address_to_string (address);
  return g_strdup_printf ("%s|%u", text, port);
}

/* Each connection loads the certificate and key when it starts TLS: load
 * them once now, so that a missing or unusable file fails the element's
 * start rather than every client */
static gboolean
check_tls_files (const GstRtmpServerRouteConfig *config, GError **error)
{
#if HAVE_TLS
  GstRtmpTlsConfig tls = {
    .is_server = TRUE,
    .certificate_file = config->tls_certificate_file,
    .key_file = config->tls_key_file,
  };
  GstRtmpTls *check = gst_rtmp_tls_new (&tls, error);

  if (check == NULL)
    return FALSE;
  gst_rtmp_tls_free (check);
#endif
  return TRUE;
}

/* (transfer full) the open listener of the address, or a new one; called
 * with registry_lock */
static GstRtmpServerListener *
acquire_listener_locked (const GstRtmpServerRouteConfig *config, GError **error)
{
  g_autofree gchar *key = lookup_key (config->host, config->port);
  GstRtmpServerListener *self;
  GSocket *socket;
  guint16 port = 0;
  gchar *bound_key = NULL;

  if (registry == NULL)
    registry = g_hash_table_new (g_str_hash, g_str_equal);
  if (key != NULL && (self = g_hash_table_lookup (registry, key)) != NULL) {
    if (self->use_tls != config->use_tls
        || (config->use_tls
            && (g_strcmp0 (self->tls_certificate_file,
                    config->tls_certificate_file)
                    != 0
                || g_strcmp0 (self->tls_key_file, config->tls_key_file)
                    != 0))) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "%s is already served %s", self->display,
          self->use_tls ? "with other TLS settings"
                        : "without TLS (rtmp://, not rtmps://)");
      return NULL;
    }
    return gst_rtmp_server_listener_ref (self);
  }

  if (config->use_tls && !check_tls_files (config, error))
    return NULL;
  socket = listen_on (config->host, config->port, &port, &bound_key, error);
  if (socket == NULL)
    return NULL;
  self = g_new0 (GstRtmpServerListener, 1);
  self->ref_count = 1;
  self->key = bound_key;
  self->socket = socket;
  self->port = port;
  self->display = g_strdup_printf (
      strchr (config->host, ':') ? "[%s]:%u" : "%s:%u", config->host, port);
  self->use_tls = config->use_tls;
  self->tls_certificate_file = g_strdup (config->tls_certificate_file);
  self->tls_key_file = g_strdup (config->tls_key_file);
  g_mutex_init (&self->lock);
  self->routes = g_ptr_array_new ();
  self->clients = g_ptr_array_new ();
  self->loop = gst_rtmp_io_loop_acquire ();
  g_hash_table_insert (registry, self->key, self);
  gst_rtmp_io_loop_invoke (self->loop, attach_sources,
      gst_rtmp_server_listener_ref (self),
      (GDestroyNotify) gst_rtmp_server_listener_unref);
  GST_INFO ("listening on %s%s", self->display, self->use_tls ? " (TLS)" : "");
  return self;
}

GstRtmpServerRoute *
gst_rtmp_server_route_new (const GstRtmpServerRouteConfig *config,
    const GstRtmpServerRouteCallbacks *callbacks, gpointer user_data,
    GDestroyNotify notify, GError **error)
{
  GstRtmpServerRoute *route, *other;
  g_autofree gchar *app = NULL;
  g_autofree gchar *key = NULL;
  GstRtmpServerListener *listener;

  g_return_val_if_fail (GST_IS_ELEMENT (config->element), NULL);
  g_return_val_if_fail (config->host != NULL, NULL);
  g_return_val_if_fail (config->application != NULL, NULL);
  g_return_val_if_fail (config->stream != NULL, NULL);

  init_debug ();
  app = gst_rtmp_server_base_app (config->application);
  key = gst_rtmp_server_stream_key (config->stream);
  if (app[0] == '\0' || key[0] == '\0') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "a server needs an application and a stream key to serve "
        "(rtmp://host:port/application/stream)");
    return NULL;
  }
#if !HAVE_TLS
  if (config->use_tls) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "rtmps needs TLS support, which this build does not have");
    return NULL;
  }
#endif
  if (config->use_tls && config->tls_certificate_file == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "an rtmps:// server needs tls-certificate-file (and tls-key-file "
        "unless the key is in the certificate file)");
    return NULL;
  }

  g_mutex_lock (&registry_lock);
  listener = acquire_listener_locked (config, error);
  if (listener == NULL) {
    g_mutex_unlock (&registry_lock);
    return NULL;
  }

  g_mutex_lock (&listener->lock);
  other = gst_rtmp_server_find_route_locked (listener, app, key, config->kind);
  if (other != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
        "%s already serves %s of %s/%s (element %s)", listener->display,
        gst_rtmp_server_kind_name (config->kind), app, key,
        GST_OBJECT_NAME (other->element));
    g_mutex_unlock (&listener->lock);
    g_mutex_unlock (&registry_lock);
    gst_rtmp_server_listener_unref (listener);
    return NULL;
  }

  route = g_new0 (GstRtmpServerRoute, 1);
  route->ref_count = 1;
  route->listener = listener; /* the reference acquired above */
  route->element = config->element;
  route->application = g_steal_pointer (&app);
  route->stream_key = g_steal_pointer (&key);
  route->kind = config->kind;
  if (config->username && config->username[0]) {
    route->username = g_strdup (config->username);
    route->password = g_strdup (config->password ? config->password : "");
  }
  route->timeout_s = config->timeout_s;
  route->idle_timeout_s = config->idle_timeout_s;
  route->chunk_size = config->chunk_size;
  route->max_backlog_bytes = config->max_backlog_bytes;
  route->callbacks = *callbacks;
  route->user_data = user_data;
  route->notify = notify;
  g_rec_mutex_init (&route->callback_lock);
  g_ptr_array_add (listener->routes, route);
  g_mutex_unlock (&listener->lock);
  g_mutex_unlock (&registry_lock);

  GST_INFO ("%s: serving %s of %s/%s for %s", listener->display,
      gst_rtmp_server_kind_name (route->kind), route->application,
      route->stream_key, GST_OBJECT_NAME (route->element));
  return route;
}

guint16
gst_rtmp_server_route_get_port (GstRtmpServerRoute *route)
{
  return route->listener->port;
}

static void
close_listener (GstRtmpServerListener *self)
{
  GSource *accept_source, *sweep_source;

  g_mutex_lock (&self->lock);
  self->is_closed = TRUE;
  accept_source = g_steal_pointer (&self->accept_source);
  sweep_source = g_steal_pointer (&self->sweep_source);
  g_mutex_unlock (&self->lock);
  if (accept_source) {
    g_source_destroy (accept_source);
    g_source_unref (accept_source);
  }
  if (sweep_source) {
    g_source_destroy (sweep_source);
    g_source_unref (sweep_source);
  }
  g_socket_close (self->socket, NULL);
  GST_INFO ("stopped listening on %s", self->display);
}

void
gst_rtmp_server_route_free (GstRtmpServerRoute *route)
{
  GstRtmpServerListener *listener;
  g_autoptr (GPtrArray) clients = NULL;
  gboolean last;
  guint i;

  if (route == NULL)
    return;
  listener = route->listener;

  /* no callback starts after this, and none runs once the lock was ours */
  g_mutex_lock (&registry_lock);
  g_mutex_lock (&listener->lock);
  g_atomic_int_set (&route->is_removed, 1);
  g_ptr_array_remove (listener->routes, route);
  last = listener->routes->len == 0;
  if (last) {
    g_hash_table_remove (registry, listener->key);
    listener->is_closed = TRUE;
  }
  clients = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_rtmp_server_client_unref);
  for (i = 0; i < listener->clients->len; i++) {
    GstRtmpServerClient *client = listener->clients->pdata[i];

    /* the route's clients, and every client when the listener closes */
    if (last || client->route == route)
      g_ptr_array_add (clients, gst_rtmp_server_client_ref (client));
  }
  g_mutex_unlock (&listener->lock);
  g_mutex_unlock (&registry_lock);
  g_rec_mutex_lock (&route->callback_lock);
  g_rec_mutex_unlock (&route->callback_lock);

  if (last)
    close_listener (listener);
  for (i = 0; i < clients->len; i++) {
    GstRtmpServerClient *client = clients->pdata[i];
    gboolean was_ours;
    g_autofree gchar *app = NULL;
    g_autofree gchar *stream = NULL;

    g_mutex_lock (&listener->lock);
    was_ours = client->route == route && !client->is_finished;
    app = g_strdup (client->app);
    stream = g_strdup (client->stream);
    g_mutex_unlock (&listener->lock);
    gst_rtmp_server_client_finish (client,
        "the server stopped serving the stream");
    if (was_ours)
      gst_rtmp_server_post_client_message (route->element,
          "rtmp-client-disconnected", client->address, app, stream,
          gst_rtmp_server_kind_name (route->kind),
          "the server stopped serving the stream", NULL);
  }

  if (route->notify)
    route->notify (route->user_data);
  gst_rtmp_server_route_unref (route);
}
