// The HTML timeline of one run: a single self-contained file (inline CSS and JavaScript, the
// run's data as embedded JSON, no network access) drawn as SVG by the page itself. Lanes per
// node over true time; lease beliefs per holder as bars and the store's lease version beside
// them; activations; client calls and snapshot writes as arrows; faults as shaded regions;
// violations marked and linked to their events. A failing run opens focused on its first
// violation. See docs/REPORTS.md for what each element means and what is derived.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "history/history.h"

namespace orbit::reports {

struct TimelineOptions {
  // Arrows kept in the file; beyond this, successful calls are sampled evenly (failures,
  // unknown outcomes and refused writes are kept first). The page samples again by zoom.
  size_t max_messages = 25'000;
  std::string history_source;  // shown in the header: where the history came from
};

// The data the page draws, derived from the report and its history (exposed for tests).
nlohmann::json timeline_data(const nlohmann::json& report, const history::History& history, const TimelineOptions& options);

// The complete HTML document.
std::string timeline_html(const nlohmann::json& report, const history::History& history, const TimelineOptions& options);

}  // namespace orbit::reports
