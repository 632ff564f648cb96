/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The in-process RTMP test server: the session's server role on loopback
 * sockets, run by its own thread, scriptable (stalls, rejections,
 * authentication, faults, a play source) and observable (what clients
 * sent), for element and protocol tests. */

#ifndef __RTMP_TEST_PEER_H__
#define __RTMP_TEST_PEER_H__

#include <glib.h>
#include "rtmpamfvalue.h"
#include "rtmpmessage.h"

G_BEGIN_DECLS

/* The peer listens on 127.0.0.1, on a port the system picks, and serves any
 * number of connections at once from one thread with its own GMainContext.
 * It is built on RtmpSession (RTMP_SESSION_ROLE_SERVER) and GIO sockets
 * only, never on the plugin's connection layer, so that it stays
 * independent of the code it tests.
 *
 * Every function may be called from any thread. Configuration applies to
 * connections accepted afterwards, and where it says so to open ones too.
 * Every wait takes a timeout and returns FALSE when it passed: none can
 * hang a test.
 *
 * What the peer does by default: answers the handshake (simple or digest,
 * as the client asks), accepts connect (Window Ack Size 2500000, Set Peer
 * Bandwidth, Set Chunk Size 4096, _result NetConnection.Connect.Success),
 * answers releaseStream, FCPublish and createStream, accepts every publish
 * (Stream Begin, NetStream.Publish.Start) and play (Stream Begin,
 * NetStream.Play.Reset, NetStream.Play.Start, |RtmpSampleAccess, then the
 * play source below), and records everything the clients send. It never
 * times a client out unless rtmp_test_peer_set_idle_timeout () says so.
 *
 * Connections are numbered from 0 in the order they were accepted; that
 * index names them in the per-connection calls below. When the peer closes
 * a connection it sends FIN after the bytes it queued and keeps reading
 * (and discarding) until the client closes too, so the client always reads
 * everything that was sent before the close. */

typedef struct _RtmpTestPeer RtmpTestPeer;

/* Any connection (per-connection getters), or the last one accepted */
#define RTMP_TEST_PEER_ALL (-1)
#define RTMP_TEST_PEER_LAST (-2)

/* (transfer full): a peer listening and serving, never NULL (the test fails
 * when loopback cannot be bound) */
RtmpTestPeer *rtmp_test_peer_new (void);
/* Closes every connection and the listener, stops the thread and frees
 * everything; NULL is ignored. */
void rtmp_test_peer_free (RtmpTestPeer *peer);

guint16 rtmp_test_peer_get_port (RtmpTestPeer *peer);
/* (transfer full) "rtmp://127.0.0.1:PORT/@app/@stream"; @stream (nullable):
 * "rtmp://127.0.0.1:PORT/@app" */
gchar *rtmp_test_peer_dup_url (RtmpTestPeer *peer, const gchar *app,
    const gchar *stream);

/* --- configuration --- */

/* Points of a connection where the peer can stall or inject a fault. */
typedef enum
{
  RTMP_TEST_PEER_AT_NONE,
  /* the client's C0/C1 arrived: the handshake is not answered */
  RTMP_TEST_PEER_AT_HANDSHAKE,
  /* connect arrived: it is not answered */
  RTMP_TEST_PEER_AT_CONNECT,
  /* connect was accepted and the client's next bytes arrived
   * (releaseStream, FCPublish, createStream): nothing of them is answered,
   * the peer stops feeding the connection's session */
  RTMP_TEST_PEER_AT_CREATE_STREAM,
  /* publish arrived: no onStatus answers it */
  RTMP_TEST_PEER_AT_PUBLISH,
  /* play arrived: nothing answers it */
  RTMP_TEST_PEER_AT_PLAY,
  /* right after publish or play was accepted */
  RTMP_TEST_PEER_AT_STARTED,
} RtmpTestPeerPoint;

/* Stall at @point (AT_NONE: never). At AT_HANDSHAKE the client's bytes are
 * read and ignored; at AT_STARTED the peer stops reading the socket
 * altogether (a publisher's send queue and the TCP window fill up) and
 * sends no play source. Setting another point releases open connections
 * stalled at CONNECT, PUBLISH, PLAY (their request is answered now) and
 * STARTED (reading resumes); a stall at HANDSHAKE or CREATE_STREAM cannot be
 * released (the bytes were discarded). */
void rtmp_test_peer_set_stall (RtmpTestPeer *peer, RtmpTestPeerPoint point);

/* Close the connection at @point instead of answering (AT_STARTED: right
 * after the start was sent). AT_NONE: never. */
