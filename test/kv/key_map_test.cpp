// KeyMap against std::unordered_map as a model: random inserts, finds and erases,
// with real hashes and with hashes forced to collide (long probe runs that wrap
// around the table), so the backward-shift erase is exercised at every position.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>

#include "key_map.hpp"

namespace kv {
namespace {

void run_against_model(std::uint64_t (*hash)(const std::string&), int ops, std::uint64_t seed) {
  KeyMap map;
  std::unordered_map<std::string, std::string> model;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> key_of(0, 499), op_of(0, 9);
  for (int i = 0; i < ops; ++i) {
    const std::string key = "key:" + std::to_string(key_of(rng));
    const std::uint64_t h = hash(key);
    KeyMap::Entry* entry = map.find(key, h);
    auto it = model.find(key);
    ASSERT_EQ(entry != nullptr, it != model.end()) << "op " << i << " key " << key;
    if (entry != nullptr) {
      ASSERT_EQ(entry->value, it->second);
      ASSERT_EQ(entry->key(), key);
    }
    const int op = op_of(rng);
    if (op < 5) {  // set
      if (entry == nullptr) entry = map.insert(key, h);
      entry->value = std::to_string(i);
      model[key] = std::to_string(i);
    } else if (op < 8 && entry != nullptr) {  // erase
      map.erase(entry, h);
      model.erase(it);
    }
    ASSERT_EQ(map.size(), model.size());
  }
  for (const auto& [key, value] : model) {
    KeyMap::Entry* entry = map.find(key, hash(key));
    ASSERT_NE(entry, nullptr) << key;
    EXPECT_EQ(entry->value, value);
  }
  map.clear();
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.find("key:1", hash("key:1")), nullptr);
}

TEST(KeyMap, MatchesAModelWithRealHashes) {
  run_against_model([](const std::string& k) -> std::uint64_t { return KeyMap::hash(k); }, 200000, 1);
}

TEST(KeyMap, MatchesAModelWhenHashesCollide) {
  // Eight distinct hashes for 500 keys, some near the table's end: long runs that wrap.
  run_against_model(
      [](const std::string& k) -> std::uint64_t { return std::uint64_t{KeyMap::hash(k) % 8} * std::uint64_t{0x1000000000000001} - 3; },
      100000, 2);
}

TEST(KeyMap, EmptyKeyAndLongKeys) {
  KeyMap map;
  const std::string long_key(10000, 'k');
  map.insert("", KeyMap::hash(""))->value = "empty";
  map.insert(long_key, KeyMap::hash(long_key))->value = "long";
  EXPECT_EQ(map.find("", KeyMap::hash(""))->value, "empty");
  EXPECT_EQ(map.find(long_key, KeyMap::hash(long_key))->value, "long");
  EXPECT_EQ(map.find(long_key, KeyMap::hash(long_key))->key(), long_key);
}

}  // namespace
}  // namespace kv

namespace kv {
namespace {

// Repeated sweeps remove every doomed entry and only those, however erases shift
// the table under the cursor.
TEST(KeyMap, SweepErasesExactlyTheDoomedEntries) {
  KeyMap map;
  for (int i = 0; i < 5000; ++i) {
    const std::string key = "k" + std::to_string(i);
    KeyMap::Entry* entry = map.insert(key, KeyMap::hash(key));
    entry->expires_at = i % 3 == 0 ? 1 : 0;  // every third is doomed
  }
  std::size_t cursor = 0;
  for (int round = 0; round < 4000; ++round) {
    map.sweep(cursor, 16, [](const KeyMap::Entry& e) { return e.expires_at == 1; });
  }
  for (int i = 0; i < 5000; ++i) {
    const std::string key = "k" + std::to_string(i);
    EXPECT_EQ(map.find(key, KeyMap::hash(key)) != nullptr, i % 3 != 0) << key;
  }
  EXPECT_EQ(map.size(), 5000u - 1667u);
}

}  // namespace
}  // namespace kv
