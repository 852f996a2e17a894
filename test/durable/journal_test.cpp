// The owner's journal: records and snapshots on the wire, recovery, fencing
// and checkpoints, against the shared 3-server JetStream cluster.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "durable/journal.hpp"
#include "durable/store_fixture.hpp"
#include "support/watchdog.hpp"
#include "tact/errors.hpp"

namespace {

using tact::nats::durable::Appended;
using tact::nats::durable::decode_record;
using tact::nats::durable::decode_snapshot;
using tact::nats::durable::encode_record;
using tact::nats::durable::encode_snapshot;
using tact::nats::durable::Journal;
using tact::nats::durable::Record;
using tact::nats::durable::Snapshot;

Record record(std::string id, std::string answer, std::vector<std::string> events) {
  return Record{std::move(id), std::move(answer), std::move(events)};
}

TEST(JournalWire, RecordsAndSnapshotsRoundTrip) {
  Record r = record("req-1", std::string("\0\x01answer", 8), {"ev-a", "", std::string(1000, 'x')});
  Record back = decode_record(encode_record(r));
  EXPECT_EQ(back.request_id, r.request_id);
  EXPECT_EQ(back.answer, r.answer);
  EXPECT_EQ(back.events, r.events);
  Snapshot s{42, "state bytes", {{"a", "1"}, {"b", ""}}};
  Snapshot s2 = decode_snapshot(encode_snapshot(s));
  EXPECT_EQ(s2.sequence, 42u);
  EXPECT_EQ(s2.state, s.state);
  EXPECT_EQ(s2.recent, s.recent);
}

TEST(JournalWire, BadBytesAreAClearErrorNeverACrash) {
  const std::string good = encode_record(record("req", "ans", {"e1", "e2"}));
  // Every truncation, and random corruptions, either decode or throw tact::Error.
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_THROW((void)decode_record(std::string_view(good.data(), n)), tact::Error) << "length " << n;
  }
  std::mt19937 random(7);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes = good;
    bytes[random() % bytes.size()] = static_cast<char>(random());
    try {
      (void)decode_record(bytes);
    } catch (const tact::Error&) {
    }
  }
  EXPECT_THROW((void)decode_record(good + "x"), tact::Error);  // trailing bytes
  std::string future = good;
  future[1] = 2;  // version 2
  EXPECT_THROW((void)decode_record(future), tact::Error);
  EXPECT_THROW((void)decode_snapshot(good), tact::Error);  // a record is not a snapshot
}

class JournalTest : public tact::test::DurableStoreTest {};

// The requests a recovered history covers: the snapshot's, then the records'.
// A snapshot read from a replica that lags is older (or absent), never wrong:
// the records after it make up the difference, so tests compare this.
std::vector<std::string> covered(const Journal::Recovered& recovered) {
  std::vector<std::string> ids;
  if (recovered.snapshot) {
    for (const auto& [id, answer] : recovered.snapshot->recent) ids.push_back(id);
  }
  for (const Record& r : recovered.records) ids.push_back(r.request_id);
  return ids;
}

TEST_F(JournalTest, AnActorWithNoHistoryRecoversEmpty) {
  Journal journal(store(), "journal/empty");
  auto recovered = journal.recover(in(10000));
  ASSERT_FALSE(recovered.error) << recovered.error.text;
  EXPECT_FALSE(recovered.snapshot.has_value());
  EXPECT_TRUE(recovered.records.empty());
  EXPECT_EQ(recovered.last_sequence, 0u);
}

TEST_F(JournalTest, ANewOwnerRecoversEveryRecordInOrder) {
  tact::test::Watchdog dog("recover", std::chrono::seconds(60));
  Journal first(store(), "journal/records");
  ASSERT_FALSE(first.recover(in(10000)).error);
  for (int i = 0; i < 3; ++i) {
    auto a = first.append(record("r" + std::to_string(i), "a" + std::to_string(i), {"e" + std::to_string(i)}), in(10000));
    ASSERT_EQ(a.outcome, Appended::kStored) << a.error.text;
  }
  Journal next(store(), "journal/records");
  auto recovered = next.recover(in(10000));
  ASSERT_FALSE(recovered.error) << recovered.error.text;
  ASSERT_EQ(recovered.records.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(recovered.records[static_cast<std::size_t>(i)].request_id, "r" + std::to_string(i));
    EXPECT_EQ(recovered.records[static_cast<std::size_t>(i)].events, std::vector<std::string>{"e" + std::to_string(i)});
  }
  EXPECT_EQ(recovered.last_sequence, first.last_sequence());
}