void rtmp_test_peer_set_close_at (RtmpTestPeer *peer, RtmpTestPeerPoint point);

/* Send @n_bytes of garbage at @point instead of the answer (AT_HANDSHAKE:
 * instead of S0+S1+S2; AT_STARTED: after the start). The garbage starts
 * with 0xff, which is neither a handshake version nor the basic header of
 * a chunk stream the client knows, so the client must fail at once. The
 * connection stays open. AT_NONE: never. */
void rtmp_test_peer_set_garbage_at (RtmpTestPeer *peer, RtmpTestPeerPoint point,
    gsize n_bytes);

/* Close each connection once @n_bytes were sent after the handshake (the
 * last write is cut at that byte, usually mid-message); 0: never. What a
 * default connection sends after the handshake, in order: Window Ack Size
 * (16 bytes), Set Peer Bandwidth (17), Set Chunk Size (16), the connect
 * _result (in chunks of 4096 bytes). */
void rtmp_test_peer_set_close_after_bytes (RtmpTestPeer *peer, guint64 n_bytes);

/* Reject connect with _error NetConnection.Connect.Rejected and
 * @description (nullable: accept again). */
void rtmp_test_peer_set_reject_connect (RtmpTestPeer *peer,
    const gchar *description);
/* Reject publish / play with an error onStatus @code (e.g.
 * "NetStream.Publish.BadName", "NetStream.Play.StreamNotFound") and
 * @description, then close the connection. @code NULL: accept again. */
void rtmp_test_peer_set_reject_publish (RtmpTestPeer *peer, const gchar *code,
    const gchar *description);
void rtmp_test_peer_set_reject_play (RtmpTestPeer *peer, const gchar *code,
    const gchar *description);

typedef enum
{
  RTMP_TEST_PEER_AUTH_NONE,
  /* Adobe challenge/response (rtmp_auth_server_check_adobe): 3
   * connections (plain, user, response) */
  RTMP_TEST_PEER_AUTH_ADOBE,
  /* Limelight: "code=403 need auth; authmod=llnw", then a nonce, then the
   * HTTP-digest style response is checked: 3 connections */
  RTMP_TEST_PEER_AUTH_LLNW,
} RtmpTestPeerAuth;

/* Require authentication as @user with @password for connect. Wrong
 * credentials get "reason=authfailed", which clients take as final. */
void rtmp_test_peer_set_auth (RtmpTestPeer *peer, RtmpTestPeerAuth auth,
    const gchar *user, const gchar *password);

/* secureToken (Wowza): connect's answer carries secureToken = the hex of
 * @plaintext XXTEA-encrypted with the first 16 bytes of @key; the client
 * must send secureTokenResponse(@plaintext). A wrong response closes the
 * connection; publish or play before a right one is rejected
 * (NetStream.Publish.Rejected / NetStream.Play.Failed). @plaintext: more
 * than 4 bytes (XXTEA needs two words; it is zero-padded to whole words).
 * @key NULL: off. */
void rtmp_test_peer_set_secure_token (RtmpTestPeer *peer, const gchar *key,
    const gchar *plaintext);
/* (transfer full) the challenge the peer sends for @key and @plaintext, as
 * lowercase hex (exposed for tests of the encryption itself) */
gchar *rtmp_test_peer_encrypt_secure_token (const gchar *key,
    const gchar *plaintext);

/* Session settings of new connections: outgoing chunk size (default 4096),
 * ping interval (default 0, none) and idle timeout (default 0, none: a
 * client silent for longer is closed, RTMP_TEST_PEER_END_PEER). */
void rtmp_test_peer_set_chunk_size (RtmpTestPeer *peer, guint32 chunk_size);
void rtmp_test_peer_set_ping_interval (RtmpTestPeer *peer, guint interval_ms);
void rtmp_test_peer_set_idle_timeout (RtmpTestPeer *peer, guint timeout_ms);
/* SO_RCVBUF of new connections (0: the system default); small buffers make
 * a publisher's TCP window fill up quickly when the peer stops reading. */
void rtmp_test_peer_set_receive_buffer (RtmpTestPeer *peer, guint n_bytes);

/* After @n_media media messages arrived from a publisher connection, send
 * onStatus(@level (NULL: "error"), @code, @description) on its stream,
 * once per connection, e.g. ("error", "NetStream.Failed", ...). The
 * connection stays open. @code NULL: off. */
void rtmp_test_peer_set_status_after_media (RtmpTestPeer *peer, guint n_media,
    const gchar *level, const gchar *code, const gchar *description);

/* --- actions, done when the call returns --- */

