// StashPoint: the message a handler is running for, as ctx.stash() finds it.
// handle_message builds one on its stack for each handler call and hands its
// address to the handler's Context; nothing else reads it unless the handler
// stashes, so a handler that does not stash pays nothing for it (its inlined
// call leaves the two stores dead).
#pragma once

namespace tact::detail {

// One per message type: its address names M (behaviours and the stash compare them).
template <class M>
struct MessageTag {
  static constexpr char id = 0;
};

struct StashPoint {
  // &MessageTag<M>::id of the message being handled; nullptr once it was
  // stashed (a message is stashed at most once).
  const void* message_type;
  // Where the ask's answer goes: the address of a ReplySlot<R>* (handle_message's
  // own, or a coroutine's promise), which holds nullptr for a tell. ctx.stash
  // takes the slot and leaves nullptr, so the handler's result answers nobody.
  void* answer;
};

// Context<A>'s stash point, for handle_message (a friend of Context).
struct ContextAccess {
  template <class Ctx>
  static void forget_stash(Ctx& ctx) noexcept {
    ctx.stash_ = nullptr;
  }
};

}  // namespace tact::detail
