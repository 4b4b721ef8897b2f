"""Moderation of a creator's live rooms and chat, and viewers' reports to staff.

- The creator appoints moderators by creator handle (``Moderator``); the creator and those moderators, and nobody else
  (not staff, not other creators, not another creator's moderators), may moderate that creator's rooms.
- Everything is per creator, not per live session: a timeout (1 minute to 24 hours) or a ban holds in every room of
  that creator, now and in later streams. A banned (or timed-out) viewer can still watch and, since the gift path is
  not touched by moderation, still send gifts; they cannot chat, and the chat box says why (and until when).
- A deleted message is hidden (``ChatRemoval``), not erased: staff can still read it from a report filed before; every
  open room drops it through the live event stream (``{"type": "chat_removed", "message_id": ...}``), and a polling
  room through the feed's ``chat_removed`` list. Its chat event is also taken out of the room's Redis event log
  (``gifts.live.events.live_chat_erase``, on the moderator's request), so a viewer who reconnects with an older
  ``Last-Event-ID`` (the built-in servers, or the nchan relay catching up) is not sent it again. Known limit: nchan
  keeps its own buffer of what the relay already posted, and serves a reconnect from it; a viewer resuming through
  nchan from before the message gets its event and then the ``chat_removed`` that follows it (the page drops it).
- Only the creator deletes the creator's messages and a moderator's (a moderator may delete their own): a moderator
  is refused (403) in words.
- Names: people moderated (the sender of a chat line, whoever is banned or timed out) are named the way the chat
  showed them (``selectors.chat_name``: "Anonymous" for people who keep their gifting private) in the moderators'
  answers, the list of people kept out and the log, and on the report page; never by a name the chat hid. The
  creator and moderators who acted are named by their public (creator) names, as the list of moderators shows them.
- Reports of a chat message: only while it can still be seen (a removed one cannot be reported: "This message was
  already removed by a moderator.", and its text is not shown) and only from a room that is live or ended in the last
  7 days (``reports.REPORT_WINDOW``; otherwise 404 in words).
- Blocked words (whole words or phrases) and slow mode are the creator's ``RoomRules``; they do not apply to the
  creator and their moderators. The refusal never repeats the list. Words are matched on a normalised form of the
  message and of the list alike (``selectors.blocked_text_normal``: NFKC, format and combining characters dropped,
  case folded, each word reduced to the confusable skeleton of ``accounts.names``), so zero-width spaces, soft
  hyphens, accents, full-width letters and Cyrillic look-alikes do not get a word past the list. Letters spaced
  apart ("s c a m") are separate words and are not matched.
- Appointing a banned or timed-out person as a moderator lifts the restriction, logged (unban / lifted timeout).
- The chat's check is one query per message (``selectors.chat_standing_get``); slow mode is counted in the cache.
- Every moderation action is a ``ModerationAction`` row written in the action's transaction: the creator's
  moderation page lists them (paginated), staff see all of them in the admin. Staff handle ``Report`` rows in the
  admin (resolve or dismiss with a note), each on the audit log (``accounts.audit.audit_record``).
"""