/* Enhanced RTMP: onStatus on stream 0 {level "status", code
 * "NetConnection.Connect.ReconnectRequest", description, tcUrl (when
 * @tc_url is not NULL)} to every connection whose connect was accepted.
 * Returns the number of connections it was sent to. */
guint rtmp_test_peer_send_reconnect_request (RtmpTestPeer *peer,
    const gchar *tc_url, const gchar *description);
/* onStatus on the publish/play stream of every started connection */
guint rtmp_test_peer_send_status (RtmpTestPeer *peer, const gchar *level,
    const gchar *code, const gchar *description);
/* Closes every open connection now (a server restart) */
void rtmp_test_peer_drop_connections (RtmpTestPeer *peer);
/* Closes the listening socket: connecting is refused (ECONNREFUSED) for
 * @duration_ms, then the peer listens on the same port again. G_MAXUINT:
 * until rtmp_test_peer_accept_connections (). */
void rtmp_test_peer_refuse_connections (RtmpTestPeer *peer, guint duration_ms);
void rtmp_test_peer_accept_connections (RtmpTestPeer *peer);

/* --- play source: what a player gets once play was accepted --- */

typedef enum
{
  /* keep the connection open, send nothing more */
  RTMP_TEST_PEER_PLAY_END_NONE,
  /* onPlayStatus {NetStream.Play.Complete} data message, Stream EOF */
  RTMP_TEST_PEER_PLAY_END_COMPLETE,
  /* Stream EOF, onStatus NetStream.Play.Stop */
  RTMP_TEST_PEER_PLAY_END_STOP,
  /* onStatus NetStream.Play.UnpublishNotify, Stream EOF */
  RTMP_TEST_PEER_PLAY_END_UNPUBLISH,
  /* close the connection after the last message */
  RTMP_TEST_PEER_PLAY_END_CLOSE,
  /* close in the middle of the last message: only the first half of its
   * bytes (chunk headers included) goes out */
  RTMP_TEST_PEER_PLAY_END_CLOSE_MID_MESSAGE,
} RtmpTestPeerPlayEnd;

/* Appends a message (type RTMP_MESSAGE_AUDIO, _VIDEO or _DATA_AMF0, and
 * @payload (transfer none)) to the play source. Timestamps should not go
 * backwards. */
void rtmp_test_peer_add_play_media (RtmpTestPeer *peer, guint8 type,
    guint32 timestamp, GBytes *payload);
/* Appends every tag of an FLV stream (with or without file header): FALSE
 * with @error when it does not parse (nothing is added then). */
gboolean rtmp_test_peer_add_play_flv (RtmpTestPeer *peer, GBytes *flv,
    GError **error);
void rtmp_test_peer_clear_play_media (RtmpTestPeer *peer);
/* @realtime: send each message when its timestamp is due (relative to the
 * first one sent), else as fast as the client reads. @loop: start over
 * after the last message with timestamps continuing (the end is never
 * reached). @recorded: Stream Is Recorded before Stream Begin. Defaults:
 * FALSE, FALSE, FALSE, RTMP_TEST_PEER_PLAY_END_NONE. Applies to plays
 * accepted afterwards. */
void rtmp_test_peer_set_play_options (RtmpTestPeer *peer, gboolean realtime,
    gboolean loop, gboolean recorded, RtmpTestPeerPlayEnd end);

/* Play requests and seeks start at the first message whose timestamp is at
 * least the position asked for (a play start >= 0, or seek's position);
 * seek is answered with NetStream.Seek.Notify and NetStream.Play.Start.
 * Pause is answered by the session (NetStream.Pause.Notify /
 * Unpause.Notify); the play source stops while paused. */

/* --- observation --- */

/* How a connection ended */
typedef enum
{
  RTMP_TEST_PEER_END_OPEN, /* not yet */
  /* the client closed at a message boundary */
  RTMP_TEST_PEER_END_CLIENT_CLEAN,
  /* the client closed inside a message or the handshake */
  RTMP_TEST_PEER_END_CLIENT_MID_MESSAGE,
  /* the client's bytes broke the protocol, or the socket failed (reset) */
  RTMP_TEST_PEER_END_CLIENT_ERROR,
  /* the peer closed it: a fault, a rejection, an idle timeout, a drop or
   * the peer being freed */
  RTMP_TEST_PEER_END_PEER,
} RtmpTestPeerEnd;

const gchar *rtmp_test_peer_end_get_name (RtmpTestPeerEnd end);

