/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What rtmpsrc and rtmpsink share on the element side: the properties both
 * have, their enum types, the URI handler, the client settings built from
 * them, the rtmp-state bus message, error mapping and stats fields. */

#include "config.h"
#include "gstrtmpelement.h"

#include <stdlib.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtmp_element_debug);
#define GST_CAT_DEFAULT gst_rtmp_element_debug

#define DEFAULT_LOCATION "rtmp://localhost/live/myStream"
#define DEFAULT_TIMEOUT_S 5
#define DEFAULT_RECONNECT_DELAY_MS 1000
#define DEFAULT_SINK_RECONNECT_ATTEMPTS 10
#define DEFAULT_SRC_RECONNECT_ATTEMPTS 0

/* --- enum types --- */

GType
gst_rtmp_element_scheme_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    { RTMP_SCHEME_RTMP, "Plain RTMP over TCP", "rtmp" },
    { RTMP_SCHEME_RTMPS, "RTMP over TLS", "rtmps" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&id)) {
    GType type = g_enum_register_static ("RtmpGstScheme", values);
    g_once_init_leave (&id, type);
  }
  return id;
}

GType
gst_rtmp_element_authmod_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    { RTMP_AUTHMOD_NONE, "No authentication", "none" },
    { RTMP_AUTHMOD_AUTO, "The method the server asks for", "auto" },
    { RTMP_AUTHMOD_ADOBE, "Adobe (FMS, Wowza)", "adobe" },
    { RTMP_AUTHMOD_LLNW, "Limelight", "llnw" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&id)) {
    GType type = g_enum_register_static ("RtmpGstAuthmod", values);
    g_once_init_leave (&id, type);
  }
  return id;
}

GType
gst_rtmp_element_stop_commands_get_type (void)
{
  static gsize id = 0;
  static const GFlagsValue values[] = {
    { RTMP_STOP_COMMANDS_NONE, "No command", "none" },
    { RTMP_STOP_COMMANDS_FCUNPUBLISH, "FCUnpublish", "fcunpublish" },
    { RTMP_STOP_COMMANDS_CLOSE_STREAM, "closeStream", "closestream" },
    { RTMP_STOP_COMMANDS_DELETE_STREAM, "deleteStream", "deletestream" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&id)) {
    GType type = g_flags_register_static ("RtmpGstStopCommands", values);
    g_once_init_leave (&id, type);
  }
  return id;
}

GType
gst_rtmp_element_mode_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    { GST_RTMP_ELEMENT_MODE_CLIENT, "Connect to a server", "client" },
    { GST_RTMP_ELEMENT_MODE_SERVER, "Listen on the location's host and port",
        "server" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&id)) {
    GType type = g_enum_register_static ("RtmpGstMode", values);
    g_once_init_leave (&id, type);
  }
  return id;
}

GType
gst_rtmp_element_handshake_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    { RTMP_HANDSHAKE_SIMPLE, "Simple handshake (RTMP 1.0)", "simple" },
    { RTMP_HANDSHAKE_DIGEST,
        "Digest handshake (Flash Player 9 style, as FFmpeg sends)", "digest" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&id)) {
    GType type = g_enum_register_static ("RtmpGstHandshake", values);
    g_once_init_leave (&id, type);
  }
  return id;
}

/* --- properties --- */

