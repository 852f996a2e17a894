// The readable name of a type, at compile time, for metrics and hooks: the
// compiler's own spelling (as in its diagnostics), cut out of
// __PRETTY_FUNCTION__, so no RTTI and no demangling at run time. An actor
// class may name itself instead: `static constexpr std::string_view name = "kv.shard";`
// (any type convertible to std::string_view).
#pragma once

#include <string_view>

namespace tact::detail {

template <class T>
constexpr std::string_view type_name() noexcept {
#if defined(__clang__) || defined(__GNUC__)
  // "... type_name() [with T = Foo; ...]" (g++) or "... type_name() [T = Foo]" (clang).
  constexpr std::string_view pretty = __PRETTY_FUNCTION__;
  constexpr std::string_view marker = "T = ";
  constexpr std::size_t start = pretty.find(marker) + marker.size();
  constexpr std::size_t end = pretty.find_first_of(";]", start);
  return pretty.substr(start, end - start);
#else
  return "unknown";
#endif
}

// An actor class's name: its own `name` member, if it has one, else its type's.
template <class A>
constexpr std::string_view actor_class_name() noexcept {
  if constexpr (requires { std::string_view{A::name}; }) {
    return std::string_view{A::name};
  } else {
    return type_name<A>();
  }
}

}  // namespace tact::detail
