// A size class's first block: the pool cuts one batch from a fresh slab and
// touches only that, not the slab's 2 MiB (a millisecond of page faults, in
// the allocating thread, on the reference VM). Alone in its executable, so the
// process's pool has made no slab of the class before.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstddef>
#include <cstdio>

#include "memory/block_pool.hpp"

namespace {

// Resident bytes of this process (/proc/self/statm's second field, in pages).
long resident_bytes() {
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return -1;
  long size = 0;
  long resident = -1;
  if (std::fscanf(statm, "%ld %ld", &size, &resident) != 2) resident = -1;
  std::fclose(statm);
  return resident < 0 ? -1 : resident * ::sysconf(_SC_PAGESIZE);
}

TEST(BlockPoolFirstTouch, AClassesFirstBlockTouchesOneBatchNotItsSlab) {
#if defined(TACT_SANITIZE_ADDRESS)
  GTEST_SKIP() << "under AddressSanitizer the pool hands every call to operator new/delete";
#else
  constexpr std::size_t kBytes = tact::detail::kPoolMaxBlock;  // 4,096 blocks a slab
  const long before = resident_bytes();
  ASSERT_GT(before, 0);
  void* block = tact::detail::pool_allocate(kBytes);
  const long grown = resident_bytes() - before;
  tact::detail::pool_free(block, kBytes);
  // A batch is 63 blocks (~32 KB here) plus the cache's own pages; the whole
  // slab would be 2 MiB.
  EXPECT_LT(grown, 512 * 1024) << "the first block of a class made " << grown << " bytes resident";
#endif
}

}  // namespace
