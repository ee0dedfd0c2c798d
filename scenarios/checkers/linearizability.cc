#include "scenarios/checkers/linearizability.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <unordered_set>

#include "scenarios/checkers/client_ops.h"
#include "scenarios/checkers/event_fields.h"

namespace orbit::checkers {

namespace {

constexpr size_t kNever = std::numeric_limits<size_t>::max();  // an unknown op's completion
constexpr size_t kMaxListedOps = 12;

enum class OpKind { kRead, kWrite, kCas };

struct RegisterOp {
  const ClientOp* source = nullptr;
  OpKind kind = OpKind::kRead;
  int a = 0;              // read: the value returned; write: the value; cas: expected
  int b = 0;              // cas: the new value
  bool required = false;  // completed ok: must be linearized
  size_t call = 0;        // event index of the invocation
  size_t ret = kNever;    // event index of the ok completion, or kNever
};

// Register values by id: 0 is null (unset, the initial value), integers get ids in first-use
// order. Ids only need to be consistent within one history; the text is what notes print.
class ValueTable {
 public:
  int intern(const history::OptInt& v) {
    if (!v) return 0;
    auto [it, inserted] = ids_.emplace(*v, static_cast<int>(values_.size()) + 1);
    if (inserted) values_.push_back(*v);
    return it->second;
  }
  std::string text(int id) const { return id == 0 ? "null" : std::to_string(values_[static_cast<size_t>(id) - 1]); }

 private:
  std::map<int64_t, int> ids_;
  std::vector<int64_t> values_;
};

// A configuration: the register value and the set of linearized ops, stored compactly. The
// linearized set is nearly always "every op up to some point, and a few after it", so words
// that are all ones before the first gap and all zeros after the last bit are left out.
struct Configuration {
  int state = 0;
  uint32_t first_word = 0;
  std::vector<uint64_t> words;
  bool operator==(const Configuration&) const = default;
};

struct ConfigurationHash {
  size_t operator()(const Configuration& c) const {
    uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a over the fields
    auto mix = [&h](uint64_t x) {
      for (int i = 0; i < 8; ++i) {
        h ^= (x >> (8 * i)) & 0xff;
        h *= 0x100000001b3ULL;
      }
    };
    mix(static_cast<uint64_t>(c.state));
    mix(c.first_word);
    for (uint64_t w : c.words) mix(w);
    return static_cast<size_t>(h);
  }
};

Configuration configuration(const std::vector<uint64_t>& bits, int state) {
  Configuration c;
  c.state = state;
  size_t first = 0;
  while (first < bits.size() && bits[first] == ~0ULL) ++first;
  size_t last = bits.size();
  while (last > first && bits[last - 1] == 0) --last;
  c.first_word = static_cast<uint32_t>(first);
  c.words.assign(bits.begin() + static_cast<std::ptrdiff_t>(first), bits.begin() + static_cast<std::ptrdiff_t>(last));
  return c;
}

enum class SearchOutcome { kLinearizable, kNotLinearizable, kOutOfSteps };

struct SearchResult {
  SearchOutcome outcome = SearchOutcome::kLinearizable;
  uint64_t steps = 0;
  // When not linearizable: the op the deepest partial linearization could not place.
  size_t stuck_op = 0;
  int stuck_state = 0;
  size_t deepest = 0;  // ops placed in that partial linearization
};

bool apply(const RegisterOp& op, int state, int& next) {
  switch (op.kind) {
    case OpKind::kRead:
      next = state;
      return state == op.a;
    case OpKind::kWrite:
      next = op.a;
      return true;
    case OpKind::kCas:
      next = op.b;
      return state == op.a;
  }
  return false;
}

// Lowe's just-in-time linearization over a doubly linked list of call/return entries.
SearchResult search(const std::vector<RegisterOp>& ops, uint64_t step_budget) {
  struct Entry {
    size_t key;  // event index (kNever for an unknown op's completion)
    size_t op;
    bool is_call;
  };
  std::vector<Entry> entries;
  entries.reserve(ops.size() * 2);
  size_t required_total = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    entries.push_back({ops[i].call, i, true});
    entries.push_back({ops[i].ret, i, false});
    if (ops[i].required) ++required_total;
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
    if (x.key != y.key) return x.key < y.key;
    if (x.op != y.op) return x.op < y.op;
    return x.is_call && !y.is_call;
  });
  const int n = static_cast<int>(entries.size());
  const int head = n;
  constexpr int kNil = -1;
  std::vector<int> next(static_cast<size_t>(n) + 1), prev(static_cast<size_t>(n) + 1);
  std::vector<int> match(static_cast<size_t>(n), kNil);  // call entry -> its return entry
  std::vector<int> call_of(ops.size(), kNil);
  for (int i = 0; i < n; ++i) {
    const Entry& e = entries[static_cast<size_t>(i)];
    if (e.is_call) call_of[e.op] = i;
  }
  for (int i = 0; i < n; ++i) {
    const Entry& e = entries[static_cast<size_t>(i)];
    if (!e.is_call) match[static_cast<size_t>(call_of[e.op])] = i;
  }
  prev[static_cast<size_t>(head)] = kNil;
  next[static_cast<size_t>(head)] = n > 0 ? 0 : kNil;
  for (int i = 0; i < n; ++i) {
    prev[static_cast<size_t>(i)] = i == 0 ? head : i - 1;
    next[static_cast<size_t>(i)] = i + 1 < n ? i + 1 : kNil;
  }
  auto unlink = [&](int x) {
    next[static_cast<size_t>(prev[static_cast<size_t>(x)])] = next[static_cast<size_t>(x)];
    if (next[static_cast<size_t>(x)] != kNil) prev[static_cast<size_t>(next[static_cast<size_t>(x)])] = prev[static_cast<size_t>(x)];
  };
  auto relink = [&](int x) {
    next[static_cast<size_t>(prev[static_cast<size_t>(x)])] = x;
    if (next[static_cast<size_t>(x)] != kNil) prev[static_cast<size_t>(next[static_cast<size_t>(x)])] = x;
  };