void
gst_rtmp_element_install_properties (GObjectClass *klass, guint first,
    gboolean is_sink)
{
  const GParamFlags rw
      = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;

  if (gst_rtmp_element_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (gst_rtmp_element_debug, "rtmpelement", 0,
        "RTMP element settings");

  /**
   * GstRtmpSrc:location:
   *
   * scheme://[user:password@]host[:port]/application/stream, split as
   * rtmp2src/rtmp2sink split it: the application is the path up to the last
   * '/', the stream what follows it (its query string included). Setting it
   * sets scheme, host, port, application, stream, username and password.
   */
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "Location of the RTMP stream: "
          "scheme://[user:password@]host[:port]/application/stream",
          DEFAULT_LOCATION, rw));
  g_object_class_install_property (klass, first + GST_RTMP_ELEMENT_PROP_SCHEME,
      g_param_spec_enum ("scheme", "Scheme", "RTMP connection scheme",
          GST_TYPE_RTMP_ELEMENT_SCHEME, RTMP_SCHEME_RTMP, rw));
  g_object_class_install_property (klass, first + GST_RTMP_ELEMENT_PROP_HOST,
      g_param_spec_string ("host", "Host",
          "RTMP server host name (server mode: the address to listen on)",
          "localhost", rw));
  g_object_class_install_property (klass, first + GST_RTMP_ELEMENT_PROP_PORT,
      g_param_spec_int ("port", "Port", "RTMP server port", 1, 65535, 1935,
          rw));
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_APPLICATION,
      g_param_spec_string ("application", "Application",
          "RTMP application path", "live", rw));
  g_object_class_install_property (klass, first + GST_RTMP_ELEMENT_PROP_STREAM,
      g_param_spec_string ("stream", "Stream",
          "RTMP stream path (the stream key), query string included",
          "myStream", rw));
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_USERNAME,
      g_param_spec_string ("username", "User name",
          "RTMP authorization user name", NULL, rw));
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_PASSWORD,
      g_param_spec_string ("password", "Password",
          "RTMP authorization password", NULL, rw));
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_SECURE_TOKEN,
      g_param_spec_string ("secure-token", "Secure token",
          "Key answering the server's secureToken challenge "
          "(Wowza/FMS SecureToken)",
          NULL, rw));
  g_object_class_install_property (klass, first + GST_RTMP_ELEMENT_PROP_AUTHMOD,
      g_param_spec_enum ("authmod", "Authorization mode",
          "RTMP authorization mode: auto follows the method the server asks "
          "for",
          GST_TYPE_RTMP_ELEMENT_AUTHMOD, RTMP_AUTHMOD_AUTO, rw));
  g_object_class_install_property (klass, first + GST_RTMP_ELEMENT_PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
          "Seconds each phase may take (connect, TLS, handshake, connect "
          "command, createStream, publish/play answer, final flush); "
          "0 = no limit",
          0, G_MAXUINT / 1000, DEFAULT_TIMEOUT_S, rw));
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_TLS_VALIDATION_FLAGS,
      g_param_spec_flags ("tls-validation-flags", "TLS validation flags",
          "Which problems of the server's TLS certificate fail the "
          "connection",
          G_TYPE_TLS_CERTIFICATE_FLAGS, G_TLS_CERTIFICATE_VALIDATE_ALL, rw));
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_FLASH_VERSION,
      g_param_spec_string ("flash-version", "Flash version",
          "Flash version reported to the server (flashVer); NULL = "
          "the element's default",
          NULL, rw));
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_ASYNC_CONNECT,
      g_param_spec_boolean ("async-connect", "Async connect",
          "Connect on READY to PAUSED, otherwise with the first buffer", TRUE,
          rw));
  /**
   * GstRtmpSrc:extra-connect-args:
   *
   * Arguments appended to the connect command, in librtmp's syntax:
   * whitespace-separated "conn=type:data" with type B (boolean 0/1), N
   * (number), S (string), Z (null) and O (object: O:1 starts, O:0 ends;
   * inside, an N prefix names a field: NS:name:value). Used for
   * non-standard authentication by some servers.
   *
   * Since: 0.1
   */
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_EXTRA_CONNECT_ARGS,
      g_param_spec_string ("extra-connect-args", "Extra connect arguments",
          "librtmp-style conn=type:data arguments appended to connect", NULL,
          rw));
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_IDLE_TIMEOUT,
      g_param_spec_uint ("idle-timeout", "Idle timeout",
          "Seconds without any data from the peer before the connection "
          "is considered dead (0 = never)",
          0, G_MAXUINT / 1000, 0, rw));
  /**
   * GstRtmpSrc:mode:
   *
   * client connects to the server of the location; server listens on the
   * location's host and port and serves the location's application and
   * stream to the peers that connect.
   *
   * Since: 0.1
   */
  g_object_class_install_property (klass, first + GST_RTMP_ELEMENT_PROP_MODE,
      g_param_spec_enum ("mode", "Mode", "Connect as a client, or listen",
          GST_TYPE_RTMP_ELEMENT_MODE, GST_RTMP_ELEMENT_MODE_CLIENT, rw));
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_HANDSHAKE,
      g_param_spec_enum ("handshake", "Handshake",
          "Handshake sent to the server: digest is what Flash Player and "
          "FFmpeg send, needed by servers that check it",
          GST_TYPE_RTMP_ELEMENT_HANDSHAKE, RTMP_HANDSHAKE_DIGEST, rw));
  /**
   * GstRtmpSink:reconnect-attempts:
   *
   * Reconnects tried after a connection that was established drops
   * (-1 = unlimited). A failure of the very first connection is an error
   * at once.
   *
   * Since: 0.1
   */
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_RECONNECT_ATTEMPTS,
      g_param_spec_int ("reconnect-attempts", "Reconnect attempts",
          "Reconnects tried after an established connection drops "
          "(-1 = unlimited)",
          -1, G_MAXINT,
          is_sink ? DEFAULT_SINK_RECONNECT_ATTEMPTS
                  : DEFAULT_SRC_RECONNECT_ATTEMPTS,
          rw));
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_RECONNECT_DELAY,
      g_param_spec_uint ("reconnect-delay", "Reconnect delay",
          "Milliseconds before the first reconnect; doubles for each "
          "further attempt, up to 30 s",
          0, 30000, DEFAULT_RECONNECT_DELAY_MS, rw));
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_ENHANCED_CODECS,
      g_param_spec_string ("enhanced-codecs", "Enhanced RTMP codecs",
          "Comma-separated FourCCs (e.g. hvc1,av01,vp09,Opus) advertised in "
          "connect (Enhanced RTMP fourCcList, FourCcInfoMaps, capsEx); "
          "empty = none",
          NULL, rw));
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_TLS_CA_FILE,
      g_param_spec_string ("tls-ca-file", "TLS CA file",
          "PEM file of the certificate authorities to trust instead of the "
          "system's",
          NULL, rw));
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_TLS_CERTIFICATE_FILE,
      g_param_spec_string ("tls-certificate-file", "TLS certificate file",
          "PEM certificate chain (server mode: the server's; client: an "
          "optional client certificate)",
          NULL, rw));
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_TLS_KEY_FILE,
      g_param_spec_string ("tls-key-file", "TLS key file",
          "PEM private key of tls-certificate-file", NULL, rw));
  g_object_class_install_property (klass, first + GST_RTMP_ELEMENT_PROP_SWF_URL,
      g_param_spec_string ("swf-url", "SWF URL",
          "swfUrl sent in connect (some servers check it)", NULL, rw));
  g_object_class_install_property (klass,
      first + GST_RTMP_ELEMENT_PROP_PAGE_URL,
      g_param_spec_string ("page-url", "Page URL",
          "pageUrl sent in connect (some servers check it)", NULL, rw));

  gst_type_mark_as_plugin_api (GST_TYPE_RTMP_ELEMENT_SCHEME, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_RTMP_ELEMENT_AUTHMOD, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_RTMP_ELEMENT_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_RTMP_ELEMENT_HANDSHAKE, 0);
}

