#pragma once
// A handler's headline: which number of its result says what the run changed ("released",
// "refunded", "rows_affected", an exit status), and how the result reads in words ("released 3
// claims", "2 drafts failed, 2 refunded"). Each handler declares it beside its schema
// (HandlerInfo::headline), so that the dashboard's charts and summaries never guess from JSON
// keys. Pure: no I/O, no knowledge of runs or pages.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace maintd::registry {

// One member of a result in words. "{}" in the text stands for the value: a number (written
// with thousands separators), a string as it is, true as nothing ("released the claim").
struct ResultPhrase {
  std::string key = {};   // the result's top-level member: "released"
  std::string one = {};   // when the value is 1 (or true, or a string): "released {} claim"
  std::string many = {};  // any other number: "released {} claims"; empty: `one`
  // Shown when the value is 0 (or false, or ""), too. Otherwise such a value is left out, and
  // so is a member the result does not have.
  bool when_zero = false;
};

struct Headline {
  // The result's member that is the headline count: a number, a boolean (1 or 0), or an array
  // (its length). A dry run's headline is `dry_run_key` when its result has it.
  std::string key = {};
  std::string label = {};  // what the count counts, as a chart names it: "claims released"
  std::vector<ResultPhrase> words = {};  // a run's result in words, in order, joined by ", "
  std::string none = {};                 // the words when no phrase applies: "no expired claims"
  std::vector<ResultPhrase> dry_run_words = {};  // a dry run's; empty: "would change {} rows"
  std::string dry_run_key = "would_change";
};

// The headline count of `result` (a finished run's result; null when it kept none); empty when
// the result does not have it (or it is not a number, a boolean or an array).
std::optional<double> headline_count(const Headline& headline, const nlohmann::json& result,
                                     bool dry_run);

// `result` in words by `headline`: the phrases that apply, joined by ", " ("2 drafts failed,
// 2 refunded"), or `none`; "" when nothing applies and there is no `none`.
std::string result_in_words(const Headline& headline, const nlohmann::json& result, bool dry_run);

// A count as the words write it: 1234 -> "1,234", 2.5 -> "2.5", -3 -> "-3".
std::string count_text(double value);

}  // namespace maintd::registry
