#include "scenarios/checkers/durability.h"

#include <algorithm>
#include <map>

#include "scenarios/checkers/client_ops.h"
#include "scenarios/checkers/event_fields.h"

namespace orbit::checkers {

namespace {

using Sum = __int128;  // amounts come from the history: never overflow while adding them up

constexpr size_t kMaxListedAdds = 10;

std::string sum_to_string(Sum s) {
  if (s == 0) return "0";
  const bool negative = s < 0;
  std::string out;
  while (s != 0) {
    const int digit = static_cast<int>(s % 10);
    out.push_back(static_cast<char>('0' + (negative ? -digit : digit)));
    s /= 10;
  }
  if (negative) out.push_back('-');
  std::reverse(out.begin(), out.end());
  return out;
}

struct Add {
  const ClientOp* op = nullptr;
  int64_t amount = 0;
};

struct Read {
  const ClientOp* op = nullptr;
  int64_t value = 0;
};

// Prefix sums over adds in some order: [k] covers the first k adds.
struct Prefix {
  std::vector<size_t> keys;  // the ordering index of each add (ascending)
  std::vector<Sum> total{0}, positive{0}, negative{0};
  void push(size_t key, int64_t amount) {
    keys.push_back(key);
    total.push_back(total.back() + amount);
    positive.push_back(positive.back() + std::max<int64_t>(amount, 0));
    negative.push_back(negative.back() + std::min<int64_t>(amount, 0));
  }
  // How many adds have key < bound.
  size_t count_below(size_t bound) const {
    return static_cast<size_t>(std::lower_bound(keys.begin(), keys.end(), bound) - keys.begin());
  }
};

}  // namespace

CheckResult DurabilityChecker::check(const CheckInput& input, const CheckContext&) const {
  const history::History& history = input.history;
  MalformedEvents malformed = input.ops.malformed;
  using history::OpFunction;

  // Keyed by the actor's name, not its Sym: the order of violations and of the sums must
  // not depend on which name the history interned first.
  std::map<std::string_view, std::vector<Add>> adds;
  std::map<std::string_view, std::vector<Read>> reads;
  for (const ClientOp& op : input.ops.ops) {
    if (op.f != OpFunction::kAdd) continue;
    const std::string_view actor = history.str(op.actor);
    if (!op.value) {
      malformed.add(history, op.invoke_index, "add needs an integer amount");
      adds[actor];  // still a counter
      continue;
    }
    adds[actor].push_back({&op, *op.value});
  }
  size_t ignored = 0;
  for (const ClientOp& op : input.ops.ops) {
    const std::string_view actor = history.str(op.actor);
    if (adds.count(actor) == 0 || op.f == OpFunction::kAdd) continue;
    if (op.f != OpFunction::kRead) {
      ++ignored;
      continue;
    }
    if (op.outcome != OpOutcome::kOk) continue;
    if (!op.result) {
      malformed.add(history, op.complete_index, "a counter read needs an integer value");
      continue;
    }
    reads[actor].push_back({&op, *op.result});
  }

  std::vector<Violation> violations;
  size_t add_count = 0;
  size_t read_count = 0;
  for (const auto& [actor, actor_adds] : adds) {
    add_count += actor_adds.size();
    // Acknowledged adds by completion; maybe-applied (not fail) adds by invocation.
    std::vector<const Add*> acknowledged;
    std::vector<const Add*> not_failed;
    for (const Add& a : actor_adds) {
      if (a.op->outcome == OpOutcome::kOk) acknowledged.push_back(&a);
      if (a.op->outcome != OpOutcome::kFail) not_failed.push_back(&a);
    }
    std::sort(acknowledged.begin(), acknowledged.end(),
              [](const Add* a, const Add* b) { return a->op->complete_index < b->op->complete_index; });
    Prefix by_completion;
    for (const Add* a : acknowledged) by_completion.push(a->op->complete_index, a->amount);
    Prefix by_invoke;  // ops are already in invoke order
    for (const Add* a : not_failed) by_invoke.push(a->op->invoke_index, a->amount);

    auto found = reads.find(actor);
    if (found == reads.end()) continue;
    for (const Read& r : found->second) {
      ++read_count;
      const size_t done = by_completion.count_below(r.op->invoke_index);
      const size_t maybe = by_invoke.count_below(r.op->complete_index);
      // The acknowledged ones are among the maybe-applied ones (completed before the read began).
      const Sum base = by_completion.total[done];
      const Sum lower = base + (by_invoke.negative[maybe] - by_completion.negative[done]);
      const Sum upper = base + (by_invoke.positive[maybe] - by_completion.positive[done]);
      if (lower <= r.value && r.value <= upper) continue;
      Violation v;
      v.actor = std::string(actor);
      v.events = r.op->event_indices();
      const std::string read = "read " + r.op->describe(history) + " returned " + std::to_string(r.value);
      if (r.value < lower) {
        v.explanation = "acknowledged add lost: " + read + ", but the adds acknowledged before it was invoked " +
                        "(with every maybe-applied negative one) sum to at least " + sum_to_string(lower) + ": " +
                        sum_to_string(lower - r.value) + " missing";
        for (size_t k = done; k > 0 && done - k < kMaxListedAdds; --k) {
          v.events.push_back(acknowledged[k - 1]->op->complete_index);
        }
      } else {
        v.explanation = "phantom add: " + read + ", but the adds that could have been applied by then sum to at most " +
                        sum_to_string(upper) + ": " + sum_to_string(r.value - upper) + " too many";
      }
      violations.push_back(std::move(v));
    }
  }

  std::string checked = std::to_string(read_count) + " ok reads against " + std::to_string(add_count) + " adds on " +
                        std::to_string(adds.size()) + " counters";
  if (ignored > 0) checked += " (" + std::to_string(ignored) + " other ops on counters ignored)";
  return make_result(name(), std::move(violations), std::move(checked), "", malformed);
}

}  // namespace orbit::checkers