void
gst_rtmp_element_settings_init (GstRtmpElementSettings *s, gboolean is_sink)
{
  memset (s, 0, sizeof (*s));
  s->scheme = RTMP_SCHEME_RTMP;
  s->host = g_strdup ("localhost");
  s->port = 1935;
  s->application = g_strdup ("live");
  s->stream = g_strdup ("myStream");
  s->authmod = RTMP_AUTHMOD_AUTO;
  s->timeout_s = DEFAULT_TIMEOUT_S;
  s->tls_validation_flags = G_TLS_CERTIFICATE_VALIDATE_ALL;
  s->async_connect = TRUE;
  s->mode = GST_RTMP_ELEMENT_MODE_CLIENT;
  s->handshake = RTMP_HANDSHAKE_DIGEST;
  s->reconnect_attempts = is_sink ? DEFAULT_SINK_RECONNECT_ATTEMPTS
                                  : DEFAULT_SRC_RECONNECT_ATTEMPTS;
  s->reconnect_delay_ms = DEFAULT_RECONNECT_DELAY_MS;
}

void
gst_rtmp_element_settings_clear (GstRtmpElementSettings *s)
{
  g_clear_pointer (&s->host, g_free);
  g_clear_pointer (&s->application, g_free);
  g_clear_pointer (&s->stream, g_free);
  g_clear_pointer (&s->username, g_free);
  g_clear_pointer (&s->password, g_free);
  g_clear_pointer (&s->secure_token, g_free);
  g_clear_pointer (&s->flash_version, g_free);
  g_clear_pointer (&s->extra_connect_args, g_free);
  g_clear_pointer (&s->enhanced_codecs, g_free);
  g_clear_pointer (&s->tls_ca_file, g_free);
  g_clear_pointer (&s->tls_certificate_file, g_free);
  g_clear_pointer (&s->tls_key_file, g_free);
  g_clear_pointer (&s->swf_url, g_free);
  g_clear_pointer (&s->page_url, g_free);
  g_clear_pointer (&s->location_error, g_free);
}

/* Called with the object lock */
static void
apply_url (GstRtmpElementSettings *s, const RtmpUrl *url)
{
  s->scheme = url->scheme;
  g_free (s->host);
  s->host = g_strdup (url->host);
  s->port = url->port;
  g_free (s->application);
  s->application = g_strdup (url->application);
  g_free (s->stream);
  s->stream = g_strdup (url->stream);
  g_free (s->username);
  s->username = g_strdup (url->user);
  g_free (s->password);
  s->password = g_strdup (url->password);
}

/* Called with the object lock: the location the parts make up */
static RtmpUrl *
settings_to_url (const GstRtmpElementSettings *s)
{
  RtmpUrl *url = g_new0 (RtmpUrl, 1);

  url->scheme = s->scheme;
  url->host = g_strdup (s->host ? s->host : "");
  url->port = s->port;
  url->user = g_strdup (s->username);
  url->password = g_strdup (s->username ? s->password : NULL);
  url->application = g_strdup (s->application ? s->application : "");
  url->stream = g_strdup (s->stream ? s->stream : "");
  return url;
}

