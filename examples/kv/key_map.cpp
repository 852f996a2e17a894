#include "key_map.hpp"

#include <cstring>
#include <functional>
#include <new>
#include <utility>

namespace kv {
namespace {
constexpr std::size_t kInitialSlots = 64;
}

std::uint64_t KeyMap::hash(std::string_view key) noexcept {
  return std::hash<std::string_view>{}(key);
}

KeyMap::KeyMap() : slots_(kInitialSlots), mask_(kInitialSlots - 1) {}

KeyMap::~KeyMap() { clear(); }

KeyMap::Entry* KeyMap::find(std::string_view key, std::uint64_t key_hash) const noexcept {
  for (std::size_t i = key_hash & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.entry == nullptr) return nullptr;
    if (slot.hash == key_hash && slot.entry->key() == key) return slot.entry;
  }
}

KeyMap::Entry* KeyMap::insert(std::string_view key, std::uint64_t key_hash) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  Entry* entry = create_entry(key);
  std::size_t i = key_hash & mask_;
  while (slots_[i].entry != nullptr) i = (i + 1) & mask_;
  slots_[i] = Slot{key_hash, entry};
  ++size_;
  return entry;
}

std::size_t KeyMap::index_of(const Entry* entry, std::uint64_t key_hash) const noexcept {
  std::size_t i = key_hash & mask_;
  while (slots_[i].entry != entry) i = (i + 1) & mask_;
  return i;
}

void KeyMap::erase(const Entry* entry, std::uint64_t key_hash) noexcept {
  std::size_t hole = index_of(entry, key_hash);
  destroy_entry(slots_[hole].entry);
  --size_;
  // Backward shift: move each later member of the probe run whose home slot is not
  // between the hole and itself (cyclically) into the hole, so lookups never meet
  // a gap before their key.
  for (std::size_t j = (hole + 1) & mask_; slots_[j].entry != nullptr; j = (j + 1) & mask_) {
    const std::size_t home = slots_[j].hash & mask_;
    const bool home_in_gap = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!home_in_gap) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
}

void KeyMap::clear() noexcept {
  for (Slot& slot : slots_) {
    if (slot.entry != nullptr) destroy_entry(slot.entry);
    slot = Slot{};
  }
  size_ = 0;
}

void KeyMap::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  mask_ = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.entry == nullptr) continue;
    std::size_t i = slot.hash & mask_;
    while (slots_[i].entry != nullptr) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
}

KeyMap::Entry* KeyMap::create_entry(std::string_view key) {
  auto* memory = static_cast<char*>(::operator new(sizeof(Entry) + key.size()));
  auto* entry = new (memory) Entry();
  entry->key_size = key.size();
  if (!key.empty()) std::memcpy(memory + sizeof(Entry), key.data(), key.size());
  return entry;
}

void KeyMap::destroy_entry(Entry* entry) noexcept {
  entry->~Entry();
  ::operator delete(entry);
}

}  // namespace kv
