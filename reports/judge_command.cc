#include "reports/judge_command.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "reports/history_jsonl.h"
#include "scenarios/scenario.h"

namespace orbit::reports {

std::string format_judgement(const scenarios::Judgement& judgement) {
  std::string out = "outcome      " + std::string(scenarios::to_string(judgement.outcome)) + "\n";
  char buf[64];
  for (const auto& c : judgement.checks) {
    std::snprintf(buf, sizeof buf, "  %-20s %-10s ", c.checker.c_str(), std::string(checkers::to_string(c.verdict)).c_str());
    out += buf + c.note + "\n";
    for (const auto& v : c.violations) {
      out += "    - " + (v.actor.empty() ? std::string("(no actor)") : v.actor) + ": " + v.explanation;
      if (!v.events.empty()) {
        out += " [events";
        for (size_t e : v.events) out += " " + std::to_string(e);
        out += "]";
      }
      out += "\n";
    }
  }
  return out;
}

int judge_history_file(const std::string& tool, const JudgeFileOptions& options) {
  const auto* spec = scenarios::find_scenario(options.scenario);
  if (spec == nullptr) {
    std::string known;
    for (const auto& s : scenarios::all_scenarios()) known += (known.empty() ? "" : ", ") + s.name;
    std::fprintf(stderr, "%s judge: unknown --scenario '%s' (known: %s)\n", tool.c_str(), options.scenario.c_str(),
                 known.c_str());
    return 2;
  }
  std::ifstream in(options.history_path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s judge: cannot read %s\n", tool.c_str(), options.history_path.c_str());
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto history = parse_jsonl(text.str());
  if (!history) {
    std::fprintf(stderr, "%s judge: %s: %s\n", tool.c_str(), options.history_path.c_str(),
                 history.error().message.c_str());
    return 2;
  }
  scenarios::JudgeSpec judge_spec;
  judge_spec.required_checkers = spec->required_checkers;
  if (options.search_steps != 0) {
    judge_spec.search_steps = options.search_steps;
    judge_spec.search_steps_after_violation = options.search_steps;
  }
  auto judged = scenarios::judge(*history, judge_spec, scenarios::context_from_history(*history));
  if (!judged) {
    std::fprintf(stderr, "%s judge: %s\n", tool.c_str(), to_string(judged.error()).c_str());
    return 2;
  }
  const std::string text_out = format_judgement(*judged);
  std::fwrite(text_out.data(), 1, text_out.size(), stdout);
  std::fflush(stdout);
  return judged->outcome == scenarios::Outcome::kPass ? 0 : 1;
}

}  // namespace orbit::reports