gboolean
gst_rtmp_element_set_location (GstElement *element, GstRtmpElementSettings *s,
    const gchar *location, GError **error)
{
  g_autoptr (RtmpUrl) url = NULL;

  if (location == NULL) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
        "no location given");
    return FALSE;
  }
  url = rtmp_url_parse (location, error);
  if (url == NULL)
    return FALSE;
  if (url->scheme != RTMP_SCHEME_RTMP && url->scheme != RTMP_SCHEME_RTMPS) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_UNSUPPORTED_PROTOCOL,
        "%s:// is not supported yet (rtmp:// and rtmps:// are)",
        rtmp_scheme_to_string (url->scheme));
    return FALSE;
  }
  GST_OBJECT_LOCK (element);
  apply_url (s, url);
  g_clear_pointer (&s->location_error, g_free);
  GST_OBJECT_UNLOCK (element);
  return TRUE;
}

gboolean
gst_rtmp_element_check_settings (GstElement *element, GstRtmpElementSettings *s,
    GError **error)
{
  gboolean ok;

  GST_OBJECT_LOCK (element);
  ok = s->location_error == NULL;
  if (!ok)
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "the location is invalid: %s", s->location_error);
  GST_OBJECT_UNLOCK (element);
  return ok;
}

static void
replace_string (GstElement *element, gchar **field, const GValue *value)
{
  GST_OBJECT_LOCK (element);
  g_free (*field);
  *field = g_value_dup_string (value);
  GST_OBJECT_UNLOCK (element);
}

gboolean
gst_rtmp_element_set_property (GstElement *element, GstRtmpElementSettings *s,
    guint first, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  if (prop_id < first || prop_id >= first + GST_RTMP_ELEMENT_N_PROPS)
    return FALSE;

  switch (prop_id - first) {
    case GST_RTMP_ELEMENT_PROP_LOCATION: {
      g_autoptr (GError) error = NULL;

      if (!gst_rtmp_element_set_location (element, s,
              g_value_get_string (value), &error)) {
        /* a warning now; starting fails with it (gst-launch shows only
         * that) */
        GST_ELEMENT_WARNING (element, RESOURCE, SETTINGS,
            ("Invalid location: %s", error->message), (NULL));
        GST_OBJECT_LOCK (element);
        g_free (s->location_error);
        s->location_error = g_strdup (error->message);
        GST_OBJECT_UNLOCK (element);
      }
      break;
    }
    case GST_RTMP_ELEMENT_PROP_SCHEME:
      GST_OBJECT_LOCK (element);
      s->scheme = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (element);
      break;
    case GST_RTMP_ELEMENT_PROP_HOST:
      replace_string (element, &s->host, value);
      break;
    case GST_RTMP_ELEMENT_PROP_PORT:
      GST_OBJECT_LOCK (element);
      s->port = g_value_get_int (value);
      GST_OBJECT_UNLOCK (element);
      break;
    case GST_RTMP_ELEMENT_PROP_APPLICATION:
      replace_string (element, &s->application, value);
      break;
    case GST_RTMP_ELEMENT_PROP_STREAM:
      replace_string (element, &s->stream, value);
      break;
    case GST_RTMP_ELEMENT_PROP_USERNAME:
      replace_string (element, &s->username, value);
      break;
    case GST_RTMP_ELEMENT_PROP_PASSWORD:
      replace_string (element, &s->password, value);
      break;
    case GST_RTMP_ELEMENT_PROP_SECURE_TOKEN:
      replace_string (element, &s->secure_token, value);
      break;
    case GST_RTMP_ELEMENT_PROP_AUTHMOD:
      GST_OBJECT_LOCK (element);
      s->authmod = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (element);
      break;
    case GST_RTMP_ELEMENT_PROP_TIMEOUT:
      GST_OBJECT_LOCK (element);
      s->timeout_s = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (element);
      break;
    case GST_RTMP_ELEMENT_PROP_TLS_VALIDATION_FLAGS:
      GST_OBJECT_LOCK (element);
      s->tls_validation_flags = g_value_get_flags (value);
      GST_OBJECT_UNLOCK (element);
      break;
    case GST_RTMP_ELEMENT_PROP_FLASH_VERSION:
      replace_string (element, &s->flash_version, value);
      break;
    case GST_RTMP_ELEMENT_PROP_ASYNC_CONNECT:
      GST_OBJECT_LOCK (element);
      s->async_connect = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (element);
      break;
    case GST_RTMP_ELEMENT_PROP_EXTRA_CONNECT_ARGS:
      replace_string (element, &s->extra_connect_args, value);
      break;
    case GST_RTMP_ELEMENT_PROP_IDLE_TIMEOUT:
      GST_OBJECT_LOCK (element);
      s->idle_timeout_s = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (element);
      break;
    case GST_RTMP_ELEMENT_PROP_MODE:
      GST_OBJECT_LOCK (element);
      s->mode = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (element);
      break;
    case GST_RTMP_ELEMENT_PROP_HANDSHAKE:
      GST_OBJECT_LOCK (element);
      s->handshake = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (element);
      break;
    case GST_RTMP_ELEMENT_PROP_RECONNECT_ATTEMPTS:
      GST_OBJECT_LOCK (element);
      s->reconnect_attempts = g_value_get_int (value);
      GST_OBJECT_UNLOCK (element);
      break;
    case GST_RTMP_ELEMENT_PROP_RECONNECT_DELAY:
      GST_OBJECT_LOCK (element);
      s->reconnect_delay_ms = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (element);
      break;
    case GST_RTMP_ELEMENT_PROP_ENHANCED_CODECS:
      replace_string (element, &s->enhanced_codecs, value);
      break;
    case GST_RTMP_ELEMENT_PROP_TLS_CA_FILE:
      replace_string (element, &s->tls_ca_file, value);
      break;
    case GST_RTMP_ELEMENT_PROP_TLS_CERTIFICATE_FILE:
      replace_string (element, &s->tls_certificate_file, value);
      break;
    case GST_RTMP_ELEMENT_PROP_TLS_KEY_FILE:
      replace_string (element, &s->tls_key_file, value);
      break;
    case GST_RTMP_ELEMENT_PROP_SWF_URL:
      replace_string (element, &s->swf_url, value);
      break;
    case GST_RTMP_ELEMENT_PROP_PAGE_URL:
      replace_string (element, &s->page_url, value);
      break;
    default:
      return FALSE;
  }
  return TRUE;
}