/* Counters over all connections since the peer was created */
typedef struct
{
  guint n_connections; /* TCP connections accepted */
  guint n_open;        /* still open */
  guint n_handshakes;  /* handshakes completed */
  guint n_connects;    /* connect commands received */
  guint n_connects_accepted;
  guint n_connects_rejected; /* by configuration or authentication */
  guint n_publish_started;
  guint n_play_started;
  guint n_streams_closed; /* FCUnpublish, closeStream, deleteStream */
  guint n_media;          /* media and data messages from publishers */
  guint64 n_media_bytes;  /* their payload bytes */
  guint n_media_sent;     /* play source messages sent to players */
  guint n_secure_token_ok, n_secure_token_bad;
  guint n_ended;               /* connections that ended */
  guint n_client_clean_closes; /* RTMP_TEST_PEER_END_CLIENT_CLEAN */
  /* the last Set Chunk Size a client announced (128 before any) */
  guint32 client_chunk_size;
} RtmpTestPeerStats;

void rtmp_test_peer_get_stats (RtmpTestPeer *peer, RtmpTestPeerStats *stats);

/* Waits until @condition returns TRUE, at most @timeout_ms; returns its
 * last answer. @condition runs on the calling thread with the peer's lock
 * held (so @stats is consistent): it must not call the peer's functions. */
typedef gboolean (*RtmpTestPeerCondition) (const RtmpTestPeerStats *stats,
    gpointer user_data);
gboolean rtmp_test_peer_wait (RtmpTestPeer *peer,
    RtmpTestPeerCondition condition, gpointer user_data, guint timeout_ms);
/* Until at least @n connections were accepted / @n media messages arrived
 * (all connections) / @n connections ended */
gboolean rtmp_test_peer_wait_for_connections (RtmpTestPeer *peer, guint n,
    guint timeout_ms);
gboolean rtmp_test_peer_wait_for_media (RtmpTestPeer *peer, guint n,
    guint timeout_ms);
gboolean rtmp_test_peer_wait_for_ended (RtmpTestPeer *peer, guint n,
    guint timeout_ms);
/* Until the @n-th (counting from 1) command called @name arrived, on any
 * connection */
gboolean rtmp_test_peer_wait_for_command (RtmpTestPeer *peer, const gchar *name,
    guint n, guint timeout_ms);
/* Until connection @connection (an index or RTMP_TEST_PEER_LAST) ended;
 * RTMP_TEST_PEER_END_OPEN when it did not in time or does not exist */
RtmpTestPeerEnd rtmp_test_peer_wait_for_end (RtmpTestPeer *peer,
    gint connection, guint timeout_ms);

/* Per connection: @connection is an index, RTMP_TEST_PEER_LAST or (where
 * it says so) RTMP_TEST_PEER_ALL. */

/* (transfer full) the media and data messages (RtmpMessage *, copies
 * sharing the payloads; the array frees them) publishers sent, in arrival
 * order; RTMP_TEST_PEER_ALL allowed */
GPtrArray *rtmp_test_peer_dup_media (RtmpTestPeer *peer, gint connection);
/* (transfer full) the names of the commands received, in order (connect,
 * releaseStream, FCPublish, createStream, publish, play, pause, seek,
 * FCUnpublish, closeStream, deleteStream, application calls...), as a
 * NULL-terminated array; RTMP_TEST_PEER_ALL allowed */
GStrv rtmp_test_peer_dup_commands (RtmpTestPeer *peer, gint connection);
/* (transfer full, nullable) connect's command object (app, tcUrl,
 * flashVer, fourCcList...) */
RtmpAmfValue *rtmp_test_peer_dup_connect_object (RtmpTestPeer *peer,
    gint connection);
/* (transfer full) connect's arguments after the command object
 * (RtmpAmfValue *, the array frees them) */
GPtrArray *rtmp_test_peer_dup_connect_args (RtmpTestPeer *peer,
    gint connection);
/* (transfer full, nullable) the stream name of the last publish or play
 * request, query included */
gchar *rtmp_test_peer_dup_stream_name (RtmpTestPeer *peer, gint connection);
/* (transfer full, nullable) why the connection ended, when it was an error
 * or a peer-side decision */
gchar *rtmp_test_peer_dup_end_reason (RtmpTestPeer *peer, gint connection);
RtmpTestPeerEnd rtmp_test_peer_get_end (RtmpTestPeer *peer, gint connection);
/* The chunk size the client announced on that connection (128 if none) */
guint32 rtmp_test_peer_get_client_chunk_size (RtmpTestPeer *peer,
    gint connection);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpTestPeer, rtmp_test_peer_free)

G_END_DECLS

#endif /* __RTMP_TEST_PEER_H__ */