  struct Frame {
    int call_entry;
    int state_before;
  };
  std::vector<Frame> stack;
  std::vector<uint64_t> bits((ops.size() + 63) / 64, 0);
  std::unordered_set<Configuration, ConfigurationHash> seen;  // membership only: order never matters
  int state = 0;
  size_t required_done = 0;
  int entry = next[static_cast<size_t>(head)];
  SearchResult result;
  bool have_stuck = false;

  for (;;) {
    if (required_done == required_total) {
      result.outcome = SearchOutcome::kLinearizable;
      return result;
    }
    if (result.steps >= step_budget) {
      result.outcome = SearchOutcome::kOutOfSteps;
      return result;
    }
    ++result.steps;
    if (entry != kNil && entries[static_cast<size_t>(entry)].is_call) {
      const size_t op = entries[static_cast<size_t>(entry)].op;
      int after = 0;
      if (apply(ops[op], state, after)) {
        bits[op / 64] |= 1ULL << (op % 64);
        if (seen.insert(configuration(bits, after)).second) {
          stack.push_back({entry, state});
          state = after;
          unlink(entry);
          unlink(match[static_cast<size_t>(entry)]);
          if (ops[op].required) ++required_done;
          entry = next[static_cast<size_t>(head)];
          continue;
        }
        bits[op / 64] &= ~(1ULL << (op % 64));
      }
      entry = next[static_cast<size_t>(entry)];
      continue;
    }
    // A completion whose op is not linearized yet (or the end of the list): this prefix
    // cannot be extended; undo the last choice and try the next pending op after it.
    if (entry != kNil && (!have_stuck || stack.size() > result.deepest)) {
      have_stuck = true;
      result.deepest = stack.size();
      result.stuck_op = entries[static_cast<size_t>(entry)].op;
      result.stuck_state = state;
    }
    if (stack.empty()) {
      result.outcome = SearchOutcome::kNotLinearizable;
      return result;
    }
    const Frame top = stack.back();
    stack.pop_back();
    const size_t op = entries[static_cast<size_t>(top.call_entry)].op;
    bits[op / 64] &= ~(1ULL << (op % 64));
    if (ops[op].required) --required_done;
    state = top.state_before;
    relink(match[static_cast<size_t>(top.call_entry)]);
    relink(top.call_entry);
    entry = next[static_cast<size_t>(top.call_entry)];
  }
}

std::string describe_op(const history::History& history, const RegisterOp& op, const ValueTable& values) {
  const ClientOp& c = *op.source;
  std::string what;
  switch (op.kind) {
    case OpKind::kRead: what = "read -> " + values.text(op.a); break;
    case OpKind::kWrite: what = "write " + values.text(op.a); break;
    case OpKind::kCas: what = "cas [" + values.text(op.a) + ", " + values.text(op.b) + "]"; break;
  }
  return "op " + std::to_string(c.id) + " (" + what + " by " + name_of(history, c.process) + ", " +
         std::string(to_string(c.outcome)) + ")";
}

struct ActorOps {
  std::vector<RegisterOp> ops;
  bool is_register = true;
  size_t indeterminate = 0;
};

}  // namespace