gboolean
gst_rtmp_element_get_property (GstElement *element, GstRtmpElementSettings *s,
    guint first, guint prop_id, GValue *value, GParamSpec *pspec)
{
  if (prop_id < first || prop_id >= first + GST_RTMP_ELEMENT_N_PROPS)
    return FALSE;

  GST_OBJECT_LOCK (element);
  switch (prop_id - first) {
    case GST_RTMP_ELEMENT_PROP_LOCATION: {
      g_autoptr (RtmpUrl) url = settings_to_url (s);

      g_value_take_string (value, rtmp_url_to_string (url, FALSE));
      break;
    }
    case GST_RTMP_ELEMENT_PROP_SCHEME:
      g_value_set_enum (value, s->scheme);
      break;
    case GST_RTMP_ELEMENT_PROP_HOST:
      g_value_set_string (value, s->host);
      break;
    case GST_RTMP_ELEMENT_PROP_PORT:
      g_value_set_int (value, s->port);
      break;
    case GST_RTMP_ELEMENT_PROP_APPLICATION:
      g_value_set_string (value, s->application);
      break;
    case GST_RTMP_ELEMENT_PROP_STREAM:
      g_value_set_string (value, s->stream);
      break;
    case GST_RTMP_ELEMENT_PROP_USERNAME:
      g_value_set_string (value, s->username);
      break;
    case GST_RTMP_ELEMENT_PROP_PASSWORD:
      g_value_set_string (value, s->password);
      break;
    case GST_RTMP_ELEMENT_PROP_SECURE_TOKEN:
      g_value_set_string (value, s->secure_token);
      break;
    case GST_RTMP_ELEMENT_PROP_AUTHMOD:
      g_value_set_enum (value, s->authmod);
      break;
    case GST_RTMP_ELEMENT_PROP_TIMEOUT:
      g_value_set_uint (value, s->timeout_s);
      break;
    case GST_RTMP_ELEMENT_PROP_TLS_VALIDATION_FLAGS:
      g_value_set_flags (value, s->tls_validation_flags);
      break;
    case GST_RTMP_ELEMENT_PROP_FLASH_VERSION:
      g_value_set_string (value, s->flash_version);
      break;
    case GST_RTMP_ELEMENT_PROP_ASYNC_CONNECT:
      g_value_set_boolean (value, s->async_connect);
      break;
    case GST_RTMP_ELEMENT_PROP_EXTRA_CONNECT_ARGS:
      g_value_set_string (value, s->extra_connect_args);
      break;
    case GST_RTMP_ELEMENT_PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, s->idle_timeout_s);
      break;
    case GST_RTMP_ELEMENT_PROP_MODE:
      g_value_set_enum (value, s->mode);
      break;
    case GST_RTMP_ELEMENT_PROP_HANDSHAKE:
      g_value_set_enum (value, s->handshake);
      break;
    case GST_RTMP_ELEMENT_PROP_RECONNECT_ATTEMPTS:
      g_value_set_int (value, s->reconnect_attempts);
      break;
    case GST_RTMP_ELEMENT_PROP_RECONNECT_DELAY:
      g_value_set_uint (value, s->reconnect_delay_ms);
      break;
    case GST_RTMP_ELEMENT_PROP_ENHANCED_CODECS:
      g_value_set_string (value, s->enhanced_codecs);
      break;
    case GST_RTMP_ELEMENT_PROP_TLS_CA_FILE:
      g_value_set_string (value, s->tls_ca_file);
      break;
    case GST_RTMP_ELEMENT_PROP_TLS_CERTIFICATE_FILE:
      g_value_set_string (value, s->tls_certificate_file);
      break;
    case GST_RTMP_ELEMENT_PROP_TLS_KEY_FILE:
      g_value_set_string (value, s->tls_key_file);
      break;
    case GST_RTMP_ELEMENT_PROP_SWF_URL:
      g_value_set_string (value, s->swf_url);
      break;
    case GST_RTMP_ELEMENT_PROP_PAGE_URL:
      g_value_set_string (value, s->page_url);
      break;
    default:
      GST_OBJECT_UNLOCK (element);
      return FALSE;
  }
  GST_OBJECT_UNLOCK (element);
  return TRUE;
}

