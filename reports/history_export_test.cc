#include "reports/history_export.h"

#include <gtest/gtest.h>

namespace orbit::reports {
namespace {

using nlohmann::json;

json invoke(const std::string& process, int64_t op, const std::string& actor, const std::string& f, json value) {
  return json{{"process", process}, {"op", op}, {"actor", actor}, {"f", f}, {"value", std::move(value)}};
}
json complete(const std::string& process, int64_t op, const std::string& actor, const std::string& type, json value) {
  return json{{"process", process}, {"op", op}, {"actor", actor}, {"type", type}, {"value", std::move(value)}};
}

// Two clients on one register, every completion type, a CAS from empty, a read of nil, an
// operation that never completes, and events the export must skip (a counter op, a lease).
sim::History small_history() {
  sim::History h;
  h.record(100, 1, "op_invoke", invoke("n1.b1.c0", 1, "register/r0", "write", 1));
  h.record(150, 2, "op_invoke", invoke("n2.b1.c0", 2, "register/r0", "read", nullptr));
  h.record(160, 2, "op_invoke", invoke("n2.b1.c1", 9, "counter/c0", "add", 1));
  h.record(200, 1, "op_complete", complete("n1.b1.c0", 1, "register/r0", "ok", nullptr));
  h.record(210, 2, "lease_renewed", json{{"actor", "register/r0"}, {"holder", "n2.b1.a1"}, {"valid_for_ns", 5}, {"version", 1}});
  h.record(250, 2, "op_complete", complete("n2.b1.c0", 2, "register/r0", "ok", 1));
  h.record(300, 1, "op_invoke", invoke("n1.b1.c0", 3, "register/r0", "cas", json::array({nullptr, 2})));
  h.record(320, 2, "op_invoke", invoke("n2.b1.c0", 4, "register/r1", "write", 3));
  h.record(350, 1, "op_complete", complete("n1.b1.c0", 3, "register/r0", "fail", nullptr));
  h.record(400, 2, "op_complete", complete("n2.b1.c0", 4, "register/r1", "info", nullptr));
  h.record(500, 1, "op_invoke", invoke("n1.b1.c0", 5, "register/r0", "cas", json::array({1, 4})));
  h.record(600, 2, "op_invoke", invoke("n2.b1.c0", 6, "register/r1", "read", nullptr));
  h.record(650, 2, "op_complete", complete("n2.b1.c0", 6, "register/r1", "ok", 3));
  return h;
}

TEST(HistoryExportTest, RegisterHistoryOfOneActorInJepsenEdn) {
  auto edn = register_history_edn(small_history(), "register/r0");
  ASSERT_TRUE(edn.ok()) << edn.error().message;
  EXPECT_EQ(*edn,
            "{:type :invoke, :f :write, :value 1, :process 0, :time 100, :index 0}\n"
            "{:type :invoke, :f :read, :value nil, :process 1, :time 150, :index 1}\n"
            "{:type :ok, :f :write, :value 1, :process 0, :time 200, :index 2}\n"
            "{:type :ok, :f :read, :value 1, :process 1, :time 250, :index 3}\n"
            "{:type :invoke, :f :cas, :value [nil 2], :process 0, :time 300, :index 4}\n"
            "{:type :fail, :f :cas, :value [nil 2], :process 0, :time 350, :index 5}\n"
            "{:type :invoke, :f :cas, :value [1 4], :process 0, :time 500, :index 6}\n");
}

TEST(HistoryExportTest, EveryRegisterCarriesItsKey) {
  auto edn = register_history_edn(small_history(), "");
  ASSERT_TRUE(edn.ok()) << edn.error().message;
  EXPECT_NE(edn->find("{:type :invoke, :f :write, :value 3, :process 1, :time 320, :index 5, :key \"register/r1\"}\n"),
            std::string::npos)
      << *edn;
  EXPECT_NE(edn->find("{:type :info, :f :write, :value 3, :process 1, :time 400, :index 7, :key \"register/r1\"}\n"),
            std::string::npos)
      << *edn;
  // After its :info, n2.b1.c0 continues as a new process (2), as Jepsen numbers them.
  EXPECT_NE(edn->find("{:type :invoke, :f :read, :value nil, :process 2, :time 600, :index 9, :key \"register/r1\"}\n"
                      "{:type :ok, :f :read, :value 3, :process 2, :time 650, :index 10, :key \"register/r1\"}\n"),
            std::string::npos)
      << *edn;
  EXPECT_EQ(edn->find("counter"), std::string::npos) << *edn;
}

TEST(HistoryExportTest, NoRegisterOperationsIsAnError) {
  sim::History h;
  h.record(1, 1, "op_invoke", invoke("n1.b1.c0", 1, "counter/c0", "add", 1));
  auto edn = register_history_edn(h, "");
  ASSERT_FALSE(edn.ok());
  EXPECT_NE(edn.error().message.find("no register operations"), std::string::npos) << edn.error().message;
  auto other = register_history_edn(small_history(), "register/r9");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("register/r9"), std::string::npos) << other.error().message;
}

TEST(HistoryExportTest, MalformedOperationsAreNamed) {
  sim::History h;
  h.record(1, 1, "op_complete", complete("n1.b1.c0", 7, "register/r0", "ok", nullptr));
  auto edn = register_history_edn(h, "");
  ASSERT_FALSE(edn.ok());
  EXPECT_NE(edn.error().message.find("event 0"), std::string::npos) << edn.error().message;
  EXPECT_NE(edn.error().message.find("without an invocation"), std::string::npos) << edn.error().message;
}

TEST(HistoryExportTest, JsonLinesAreTheRecordedHistory) {
  const sim::History h = small_history();
  const std::string text = history_jsonl(h);
  auto back = sim::History::from_jsonl(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->events(), h.events());
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), static_cast<long>(h.size()));
}

}  // namespace
}  // namespace orbit::reports
