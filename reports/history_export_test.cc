#include "reports/history_export.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "reports/history_jsonl.h"

namespace orbit::reports {
namespace {

using namespace orbit::history;
using Opt = OptInt;
constexpr Opt nil = std::nullopt;

OpFunction fn(const std::string& f) { return *parse_enum<OpFunction>(f); }

void invoke(History& h, int64_t t, int64_t node, const std::string& process, int64_t op, const std::string& actor,
            const std::string& f, Opt value, Opt expected = nil) {
  h.append(t, node, OpInvoke{h.intern(process), op, h.intern(actor), fn(f), value, expected});
}
void complete(History& h, int64_t t, int64_t node, const std::string& process, int64_t op, const std::string& actor,
              const std::string& type, Opt value) {
  h.append(t, node, OpComplete{h.intern(process), op, h.intern(actor), *parse_enum<OpType>(type), value, Sym{}, false});
}

// Two clients on one register, every completion type, a CAS from empty, a read of nil, an
// operation that never completes, and events the export must skip (a counter op, a lease).
History small_history() {
  History h;
  invoke(h, 100, 1, "n1.b1.c0", 1, "register/r0", "write", 1);
  invoke(h, 150, 2, "n2.b1.c0", 2, "register/r0", "read", nil);
  invoke(h, 160, 2, "n2.b1.c1", 9, "counter/c0", "add", 1);
  complete(h, 200, 1, "n1.b1.c0", 1, "register/r0", "ok", nil);
  h.append(210, 2, LeaseRenewed{h.intern("register/r0"), h.intern("n2.b1.a1"), 1, Duration(5)});
  complete(h, 250, 2, "n2.b1.c0", 2, "register/r0", "ok", 1);
  invoke(h, 300, 1, "n1.b1.c0", 3, "register/r0", "cas", 2, nil);
  invoke(h, 320, 2, "n2.b1.c0", 4, "register/r1", "write", 3);
  complete(h, 350, 1, "n1.b1.c0", 3, "register/r0", "fail", nil);
  complete(h, 400, 2, "n2.b1.c0", 4, "register/r1", "info", nil);
  invoke(h, 500, 1, "n1.b1.c0", 5, "register/r0", "cas", 4, 1);
  invoke(h, 600, 2, "n2.b1.c0", 6, "register/r1", "read", nil);
  complete(h, 650, 2, "n2.b1.c0", 6, "register/r1", "ok", 3);
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
  History h;
  invoke(h, 1, 1, "n1.b1.c0", 1, "counter/c0", "add", 1);
  auto edn = register_history_edn(h, "");
  ASSERT_FALSE(edn.ok());
  EXPECT_NE(edn.error().message.find("no register operations"), std::string::npos) << edn.error().message;
  auto other = register_history_edn(small_history(), "register/r9");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("register/r9"), std::string::npos) << other.error().message;
}

TEST(HistoryExportTest, MalformedOperationsAreNamed) {
  History h;
  complete(h, 1, 1, "n1.b1.c0", 7, "register/r0", "ok", nil);
  auto edn = register_history_edn(h, "");
  ASSERT_FALSE(edn.ok());
  EXPECT_NE(edn.error().message.find("event 0"), std::string::npos) << edn.error().message;
  EXPECT_NE(edn.error().message.find("without an invocation"), std::string::npos) << edn.error().message;
}

TEST(HistoryExportTest, JsonLinesAreTheRecordedHistory) {
  const History h = small_history();
  const std::string text = history_jsonl(h);
  auto back = parse_jsonl(text);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(same_history(*back, h));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), static_cast<long>(h.size()));
}

}  // namespace
}  // namespace orbit::reports