/* --- URI handler --- */

static const gchar *const uri_protocols[] = { "rtmp", "rtmps", NULL };

static GstURIType
uri_get_type_sink (GType type)
{
  return GST_URI_SINK;
}

static GstURIType
uri_get_type_src (GType type)
{
  return GST_URI_SRC;
}

static const gchar *const *
uri_get_protocols (GType type)
{
  return uri_protocols;
}

static gchar *
uri_get_uri (GstURIHandler *handler)
{
  gchar *location = NULL;

  g_object_get (handler, "location", &location, NULL);
  return location;
}

static gboolean
uri_set_uri (GstURIHandler *handler, const gchar *uri, GError **error)
{
  GstElement *element = GST_ELEMENT (handler);
  gboolean ok;

  if (GST_STATE (element) > GST_STATE_READY) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
        "the location can only be changed in NULL or READY");
    return FALSE;
  }
  /* the element stores its settings behind this qdata (see
   * gst_rtmp_element_uri_handler_init) */
  ok = gst_rtmp_element_set_location (element,
      g_object_get_data (G_OBJECT (element), "rtmp-element-settings"), uri,
      error);
  if (ok)
    g_object_notify (G_OBJECT (element), "location");
  return ok;
}

void
gst_rtmp_element_uri_handler_init (GstURIHandlerInterface *iface,
    GstURIType type)
{
  iface->get_type = type == GST_URI_SINK ? uri_get_type_sink : uri_get_type_src;
  iface->get_protocols = uri_get_protocols;
  iface->get_uri = uri_get_uri;
  iface->set_uri = uri_set_uri;
}

/* --- connect arguments --- */

static RtmpAmfValue *
parse_scalar (gchar type, const gchar *data, GError **error)
{
  gchar *end;
  gdouble number;

  switch (type) {
    case 'B':
      if (g_strcmp0 (data, "0") != 0 && g_strcmp0 (data, "1") != 0)
        break;
      return rtmp_amf_value_new_boolean (data[0] == '1');
    case 'N':
      number = g_ascii_strtod (data, &end);
      if (*data == '\0' || *end != '\0')
        break;
      return rtmp_amf_value_new_number (number);
    case 'S':
      return rtmp_amf_value_new_string (data);
    case 'Z':
      return rtmp_amf_value_new_null ();
    default:
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
          "unknown type '%c' (B, N, S, Z and O are known)", type);
      return NULL;
  }
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "\"%s\" is not a valid %s", data,
      type == 'B' ? "boolean (0 or 1)" : "number");
  return NULL;
}

RtmpAmfValue *
gst_rtmp_element_parse_connect_args (const gchar *text, GError **error)
{
  g_autoptr (RtmpAmfValue) args = rtmp_amf_value_new_strict_array ();
  g_autoptr (GPtrArray) stack = g_ptr_array_new (); /* open objects */
  g_auto (GStrv) tokens = NULL;
  guint i;

  tokens = g_strsplit_set (text ? text : "", " \t\n", -1);
  for (i = 0; tokens[i] != NULL; i++) {
    const gchar *token = tokens[i];
    const gchar *spec, *name = NULL;
    g_autofree gchar *name_copy = NULL;
    RtmpAmfValue *value;
    GError *local = NULL;
    gboolean named = FALSE;
    gchar type;

    if (token[0] == '\0')
      continue;
    if (!g_str_has_prefix (token, "conn=") || strlen (token) < 7) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
          "extra-connect-args: \"%s\" is not conn=type:data", token);
      return NULL;
    }
    spec = token + 5;
    /* "NS:name:value": a named field inside an object */
    if (spec[0] == 'N' && spec[1] != ':' && spec[1] != '\0') {
      const gchar *colon;

      named = TRUE;
      type = spec[1];
      if (spec[2] != ':' || (colon = strchr (spec + 3, ':')) == NULL) {
        g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
            "extra-connect-args: \"%s\" lacks a name:value", token);
        return NULL;
      }
      name_copy = g_strndup (spec + 3, colon - (spec + 3));
      name = name_copy;
      spec = colon + 1;
    } else {
      type = spec[0];
      if (spec[1] != ':') {
        g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
            "extra-connect-args: \"%s\" is not conn=type:data", token);
        return NULL;
      }
      spec += 2;
    }
    if (named && stack->len == 0) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
          "extra-connect-args: named value \"%s\" outside an object", token);
      return NULL;
    }

    if (type == 'O') {
      if (g_strcmp0 (spec, "1") == 0) {
        value = rtmp_amf_value_new_object ();
      } else if (g_strcmp0 (spec, "0") == 0) {
        if (stack->len == 0) {
          g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
              "extra-connect-args: O:0 without an open object");
          return NULL;
        }
        g_ptr_array_remove_index (stack, stack->len - 1);
        continue;
      } else {
        g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
            "extra-connect-args: \"%s\": O takes 1 (begin) or 0 (end)", token);
        return NULL;
      }
    } else {
      value = parse_scalar (type, spec, &local);
      if (value == NULL) {
        g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
            "extra-connect-args: \"%s\": %s", token, local->message);
        g_error_free (local);
        return NULL;
      }
    }

    if (stack->len > 0) {
      RtmpAmfValue *parent = stack->pdata[stack->len - 1];
      g_autofree gchar *index_name = NULL;

      if (name == NULL)
        name = index_name
            = g_strdup_printf ("%u", rtmp_amf_value_get_n_fields (parent));
      rtmp_amf_value_take_field (parent, name, value);
    } else {
      rtmp_amf_value_take_item (args, value);
    }
    if (type == 'O')
      g_ptr_array_add (stack, value);
  }
  if (stack->len > 0) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "extra-connect-args: %u object(s) not closed with conn=O:0",
        stack->len);
    return NULL;
  }
  return g_steal_pointer (&args);
}