TEST_F(JournalTest, RecoveryStartsFromTheSnapshotAndReplaysWhatFollows) {
  tact::test::Watchdog dog("snapshot", std::chrono::seconds(60));
  Journal owner(store(), "journal/snap");
  ASSERT_FALSE(owner.recover(in(10000)).error);
  ASSERT_EQ(owner.append(record("r1", "", {"+1"}), in(10000)).outcome, Appended::kStored);
  ASSERT_EQ(owner.append(record("r2", "", {"+2"}), in(10000)).outcome, Appended::kStored);
  ASSERT_TRUE(owner.save_snapshot(Snapshot{owner.last_sequence(), "3", {{"r1", ""}, {"r2", ""}}}));
  ASSERT_EQ(owner.append(record("r3", "", {"+3"}), in(10000)).outcome, Appended::kStored);
  Journal next(store(), "journal/snap");
  auto recovered = next.recover(in(10000));
  ASSERT_FALSE(recovered.error) << recovered.error.text;
  EXPECT_EQ(covered(recovered), (std::vector<std::string>{"r1", "r2", "r3"}));
  if (recovered.snapshot) {  // the usual case: only what follows it is replayed
    EXPECT_EQ(recovered.snapshot->state, "3");
    ASSERT_EQ(recovered.records.size(), 1u);
    EXPECT_EQ(recovered.records[0].request_id, "r3");
  }
}

TEST_F(JournalTest, AStaleOwnerCanNeitherAppendNorCheckpoint) {
  tact::test::Watchdog dog("stale", std::chrono::seconds(60));
  Journal old_owner(store(), "journal/stale");
  ASSERT_FALSE(old_owner.recover(in(10000)).error);
  ASSERT_EQ(old_owner.append(record("r1", "", {"x"}), in(10000)).outcome, Appended::kStored);
  ASSERT_TRUE(old_owner.save_snapshot(Snapshot{old_owner.last_sequence(), "s1", {{"r1", ""}}}));
  // The lease lapsed; another node took over and moved on.
  Journal new_owner(store(), "journal/stale");
  ASSERT_FALSE(new_owner.recover(in(10000)).error);
  ASSERT_EQ(new_owner.append(record("r2", "", {"y"}), in(10000)).outcome, Appended::kStored);
  ASSERT_TRUE(new_owner.save_snapshot(Snapshot{new_owner.last_sequence(), "s2", {{"r1", ""}, {"r2", ""}}}));
  EXPECT_EQ(old_owner.append(record("r3", "", {"z"}), in(10000)).outcome, Appended::kFenced);
  EXPECT_FALSE(old_owner.save_snapshot(Snapshot{old_owner.last_sequence(), "stale", {}}));
  Journal reader(store(), "journal/stale");
  auto recovered = reader.recover(in(10000));
  ASSERT_FALSE(recovered.error);
  EXPECT_EQ(covered(recovered), (std::vector<std::string>{"r1", "r2"}));
  ASSERT_TRUE(recovered.snapshot.has_value());
  EXPECT_NE(recovered.snapshot->state, "stale");
}

TEST_F(JournalTest, ARetryOfARecordThatLandedIsStoredOnce) {
  tact::test::Watchdog dog("retry", std::chrono::seconds(60));
  // The same owner's view before its first try, whose ack it never saw.
  Journal retrying(store(), "journal/retry");
  ASSERT_FALSE(retrying.recover(in(10000)).error);
  Journal first_try(store(), "journal/retry");
  ASSERT_FALSE(first_try.recover(in(10000)).error);
  auto landed = first_try.append(record("req-9", "ok", {"+9"}), in(10000));
  ASSERT_EQ(landed.outcome, Appended::kStored);
  // The retry (same request id, same expectation) is recognised as the same
  // record: stored, at the same place, once.
  auto retried = retrying.append(record("req-9", "ok", {"+9"}), in(10000));
  ASSERT_EQ(retried.outcome, Appended::kStored) << retried.error.text;
  EXPECT_EQ(retried.sequence, landed.sequence);
  EXPECT_EQ(retrying.last_sequence(), landed.sequence);
  Journal reader(store(), "journal/retry");
  auto recovered = reader.recover(in(10000));
  ASSERT_FALSE(recovered.error);
  EXPECT_EQ(recovered.records.size(), 1u);
  // A different request from the same stale view is fenced.
  Journal stale(store(), "journal/retry-2");
  ASSERT_FALSE(stale.recover(in(10000)).error);
  Journal other(store(), "journal/retry-2");
  ASSERT_FALSE(other.recover(in(10000)).error);
  ASSERT_EQ(other.append(record("a", "", {}), in(10000)).outcome, Appended::kStored);
  EXPECT_EQ(stale.append(record("b", "", {}), in(10000)).outcome, Appended::kFenced);
}

TEST_F(JournalTest, TheSameRequestIdAtTwoActorsIsTwoRecords) {
  // JetStream de-duplicates by message id across the stream; the journal
  // scopes ids by actor, so one client request id used with two actors (a
  // transfer's debit and credit) is stored for each.
  Journal debit(store(), "journal/debit");
  Journal credit(store(), "journal/credit");
  ASSERT_FALSE(debit.recover(in(10000)).error);
  ASSERT_FALSE(credit.recover(in(10000)).error);
  auto a = debit.append(record("transfer-1", "", {"-5"}), in(10000));
  auto b = credit.append(record("transfer-1", "", {"+5"}), in(10000));
  ASSERT_EQ(a.outcome, Appended::kStored);
  ASSERT_EQ(b.outcome, Appended::kStored);
  EXPECT_NE(a.sequence, b.sequence);
  Journal reader(store(), "journal/credit");
  auto recovered = reader.recover(in(10000));
  ASSERT_EQ(recovered.records.size(), 1u);
  EXPECT_EQ(recovered.records[0].events, std::vector<std::string>{"+5"});
}

}  // namespace
