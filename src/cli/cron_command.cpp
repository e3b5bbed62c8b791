#include "cli/cron_command.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <ostream>
#include <string>

#include "common/instant.hpp"
#include "cron/schedule.hpp"
#include "cron/time_zone.hpp"

namespace maintd::cli {
namespace {

struct CronOptions {
  std::string expression;
  std::string zone = "UTC";
  std::string from;
  int count = 5;
};

void report(std::ostream& err, std::string_view expression, const cron::ParseError& error) {
  err << "maintd: invalid " << (cron::is_interval_text(expression) ? "interval" : "cron expression")
      << ": " << error.to_string() << '\n'
      << error.underline(expression) << '\n';
}

int cron_next(Context& context, const CronOptions& options) {
  auto expression = cron::parse_schedule(options.expression);
  if (!expression) {
    report(context.err, options.expression, expression.error());
    return kUsageError;
  }
  auto zone = cron::load_zone(options.zone);
  if (!zone) {
    context.err << "maintd: --tz: " << zone.error() << '\n';
    return kUsageError;
  }
  Instant from = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (!options.from.empty()) {
    auto parsed = parse_instant(options.from, *zone);
    if (!parsed) {
      context.err << "maintd: --from: " << parsed.error() << '\n';
      return kUsageError;
    }
    from = *parsed;
  }
  const cron::Schedule schedule(*expression, *zone);
  for (int i = 0; i < options.count; ++i) {
    const auto slot = schedule.next(from);
    if (!slot) {
      context.err << "maintd: no further slot within 400 years of " << format_utc(from) << '\n';
      return kFailed;
    }
    context.out << format_utc(*slot) << '\n';
    from = *slot;
  }
  return kOk;
}

int cron_explain(Context& context, const CronOptions& options) {
  auto explained = cron::explain_schedule(options.expression);
  if (!explained) {
    report(context.err, options.expression, explained.error());
    return kUsageError;
  }
  context.out << *explained << '\n';
  return kOk;
}

}  // namespace

void add_cron_command(CLI::App& app, Context& context) {
  auto options = std::make_shared<CronOptions>();
  CLI::App* cron = app.add_subcommand(
      "cron", "Check cron expressions and @every intervals: next slots, explanations");
  cron->require_subcommand(1);

  CLI::App* next = cron->add_subcommand("next", "Print the next slots of EXPR, in UTC");
  next->add_option("expression", options->expression,
                   "5 fields (minute hour day-of-month month day-of-week), 6 with seconds "
                   "first, a macro such as @daily, or an interval such as '@every 90s'; quote it")
      ->required();
  next->add_option("--tz", options->zone, "IANA time zone the expression is read in")
      ->capture_default_str();
  next->add_option("--from", options->from,
                   "start after this time (ISO-8601, Z or offset; default: now)");
  next->add_option("--count,-n", options->count, "how many slots to print")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  next->callback([&context, options] {
    context.action = [&context, options] { return cron_next(context, *options); };
  });

  CLI::App* explain = cron->add_subcommand("explain", "Describe EXPR in plain English");
  explain
      ->add_option("expression", options->expression,
                   "the cron expression or '@every' interval; quote it")
      ->required();
  explain->callback([&context, options] {
    context.action = [&context, options] { return cron_explain(context, *options); };
  });
}

}  // namespace maintd::cli
