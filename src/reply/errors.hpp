// What the library itself says about errors (not for the public templates).
#pragma once

#include <exception>
#include <string>

namespace tact::detail {

// what() of the exception inside, for messages ("(no exception)", "(a
// non-std::exception)" otherwise).
std::string describe_exception(const std::exception_ptr& error);

}  // namespace tact::detail