CheckResult LinearizabilityChecker::check(const CheckInput& input, const CheckContext& context) const {
  const history::History& history = input.history;
  MalformedEvents malformed = input.ops.malformed;
  ValueTable values;
  using history::OpFunction;

  // Keyed by the actor's name, not its Sym: equal-sized actors are searched in name order,
  // which decides how the shared step budget is spent.
  std::map<std::string_view, ActorOps> actors;
  for (const ClientOp& c : input.ops.ops) {
    ActorOps& actor = actors[history.str(c.actor)];
    if (c.f == OpFunction::kAdd) {
      actor.is_register = false;
      continue;
    }
    if (c.outcome == OpOutcome::kFail) continue;  // definitely not applied
    RegisterOp op;
    op.source = &c;
    op.required = c.outcome == OpOutcome::kOk;
    op.call = c.invoke_index;
    op.ret = op.required ? c.complete_index : kNever;
    if (!op.required) ++actor.indeterminate;
    if (c.f == OpFunction::kRead) {
      if (!op.required) continue;  // an unknown read constrains nothing
      op.kind = OpKind::kRead;
      op.a = values.intern(c.result);
    } else if (c.f == OpFunction::kWrite) {
      op.kind = OpKind::kWrite;
      op.a = values.intern(c.value);
    } else {
      op.kind = OpKind::kCas;
      op.a = values.intern(c.expected);
      op.b = values.intern(c.value);
    }
    actor.ops.push_back(op);
  }

  // Smallest actors first, so that a hard one exhausting the budget leaves the rest judged.
  std::vector<std::string_view> order;
  size_t skipped = 0;
  for (const auto& [name, actor] : actors) {
    if (actor.is_register) {
      order.push_back(name);
    } else {
      ++skipped;
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](std::string_view x, std::string_view y) {
    return actors[x].ops.size() < actors[y].ops.size();
  });

  std::vector<Violation> violations;
  uint64_t steps_left = context.max_search_steps;
  uint64_t steps_used = 0;
  size_t op_count = 0;
  size_t indeterminate = 0;
  std::vector<std::string> out_of_steps;
  for (const std::string_view name : order) {
    const ActorOps& actor = actors[name];
    op_count += actor.ops.size();
    indeterminate += actor.indeterminate;
    const SearchResult r = search(actor.ops, steps_left);
    steps_used += r.steps;
    steps_left -= std::min(steps_left, r.steps);
    if (r.outcome == SearchOutcome::kOutOfSteps) {
      out_of_steps.push_back(std::string(name) + " (" + std::to_string(actor.ops.size()) + " ops)");
      continue;
    }
    if (r.outcome == SearchOutcome::kLinearizable) continue;

    const RegisterOp& stuck = actor.ops[r.stuck_op];
    std::vector<size_t> concurrent;
    std::optional<size_t> last_write;
    for (size_t k = 0; k < actor.ops.size(); ++k) {
      if (k == r.stuck_op) continue;
      const RegisterOp& o = actor.ops[k];
      if (o.call < stuck.ret && o.ret > stuck.call) {
        concurrent.push_back(k);
      } else if (o.ret < stuck.call && o.kind != OpKind::kRead && o.required &&
                 (!last_write || o.ret > actor.ops[*last_write].ret)) {
        last_write = k;
      }
    }
    Violation v;
    v.actor = std::string(name);
    v.explanation = "not linearizable: register " + v.actor + ": " + describe_op(history, stuck, values) +
                    " cannot take effect; the furthest partial linearization placed " + std::to_string(r.deepest) +
                    " of " + std::to_string(actor.ops.size()) + " ops and leaves the register at " +
                    values.text(r.stuck_state);
    if (last_write) {
      v.explanation += "; last write completed before it: " + describe_op(history, actor.ops[*last_write], values);
    }
    if (!concurrent.empty()) {
      v.explanation += "; concurrent with it: ";
      for (size_t k = 0; k < concurrent.size() && k < kMaxListedOps; ++k) {
        if (k > 0) v.explanation += ", ";
        v.explanation += describe_op(history, actor.ops[concurrent[k]], values);
      }
      if (concurrent.size() > kMaxListedOps) v.explanation += " and " + std::to_string(concurrent.size() - kMaxListedOps) + " more";
    }
    auto add_events = [&](const RegisterOp& o) {
      for (size_t e : o.source->event_indices()) v.events.push_back(e);
    };
    add_events(stuck);
    if (last_write) add_events(actor.ops[*last_write]);
    for (size_t k = 0; k < concurrent.size() && k < kMaxListedOps; ++k) add_events(actor.ops[concurrent[k]]);
    violations.push_back(std::move(v));
  }

  std::string checked = std::to_string(op_count) + " ops (" + std::to_string(indeterminate) + " indeterminate) on " +
                        std::to_string(order.size()) + " registers, " + std::to_string(steps_used) + " search steps";
  if (skipped > 0) checked += "; " + std::to_string(skipped) + " non-register actors skipped";
  std::string undecided;
  if (!out_of_steps.empty()) {
    undecided = "search step budget (" + std::to_string(context.max_search_steps) + ") exhausted before deciding ";
    for (size_t k = 0; k < out_of_steps.size(); ++k) {
      if (k > 0) undecided += ", ";
      undecided += out_of_steps[k];
    }
  }
  return make_result(name(), std::move(violations), std::move(checked), std::move(undecided), malformed);
}

}  // namespace orbit::checkers
