#include "server/service/parse_stream.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace facet {
namespace {

TEST(ParseStreamWriterTest, RepliesRunInPostOrderAndCloseWaitsForAll) {
  std::vector<int> order;  // Only touched by the writer thread, then here.
  {
    ParseStreamWriter writer(8);
    for (int i = 0; i < 3; ++i) writer.WaitForRoom();
    std::thread poster([&] {
      for (int i = 0; i < 3; ++i)
        writer.Post([&order, i] { order.push_back(i); });
    });
    writer.Close();  // Returns only once the three replies ran.
    poster.join();
    EXPECT_EQ(writer.in_flight(), 0);
  }
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

// The third item waits until one of the first two was answered.
TEST(ParseStreamWriterTest, BoundsItemsInFlight) {
  ParseStreamWriter writer(2);
  writer.WaitForRoom();
  writer.WaitForRoom();
  EXPECT_EQ(writer.in_flight(), 2);
  std::atomic<bool> third{false};
  std::thread reader([&] {
    writer.WaitForRoom();
    third = true;
  });
  EXPECT_FALSE(third.load());
  writer.Post([&] { EXPECT_FALSE(third.load()) << "reserved past the bound"; });
  reader.join();  // Freed by the reply above.
  EXPECT_TRUE(third.load());
  EXPECT_EQ(writer.in_flight(), 2);
  writer.Post([] {});
  writer.Post([] {});
  writer.Close();
  EXPECT_EQ(writer.in_flight(), 0);
}

}  // namespace
}  // namespace facet
