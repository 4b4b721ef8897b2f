"""Moderation of a creator's live rooms and chat, and viewers' reports to staff.

- The creator appoints moderators by creator handle (``Moderator``); the creator and those moderators, and nobody else
  (not staff, not other creators, not another creator's moderators), may moderate that creator's rooms.
- Everything is per creator, not per live session: a timeout (1 minute to 24 hours) or a ban holds in every room of
  that creator, now and in later streams. A banned (or timed-out) viewer can still watch and, since the gift path is
  not touched by moderation, still send gifts; they cannot chat, and the chat box says why (and until when).
- A deleted message is hidden (``ChatRemoval``), not erased: staff can still read it from a report; every open room
  drops it through the live event stream (``{"type": "chat_removed", "message_id": ...}``), and a polling room
  through the feed's ``chat_removed`` list.
- Blocked words (whole words or phrases, any case) and slow mode are the creator's ``RoomRules``; they do not apply to
  the creator and their moderators. The refusal never repeats the list.
- The chat's check is one query per message (``selectors.chat_standing_get``); slow mode is counted in the cache.
- Every moderation action is a ``ModerationAction`` row written in the action's transaction: the creator's
  moderation page lists them (paginated), staff see all of them in the admin. Staff handle ``Report`` rows in the
  admin (resolve or dismiss with a note), each on the audit log (``accounts.audit.audit_record``).
"""