/* --- client settings --- */

static GStrv
parse_fourccs (const gchar *text, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (text ? text : "", ",", -1);
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  guint i;

  for (i = 0; parts[i] != NULL; i++) {
    gchar *fourcc = g_strstrip (parts[i]);

    if (fourcc[0] == '\0')
      continue;
    if (strlen (fourcc) != 4 && g_strcmp0 (fourcc, "*") != 0) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
          "enhanced-codecs: \"%s\" is not a FourCC", fourcc);
      return NULL;
    }
    g_ptr_array_add (out, g_strdup (fourcc));
  }
  g_ptr_array_add (out, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

gboolean
gst_rtmp_element_build_client_settings (GstElement *element,
    GstRtmpElementSettings *s, RtmpSessionIntent intent,
    GstRtmpClientSettings *out, RtmpUrl **url_out, RtmpAmfValue **extra_out,
    GStrv *fourccs_out, GError **error)
{
  g_autoptr (RtmpUrl) url = NULL;
  g_autoptr (RtmpAmfValue) extra = NULL;
  g_auto (GStrv) fourccs = NULL;
  gboolean is_publish = intent == RTMP_SESSION_INTENT_PUBLISH;

  memset (out, 0, sizeof (*out));
  if (!gst_rtmp_element_check_settings (element, s, error))
    return FALSE;
  GST_OBJECT_LOCK (element);
  url = settings_to_url (s);
  if (s->extra_connect_args && s->extra_connect_args[0]) {
    extra = gst_rtmp_element_parse_connect_args (s->extra_connect_args, error);
    if (extra == NULL)
      goto unlock_fail;
  }
  fourccs = parse_fourccs (s->enhanced_codecs, error);
  if (fourccs == NULL)
    goto unlock_fail;

  out->handshake = s->handshake;
  out->timeout_s = s->timeout_s;
  out->idle_timeout_s = s->idle_timeout_s;
  out->flash_ver = s->flash_version;
  out->swf_url = s->swf_url;
  out->page_url = s->page_url;
  out->authmod = s->authmod;
  out->secure_token = s->secure_token;
  out->tls_validation_flags = s->tls_validation_flags;
  out->tls_ca_file = s->tls_ca_file;
  out->tls_certificate_file = s->tls_certificate_file;
  out->tls_key_file = s->tls_key_file;
  out->reconnect_attempts = s->reconnect_attempts;
  out->reconnect_delay_ms = s->reconnect_delay_ms;
  GST_OBJECT_UNLOCK (element);

  if (url->host[0] == '\0') {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "no host set");
    return FALSE;
  }
  if (url->application[0] == '\0') {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "no application set");
    return FALSE;
  }
  if (url->stream[0] == '\0') {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "no stream set");
    return FALSE;
  }
#if !HAVE_TLS
  if (rtmp_scheme_is_tls (url->scheme)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "rtmps needs TLS support, which this build does not have");
    return FALSE;
  }
#endif
  if (out->flash_ver == NULL)
    out->flash_ver
        = is_publish ? "FMLE/3.0 (compatible; gst-rtmp)" : "LNX 9,0,124,2";
  out->intent = intent;
  out->url = url;
  out->extra_connect_args = extra;
  out->fourcc_list = (const gchar *const *) fourccs;
  /* a PingRequest now and then measures the round trip where the server
   * answers (nginx-rtmp, FFmpeg do); stats fall back to TCP_INFO */
  out->ping_interval_ms = 5000;
  *url_out = g_steal_pointer (&url);
  *extra_out = g_steal_pointer (&extra);
  *fourccs_out = g_steal_pointer (&fourccs);
  return TRUE;

