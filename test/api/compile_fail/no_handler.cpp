// Must NOT compile: Counter has no handle() for Unknown. The ctests
// api_compile_fail_no_handler_{tell,ask} (check_compile_fail.cmake) compile this file
// with -fsyntax-only and expect the compiler's first error lines to name both the
// actor and the message (tact::detail::actor_has_no_handler_for<Counter, Unknown>),
// not a template dump. TACT_COMPILE_FAIL_CASE selects the offending call:
//   0  none (the control: the file must compile, so a failure is the right one)
//   1  tell(Unknown{})
//   2  ask(Unknown{})
//   3  rt.send_after(1ms, counter, Unknown{})
//   4  tact::Recipient<Unknown> r = counter
//   5  tact::ReplyRecipient<Unknown, int> r = counter
#include <chrono>
#include <cstdint>

#include <tact/tact.hpp>

#ifndef TACT_COMPILE_FAIL_CASE
#define TACT_COMPILE_FAIL_CASE 1
#endif

struct Inc {
  std::int64_t amount;
};
struct Unknown {};

class Counter {
 public:
  std::int64_t handle(Inc msg) { return count_ += msg.amount; }

 private:
  std::int64_t count_ = 0;
};

int main() {
  tact::Runtime rt;
  auto counter = rt.spawn<Counter>();
  counter.tell(Inc{1});
#if TACT_COMPILE_FAIL_CASE == 1
  counter.tell(Unknown{});  // error: Counter has no handle(Unknown)
#elif TACT_COMPILE_FAIL_CASE == 2
  (void)counter.ask(Unknown{});  // error: Counter has no handle(Unknown)
#elif TACT_COMPILE_FAIL_CASE == 3
  (void)rt.send_after(std::chrono::milliseconds(1), counter, Unknown{});  // the same error
#elif TACT_COMPILE_FAIL_CASE == 4
  tact::Recipient<Unknown> r = counter;  // the same error
  (void)r;
#elif TACT_COMPILE_FAIL_CASE == 5
  tact::ReplyRecipient<Unknown, int> r = counter;  // the same error
  (void)r;
#endif
  tact::Recipient<Inc> fine = counter;  // the control: Counter handles Inc
  fine.tell(Inc{1});
}
