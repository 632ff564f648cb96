/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the parts of the interop test program share: the media made once,
 * the results file every test case writes its row to, and the steps of a
 * publish-and-play run. */

#ifndef __INTEROP_H__
#define __INTEROP_H__

#include <gst/check/gstcheck.h>

#include "interopflv.h"
#include "interoppeers.h"

G_BEGIN_DECLS

/* how long each step may take */
#define INTEROP_PLAYER_CONNECT_MS 5000
/* after the player's TCP connection is up: connect, createStream, play */
#define INTEROP_PLAYER_SETTLE_MS 300
#define INTEROP_PUBLISH_MS 25000
/* after the publisher is done, for the player to end by itself */
#define INTEROP_PLAYER_END_MS 1500
#define INTEROP_PLAYER_STOP_MS 5000
#define INTEROP_CASE_TIMEOUT_S 60

/* Made in main (), before the test cases fork */
extern gchar *interop_source_path;
extern InteropStream *interop_source_stream;
/* what flvdemux ! flvmux (rtmp2sink's publishing pipeline) makes of the
 * source: flvmux 1.22 starts the PTS at 0 and clamps the first DTS at 0 */
extern InteropStream *interop_remuxed_stream;
/* (nullable) why the media could not be made: every case fails with it */
extern gchar *interop_setup_error;

/* Appends "@key TAB @status TAB @detail" to the results file that the
 * report is made from (the last line of a key counts): @status is "pass",
 * "fail" or "n/a" */
void interop_record_result (const gchar *key, const gchar *status,
    const gchar *detail);
/* A pass: the comparison's @summary and how the player ended */
void interop_record_pass (const gchar *key, const gchar *summary,
    gboolean has_player, gboolean ended_by_itself, gint player_status);

/* Records the failure of @key, then fails the test case with the same
 * text */
#define interop_fail(key, ...) \
  G_STMT_START \
  { \
    g_autofree gchar *_msg = g_strdup_printf (__VA_ARGS__); \
    interop_record_result ((key), "fail", _msg); \
    ck_abort_msg ("%s: %s", (key), _msg); \
  } \
  G_STMT_END

#define interop_fail_unless(key, cond, ...) \
  G_STMT_START \
  { \
    if (!(cond)) \
      interop_fail (key, __VA_ARGS__); \
  } \
  G_STMT_END

/* Fails @key unless @factory is in the build and ours */
void interop_require_ours (const gchar *key, const gchar *factory);

/* Until a new connection to @port is established (the player's), then a
 * moment for connect and play; FALSE when the player ended or timed out */
gboolean interop_wait_for_player (guint16 port, guint before,
    RtmpExternalProcess *player);
/* The stream is over: the player ends by itself soon (*ended_by_itself),
 * or is asked to finish its file; *status: its exit code */
void interop_finish_player (InteropPlayer kind, RtmpExternalProcess *player,
    gboolean *ended_by_itself, gint *status);

/* --- our elements with our elements, and the protocol check
 * (interopours.c) --- */

typedef enum
{
  INTEROP_SECTION_OURS,
  INTEROP_SECTION_PROTOCOL,
} InteropSection;

typedef struct
{
  InteropSection section;
  const gchar *key;
  const gchar *title;
} InteropNamedCase;

extern const InteropNamedCase interop_named_cases[];
extern const guint interop_n_named_cases;

#define INTEROP_TSHARK_FILTER \
  "_ws.malformed || (rtmpt && _ws.expert.severity >= \"warning\")"

/* Adds the test cases "ours" and "protocol" */
void interop_add_named_cases (Suite *suite);

G_END_DECLS

#endif /* __INTEROP_H__ */