unlock_fail:
  GST_OBJECT_UNLOCK (element);
  return FALSE;
}

/* --- bus messages and errors --- */

void
gst_rtmp_element_post_state (GstElement *element, GstRtmpClientState state,
    const gchar *url, const gchar *reason, guint attempt)
{
  GstStructure *s = gst_structure_new ("rtmp-state", "state", G_TYPE_STRING,
      gst_rtmp_client_state_get_name (state), "url", G_TYPE_STRING, url,
      "reason", G_TYPE_STRING, reason, "attempt", G_TYPE_UINT, attempt, NULL);

  gst_element_post_message (element,
      gst_message_new_element (GST_OBJECT (element), s));
}

void
gst_rtmp_element_post_error (GstElement *element, const GError *error,
    const gchar *url, gboolean for_write, gboolean established)
{
  const gchar *domain = g_quark_to_string (error->domain);

  if (error->domain == RTMP_ERROR) {
    switch (error->code) {
      case RTMP_ERROR_AUTH:
        GST_ELEMENT_ERROR (element, RESOURCE, NOT_AUTHORIZED,
            ("The server refused the credentials for %s", url),
            ("%s (%s %d)", error->message, domain, error->code));
        return;
      case RTMP_ERROR_REJECTED:
        GST_ELEMENT_ERROR (element, RESOURCE, NOT_FOUND,
            ("The server refused %s", url),
            ("%s (%s %d)", error->message, domain, error->code));
        return;
      case RTMP_ERROR_BAD_URL:
        GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
            ("Invalid location %s", url),
            ("%s (%s %d)", error->message, domain, error->code));
        return;
      default:
        break;
    }
  }
  if (error->domain == G_TLS_ERROR) {
    if (for_write)
      GST_ELEMENT_ERROR (element, RESOURCE, OPEN_WRITE,
          ("TLS failed with %s: %s", url, error->message),
          ("%s (%s %d)", error->message, domain, error->code));
    else
      GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ,
          ("TLS failed with %s: %s", url, error->message),
          ("%s (%s %d)", error->message, domain, error->code));
    return;
  }
  if (!established) {
    if (for_write)
      GST_ELEMENT_ERROR (element, RESOURCE, OPEN_WRITE,
          ("Could not publish to %s: %s", url, error->message),
          ("%s (%s %d)", error->message, domain, error->code));
    else
      GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ,
          ("Could not play %s: %s", url, error->message),
          ("%s (%s %d)", error->message, domain, error->code));
    return;
  }
  if (for_write)
    GST_ELEMENT_ERROR (element, RESOURCE, WRITE,
        ("Publishing to %s failed: %s", url, error->message),
        ("%s (%s %d)", error->message, domain, error->code));
  else
    GST_ELEMENT_ERROR (element, RESOURCE, READ,
        ("Playing %s failed: %s", url, error->message),
        ("%s (%s %d)", error->message, domain, error->code));
}

void
gst_rtmp_element_add_session_stats (GstStructure *s, const RtmpSessionStats *st)
{
  gst_structure_set (s, "in-chunk-size", G_TYPE_UINT, st->in_chunk_size,
      "out-chunk-size", G_TYPE_UINT, st->out_chunk_size, "in-window-ack-size",
      G_TYPE_UINT, st->in_window_ack_size, "out-window-ack-size", G_TYPE_UINT,
      st->out_window_ack_size, "in-bytes-total", G_TYPE_UINT64, st->in_bytes,
      "out-bytes-total", G_TYPE_UINT64, st->out_bytes, "in-messages",
      G_TYPE_UINT64, st->in_messages, "out-messages", G_TYPE_UINT64,
      st->out_messages, "in-bytes-video", G_TYPE_UINT64, st->in_bytes_video,
      "in-bytes-audio", G_TYPE_UINT64, st->in_bytes_audio, "in-bytes-data",
      G_TYPE_UINT64, st->in_bytes_data, "out-bytes-video", G_TYPE_UINT64,
      st->out_bytes_video, "out-bytes-audio", G_TYPE_UINT64,
      st->out_bytes_audio, "out-bytes-data", G_TYPE_UINT64, st->out_bytes_data,
      "in-messages-video", G_TYPE_UINT64, st->in_messages_video,
      "in-messages-audio", G_TYPE_UINT64, st->in_messages_audio,
      "in-messages-data", G_TYPE_UINT64, st->in_messages_data,
      "out-messages-video", G_TYPE_UINT64, st->out_messages_video,
      "out-messages-audio", G_TYPE_UINT64, st->out_messages_audio,
      "out-messages-data", G_TYPE_UINT64, st->out_messages_data,
      "in-bytes-acked", G_TYPE_UINT64, (guint64) st->in_bytes_acked,
      "out-bytes-acked", G_TYPE_UINT64, (guint64) st->out_bytes_acked,
      "in-acks", G_TYPE_UINT64, st->in_acks, NULL);
}
