// The strong make_real_fault_points() for test-only binaries (see real_fault_points.h).
#include <map>
#include <mutex>
#include <random>

#include "runtime/env/fault_sites.h"
#include "tools/real/real_fault_points.h"

namespace orbit::tools {
namespace {

// Fires each armed site with its probability; delays are uniform in (0, max]. Not
// deterministic (real mode is not): it draws from its own generator, never the node's.
class ArmedFaultPoints final : public env::FaultPoints {
 public:
  explicit ArmedFaultPoints(std::map<std::string, double, std::less<>> sites)
      : sites_(std::move(sites)), random_(std::random_device{}()) {}

  bool fire(std::string_view name) override {
    auto it = sites_.find(name);
    if (it == sites_.end()) return false;
    std::lock_guard lock(mutex_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(random_) < it->second;
  }
  Duration delay(std::string_view name, Duration max) override {
    if (max <= Duration::zero() || !fire(name)) return Duration::zero();
    std::lock_guard lock(mutex_);
    return Duration(std::uniform_int_distribution<Duration::rep>(1, max.count())(random_));
  }

 private:
  std::map<std::string, double, std::less<>> sites_;
  std::mutex mutex_;
  std::mt19937_64 random_;
};

}  // namespace

Result<std::unique_ptr<env::FaultPoints>> make_real_fault_points(const std::vector<std::string>& specs) {
  std::map<std::string, double, std::less<>> sites;
  for (const std::string& spec : specs) {
    const size_t eq = spec.find('=');
    const std::string site = spec.substr(0, eq);
    bool known = false;
    for (std::string_view s : env::sites::kAll) known = known || s == site;
    if (!known) return Error{ErrorCode::kInvalidArgument, "--fault-point " + spec + ": unknown site \"" + site + "\""};
    double p = -1;
    if (eq != std::string::npos) {
      try {
        size_t used = 0;
        p = std::stod(spec.substr(eq + 1), &used);
        if (used != spec.size() - eq - 1) p = -1;
      } catch (...) {
        p = -1;
      }
    }
    if (!(p >= 0.0 && p <= 1.0)) {
      return Error{ErrorCode::kInvalidArgument, "--fault-point " + spec + ": expected SITE=PROBABILITY in [0, 1]"};
    }
    sites[site] = p;
  }
  return std::unique_ptr<env::FaultPoints>(std::make_unique<ArmedFaultPoints>(std::move(sites)));
}

}  // namespace orbit::tools
