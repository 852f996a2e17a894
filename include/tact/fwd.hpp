// Forward declarations of tact's public types.
#pragma once

namespace tact {

struct Config;
class Runtime;
struct RuntimeStats;
template <class A>
class ActorRef;
template <class A>
class Context;
template <class R>
class Reply;
template <class R>
class Promise;
template <class T>
class Outcome;
template <class R>
class Task;
template <class R>
struct Delegated;

namespace detail {
struct CellBase;
struct Envelope;
class RuntimeCore;
struct RuntimeAccess;
}  // namespace detail

}  // namespace tact
